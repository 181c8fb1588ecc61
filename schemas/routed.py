"""The routed record: the contract with downstream apps (agent inboxes, helpdesks)."""

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
    sla_due_at: AwareDatetime | None = None
    rerouted: bool = False


class RoutedMention(EnrichedMention):
    route: Route
