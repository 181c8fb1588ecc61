"""Why a mention goes where it goes: every rule tried, in order, each condition with the value seen.

``explain(rules, enriched)`` evaluates the rules one by one as ``RuleSet.decide`` does (the first rule whose
condition holds decides, else the triage team), but keeps every condition it looked at: the rules before
the deciding one and why each failed, and the deciding rule's whole condition. Each condition is the
compiled expression ``decide`` itself runs (one leaf at a time), so the two cannot disagree on what a
condition means; ``explain`` also checks that its verdict is ``decide``'s. The plan (team after any
after-hours fallback, SLA due time, escalations) is the one routing makes, at the mention's own time.

Pure logic; ``mention-router rules explain`` prints it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import JsonValue

from schemas import EnrichedMention, Route
from streams.routing.conditions import AllOf, Cond, Leaf
from streams.routing.router import make_route, redact_matched
from streams.routing.ruleset import DEFAULT_RULE_ID, Decision, RuleSet
from streams.routing.sla import Assignment, Planner

LeafFn = Callable[[EnrichedMention], tuple[Any, bool]]


@dataclass(frozen=True, slots=True)
class ConditionTrace:
    field: str
    op: str
    expected: JsonValue
    actual: JsonValue  # as the routed record reports it (long text shortened)
    held: bool


@dataclass(frozen=True, slots=True)
class GroupTrace:
    kind: Literal["all", "any"]
    held: bool
    children: tuple[Trace, ...]


Trace = ConditionTrace | GroupTrace


@dataclass(frozen=True, slots=True)
class RuleTrace:
    rule_id: str
    line: int
    held: bool
    condition: Trace


@dataclass(frozen=True, slots=True)
class Explanation:
    mention_id: str
    rules_version: str
    tried: tuple[RuleTrace, ...]  # the rules evaluated, in order; the last one decided when it held
    decision: Decision
    plan: Assignment
    route: Route  # what the routed record's ``route`` member would say (``routed_at``: when explained)

    @property
    def deciding_rule(self) -> str:
        return self.decision.rule_id


class Explainer:
    """Compiles each condition of ``rules`` once; ``explain`` then costs a few µs per condition."""

    def __init__(self, rules: RuleSet, redact_text: bool = True) -> None:
        self.rules = rules
        self._redact_text = redact_text  # as routing's MENTION_ROUTER_ROUTED_TEXT: quote redacted text only
        self._planner = Planner(rules)
        self._leaves: dict[int, LeafFn] = {}
        for rule in rules.rules:
            self._compile(rule.when)

    def explain(self, enriched: EnrichedMention, routed_at: datetime) -> Explanation:
        tried: list[RuleTrace] = []
        redacted = enriched.enrichment.redacted_text if self._redact_text else None
        for rule in self.rules.rules:
            trace = self._trace(rule.when, enriched, redacted)
            tried.append(RuleTrace(rule.id, rule.line, trace.held, trace))
            if trace.held:
                break
        decision = self.rules.decide(enriched)
        deciding = tried[-1].rule_id if tried and tried[-1].held else None
        if deciding != (None if decision.rule_id == DEFAULT_RULE_ID else decision.rule_id):
            raise AssertionError(f"explain found rule {deciding!r}, decide found {decision.rule_id!r}")  # a bug
        if redacted is not None:
            decision = decision._replace(matched=redact_matched(decision.matched, redacted))
        created_at = enriched.mention.created_at
        plan = self._planner.assign(decision, created_at, created_at)  # as routing plans: at the mention's time
        route = make_route(decision, plan, self.rules.version, routed_at, rerouted=False)
        return Explanation(enriched.mention.id, self.rules.version, tuple(tried), decision, plan, route)

    def _compile(self, cond: Cond) -> None:
        if isinstance(cond, Leaf):
            cg = self.rules.codegen
            loads = cg.load_lines([cond.var], set())
            lines = ["def _leaf(em):", *loads, f"    return {cond.var}, bool({cond.code[0]})"]
            self._leaves[id(cond)] = cg.define("_leaf", lines)
            return
        for child in cond.children:
            self._compile(child)

    def _trace(self, cond: Cond, enriched: EnrichedMention, redacted: str | None) -> Trace:
        if isinstance(cond, Leaf):
            actual, held = self._leaves[id(cond)](enriched)
            report = cond.report(actual)
            if redacted is not None:
                (report,) = redact_matched((report,), redacted)
            return ConditionTrace(report.field, report.op, report.expected, report.actual, held)
        children = tuple(self._trace(child, enriched, redacted) for child in cond.children)
        if isinstance(cond, AllOf):
            return GroupTrace("all", all(c.held for c in children), children)
        return GroupTrace("any", any(c.held for c in children), children)


def to_dict(explanation: Explanation) -> dict[str, Any]:
    """A JSON-ready form (``rules explain --json``)."""
    plan = explanation.plan
    return {
        "mention_id": explanation.mention_id,
        "rules_version": explanation.rules_version,
        "rule_id": explanation.decision.rule_id,
        "tried": [
            {"rule_id": t.rule_id, "line": t.line, "held": t.held, "condition": _trace_dict(t.condition)}
            for t in explanation.tried
        ],
        "decided_team": plan.decided_team,
        "after_hours": plan.after_hours,
        "sla_seconds": plan.sla.total_seconds() if plan.sla is not None else None,
        "escalations": [
            {"level": e.level, "due_at": e.due_at.isoformat(), "to_team": e.to_team, "notify": e.notify}
            for e in plan.escalations
        ],
        "route": explanation.route.model_dump(mode="json"),
    }


def _trace_dict(trace: Trace) -> dict[str, Any]:
    if isinstance(trace, ConditionTrace):
        return {"field": trace.field, "op": trace.op, "expected": trace.expected, "actual": trace.actual,
                "held": trace.held}  # fmt: skip
    return {trace.kind: [_trace_dict(c) for c in trace.children], "held": trace.held}


def format_explanation(explanation: Explanation) -> str:
    """The text ``rules explain`` prints."""
    lines = [f"mention {explanation.mention_id}, rules {explanation.rules_version}"]
    for tried in explanation.tried:
        verdict = "holds: decides" if tried.held else "does not hold"
        lines.append(f"  rule {tried.rule_id} (line {tried.line}): {verdict}")
        lines += _trace_lines(tried.condition, "    ")
    if explanation.decision.rule_id == DEFAULT_RULE_ID:
        lines.append(f"  no rule holds: the triage team {explanation.decision.team} gets it (rule_id default)")
    plan, route = explanation.plan, explanation.route
    team = plan.team if not plan.after_hours else f"{plan.team} (after hours; decided {plan.decided_team})"
    lines.append(f"team: {team}")
    lines.append(f"priority: {plan.priority} ({plan.priority_band})")
    if route.tags:
        lines.append(f"tags: {', '.join(route.tags)}")
    if plan.dropped_reason is not None:
        lines.append(f"dropped: {plan.dropped_reason} (kept on the team topic for audit; no SLA)")
    elif plan.sla is None:
        lines.append("SLA: none for this team and priority")
    else:
        assert plan.sla_due_at is not None
        lines.append(f"SLA: {_duration(plan.sla.total_seconds())}, first response due {plan.sla_due_at.isoformat()}")
    for level in plan.escalations:
        action = " and ".join(
            part
            for part in (
                f"re-route to {level.to_team}" if level.to_team else "",
                f"notify {level.notify}" if level.notify else "",
            )
            if part
        )
        lines.append(f"escalation {level.level}: at {level.due_at.isoformat()}, {action}")
    return "\n".join(lines) + "\n"


def _trace_lines(trace: Trace, indent: str) -> list[str]:
    mark = "yes" if trace.held else "no"
    if isinstance(trace, ConditionTrace):
        return [f"{indent}{mark:3}  {trace.field} {trace.op} {_show(trace.expected)}: saw {_show(trace.actual)}"]
    lines = [f"{indent}{mark:3}  {trace.kind} of:"]
    for child in trace.children:
        lines += _trace_lines(child, indent + "     ")
    return lines


def _show(value: JsonValue) -> str:
    return json.dumps(value, ensure_ascii=False)


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes % 60:
        return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
    return f"{minutes // 60}h"
