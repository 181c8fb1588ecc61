"""The route stage's records written with orjson: the ``route`` member of a routed record and the
track stage's ``Assignment``. Same JSON as the pydantic models' ``model_dump_json`` (tests compare the
bytes), at a fraction of the cost: building and dumping a ``Route`` model took ~15 µs per mention.

Every value comes from checked inputs: the decision and plan of a loaded rule set, and fields that
``jsonread`` or pydantic checked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from schemas.routed import MatchedCondition
from streams.routing.ruleset import Decision
from streams.routing.sla import Assignment as Plan

_UTC_Z = orjson.OPT_UTC_Z  # pydantic writes UTC as "Z"
_MATCHED_CACHE_SIZE = 4096


class RouteWriter:
    """Writes ``schemas.Route`` JSON for one rule set's decisions (member order as the model's)."""

    __slots__ = ("_matched", "_rules_version")

    def __init__(self, rules_version: str) -> None:
        self._rules_version = rules_version
        # id(MatchedCondition) -> (the condition, its JSON form). The rules cache their conditions per
        # value, so the same objects come back; the condition is held so its id stays its own.
        self._matched: dict[int, tuple[MatchedCondition, dict[str, Any]]] = {}

    def route_json(self, decision: Decision, plan: Plan, routed_at: datetime, rerouted: bool) -> bytes:
        return orjson.dumps(
            {
                "team": plan.team,
                "priority": plan.priority,
                "rule_id": decision.rule_id,
                "rules_version": self._rules_version,
                "matched": [self._matched_json(m) for m in decision.matched],
                "tags": plan.tags,
                "routed_at": routed_at,
                "sla_due_at": plan.sla_due_at,
                "rerouted": rerouted,
                "dropped_reason": plan.dropped_reason,
                "escalation_level": 0,
                "previous_teams": (),
            },
            option=_UTC_Z,
        )

    def _matched_json(self, condition: MatchedCondition) -> dict[str, Any]:
        found = self._matched.get(id(condition))
        if found is not None and found[0] is condition:
            return found[1]
        dumped = condition.model_dump(mode="json")
        if len(self._matched) >= _MATCHED_CACHE_SIZE:
            self._matched.clear()
        self._matched[id(condition)] = (condition, dumped)
        return dumped


def assignment_json(
    *,
    mention_id: str,
    channel: str,
    brand_account: str,
    created_at: datetime,
    routed_at: datetime,
    plan: Plan,
    conversation_key: bytes,
    rules_version: str,
    rerouted: bool,
    routed_record: bytes,
) -> bytes:
    """The track stage's ``schemas.Assignment`` (a test checks it validates)."""
    reroutes = any(level.to_team for level in plan.escalations)
    return orjson.dumps(
        {
            "mention_id": mention_id,
            "team": plan.team,
            "priority": plan.priority,
            "priority_band": plan.priority_band,
            "channel": channel,
            "brand_account": brand_account,
            "created_at": created_at,
            "routed_at": routed_at,
            "sla_due_at": plan.sla_due_at,
            "escalations": [
                {"level": e.level, "due_at": e.due_at, "to_team": e.to_team, "notify": e.notify}
                for e in plan.escalations
            ],
            "conversation_key": conversation_key.decode(),
            "rules_version": rules_version,
            "rerouted": rerouted,
            "dropped": plan.dropped_reason is not None,
            # An escalation that moves the mention re-publishes this record to the next team.
            "routed_record": routed_record.decode() if reroutes else None,
        }
    )
