"""The routed record: the contract with downstream apps (agent inboxes, helpdesks).

The router writes every topic in Kafka transactions (exactly-once by default): consumers of
``mentions.routed.<team>`` and the other output topics must read with ``isolation_level=read_committed``,
or they also see records of transactions that were aborted and written again.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from schemas.enriched import EnrichedMention


class MatchedCondition(BaseModel):
    """A condition of the deciding rule, with the value the mention had."""

    model_config = ConfigDict(frozen=True)

    field: str
    op: str
    expected: JsonValue
    actual: JsonValue


class Route(BaseModel):
    model_config = ConfigDict(frozen=True)

    team: str
    priority: int = Field(ge=0, le=100)
    rule_id: str = Field(description="The rule that decided, or 'default' when none matched.")
    rules_version: str
    matched: tuple[MatchedCondition, ...] = ()
    tags: tuple[str, ...] = ()
    routed_at: AwareDatetime
    sla_due_at: AwareDatetime | None = Field(
        default=None, description="First response due by, counted in the team's business hours; None = no SLA."
    )
    rerouted: bool = Field(default=False, description="Re-routed after the first decision (reroute or escalation).")
    dropped_reason: str | None = Field(default=None, description="Set by a drop rule: kept for audit, no SLA clock.")
    escalation_level: int = Field(default=0, ge=0, description="The escalation level that moved it here; 0 = none.")
    previous_teams: tuple[str, ...] = Field(default=(), description="Teams it was routed to before, oldest first.")


class RoutedMention(EnrichedMention):
    route: Route
