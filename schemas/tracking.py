"""Response tracking: what the track stage reads (assignments) and publishes (response times, escalations).

``mentions.assignments`` (one record per routed mention, keyed by mention id, from the route stage) and
``mentions.responses`` are co-partitioned; the track stage joins them per partition and publishes
``FirstResponse`` to ``mentions.response_times`` and ``Escalation`` to ``mentions.escalations``.

Times: ``created_at``, ``responded_at``, ``sla_due_at`` and escalation ``due_at`` are on the mention's
event-time clock (a replay of 2017 tweets runs in 2017); ``routed_at`` is when the route stage decided.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.mention import Channel

PriorityBand = Literal["urgent", "high", "normal", "low"]


class EscalationLevel(BaseModel):
    """One step of a mention's escalation plan: at ``due_at``, if still unanswered, notify and/or re-route."""

    model_config = ConfigDict(frozen=True)

    level: int = Field(ge=1, description="1, 2, ...; unique per mention (it is part of the escalation id).")
    due_at: AwareDatetime
    to_team: str | None = Field(default=None, description="Re-route the mention to this team; None keeps it.")
    notify: str | None = Field(default=None, description="Who to notify (a channel, rota or address).")


class Assignment(BaseModel):
    """A routed mention as the track stage needs it (``mentions.assignments``, keyed by mention id)."""

    model_config = ConfigDict(frozen=True)

    mention_id: str
    team: str
    priority: int = Field(ge=0, le=100)
    priority_band: PriorityBand
    channel: Channel
    brand_account: str
    created_at: AwareDatetime = Field(description="When the author posted the mention (event time).")
    routed_at: AwareDatetime
    sla_due_at: AwareDatetime | None = Field(default=None, description="First response due by; None = no SLA.")
    escalations: tuple[EscalationLevel, ...] = ()
    conversation_key: str
    rules_version: str
    rerouted: bool = False
    dropped: bool = Field(
        default=False, description="Routed by a drop rule: a response is still measured, but it is not in the backlog."
    )
    routed_record: str | None = Field(
        default=None, description="The routed mention's JSON, so an escalation can re-route it with its history."
    )


class FirstResponse(BaseModel):
    """A mention's first response (``mentions.response_times``), one per mention."""

    model_config = ConfigDict(frozen=True)

    mention_id: str
    team: str = Field(description="The team the mention was assigned to when answered (after any re-route).")
    priority_band: PriorityBand
    brand_account: str
    channel: Channel
    created_at: AwareDatetime
    routed_at: AwareDatetime
    responded_at: AwareDatetime
    responder: str
    seconds_since_created: float
    seconds_since_routed: float
    sla_due_at: AwareDatetime | None = None
    breached: bool = Field(description="responded_at > sla_due_at (False when there is no SLA).")


class Escalation(BaseModel):
    """An escalation level that fired (``mentions.escalations``)."""

    model_config = ConfigDict(frozen=True)

    escalation_id: str = Field(description="'<mention_id>:<level>', deterministic so a replayed firing is idempotent.")
    mention_id: str
    level: int = Field(ge=1)
    from_team: str
    to_team: str | None = None
    notify: str | None = None
    sla_due_at: AwareDatetime | None = None
    fired_at: AwareDatetime = Field(description="The level's due time (event time), not the wall clock.")
    created_at: AwareDatetime
    priority_band: PriorityBand
    brand_account: str

    @staticmethod
    def make_id(mention_id: str, level: int) -> str:
        return f"{mention_id}:{level}"
