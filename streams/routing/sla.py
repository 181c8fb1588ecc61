"""From a routing decision to an assignment: the team that answers, its SLA due time, its escalations.

Pure functions over a loaded ``RuleSet``; no Kafka, no clocks read here (the caller passes the times)::

    decision = rules.decide(enriched)
    a = assign(decision, rules, created_at=enriched.mention.created_at, routed_at=datetime.now(UTC))
    a.team, a.sla_due_at, a.escalations, a.tags, a.dropped_reason

* After hours: when the decided team's calendar is closed at ``routed_at`` and the team has an
  ``after_hours_team``, the mention goes there instead (followed further while that team is closed
  too and has a fallback of its own), and the tag ``after-hours`` is added.
* SLA: the rule's ``then.sla`` if it set one, else the final team's ``sla`` for the priority band.
  ``sla_due_at = add_business_time(created_at, sla)`` on the final team's calendar: it counts from the
  mention's own time, so replaying history gives the same due time.
* Escalations: the final team's levels, each with its due time: ``after`` of open time from
  ``created_at`` on the same calendar, or the SLA due time for ``after: sla`` (skipped when the
  mention has no SLA).
* Dropped (``then.drop``): stays with the decided team for audit; no fallback, no SLA, no escalations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from streams.routing.calendar import BusinessCalendar
from streams.routing.ruleset import Decision, RuleSet, Team, priority_band

AFTER_HOURS_TAG = "after-hours"

__all__ = ["AFTER_HOURS_TAG", "Assignment", "EscalationDue", "Planner", "assign"]


class EscalationDue(NamedTuple):
    """When one escalation level fires, for the tracker; fields as ``schemas.EscalationLevel``
    (``schemas.EscalationLevel(**due._asdict())``)."""

    level: int  # 1-based: Team.escalation[level - 1] of the final team
    due_at: datetime  # UTC
    to_team: str | None  # the team to re-route to, or None for a notify-only level
    notify: str | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    team: str  # the team that answers: the decided team, or its after-hours fallback
    decided_team: str  # Decision.team, before the after-hours fallback
    topic: str  # RuleSet.topic_for(team): the team's topic override or mentions.routed.<team> (no deployment prefix)
    priority: int
    priority_band: str  # urgent / high / normal / low, as streams.metrics.priority_band
    sla: timedelta | None  # the SLA that applied (rule override or the team's, for the band); None: no clock
    sla_due_at: datetime | None  # UTC; None when dropped or no SLA is configured
    escalations: tuple[EscalationDue, ...]  # in the team's order; empty when dropped
    tags: tuple[str, ...]  # Decision.tags, plus 'after-hours' when the fallback applied
    dropped_reason: str | None = None
    after_hours: bool = False


def assign(decision: Decision, ruleset: RuleSet, created_at: datetime, routed_at: datetime) -> Assignment:
    """The final team, SLA due time and escalation due times for a decided mention (see the module doc).

    ``created_at`` and ``routed_at`` must be timezone-aware; returned times are UTC.
    """
    band = priority_band(decision.priority)
    if decision.dropped_reason is not None:
        return Assignment(
            team=decision.team,
            decided_team=decision.team,
            topic=ruleset.topic_for(decision.team),
            priority=decision.priority,
            priority_band=band,
            sla=None,
            sla_due_at=None,
            escalations=(),
            tags=decision.tags,
            dropped_reason=decision.dropped_reason,
        )

    team = _team(ruleset, decision.team)
    after_hours = False
    visited = {team.name}
    while team.after_hours_team is not None and not ruleset.calendars[team.calendar].is_open(routed_at):
        if team.after_hours_team in visited:  # the loader refuses loops; never spin on a hand-built RuleSet
            break
        after_hours = True
        team = _team(ruleset, team.after_hours_team)
        visited.add(team.name)

    calendar = ruleset.calendars[team.calendar]
    sla = decision.sla_override if decision.sla_override is not None else team.sla.get(band)
    due = calendar.add_business_time(created_at, sla) if sla is not None else None
    escalations: list[EscalationDue] = []
    for number, level in enumerate(team.escalation, 1):
        if level.after is None:
            if due is None:
                continue
            at = due
        else:
            at = calendar.add_business_time(created_at, level.after)
        escalations.append(EscalationDue(number, at, level.to, level.notify))

    tags = decision.tags
    if after_hours and AFTER_HOURS_TAG not in tags:
        tags = (*tags, AFTER_HOURS_TAG)
    return Assignment(
        team=team.name,
        decided_team=decision.team,
        topic=ruleset.topic_for(team.name),
        priority=decision.priority,
        priority_band=band,
        sla=sla,
        sla_due_at=due,
        escalations=tuple(escalations),
        tags=tags,
        after_hours=after_hours,
    )


def _team(ruleset: RuleSet, name: str) -> Team:
    found = ruleset.teams.get(name)
    return found if found is not None else Team(name)  # a team the rules do not know has no SLA


class _Template(NamedTuple):
    """What ``assign`` decides that does not depend on the mention's time (a team without after-hours fallback)."""

    assignment: Assignment  # the times are filled in per mention
    calendar: BusinessCalendar
    escalations: tuple[tuple[int, timedelta | None, str | None, str | None], ...]  # (level, after, to, notify)


_TEMPLATE_CACHE_SIZE = 4096


class Planner:
    """``assign`` for one rule set, with what does not depend on time cached per decision.

    A decision's final team, topic, band, SLA, tags and escalation levels are the same for every mention
    unless the decided team has an after-hours fallback (then ``assign`` itself runs); only the due
    times are computed per mention, on the team's calendar. Same results as ``assign`` (tests compare).
    """

    __slots__ = ("_rules", "_templates")

    def __init__(self, rules: RuleSet) -> None:
        self._rules = rules
        self._templates: dict[tuple[object, ...], _Template | Assignment | None] = {}

    def assign(self, decision: Decision, created_at: datetime, routed_at: datetime) -> Assignment:
        key = (decision.team, decision.priority, decision.tags, decision.sla_override, decision.dropped_reason)
        if key in self._templates:
            found = self._templates[key]
        else:
            found = self._template(decision)
            if len(self._templates) >= _TEMPLATE_CACHE_SIZE:
                self._templates.clear()
            self._templates[key] = found
        if found is None:  # an after-hours fallback: the team depends on the time
            return assign(decision, self._rules, created_at, routed_at)
        if isinstance(found, Assignment):  # dropped: nothing depends on time
            return found
        calendar = found.calendar
        plan = found.assignment
        sla = plan.sla
        always = calendar.always_open  # elapsed time: add in UTC, as add_business_time does
        if always and created_at.utcoffset() is None:
            raise ValueError(f"datetime {created_at.isoformat()} must be timezone-aware")
        start = created_at.astimezone(UTC) if always else created_at
        due: datetime | None = None
        if sla is not None:
            due = start + sla if always else calendar.add_business_time(created_at, sla)
        escalations: list[EscalationDue] = []
        for number, after, to_team, notify in found.escalations:
            if after is None:
                if due is None:
                    continue
                at = due
            else:
                at = start + after if always else calendar.add_business_time(created_at, after)
            escalations.append(EscalationDue(number, at, to_team, notify))
        return Assignment(
            team=plan.team,
            decided_team=plan.decided_team,
            topic=plan.topic,
            priority=plan.priority,
            priority_band=plan.priority_band,
            sla=sla,
            sla_due_at=due,
            escalations=tuple(escalations),
            tags=plan.tags,
        )

    def _template(self, decision: Decision) -> _Template | Assignment | None:
        rules = self._rules
        if decision.dropped_reason is not None:
            return assign(decision, rules, _EPOCH, _EPOCH)  # no times in a dropped plan
        team = _team(rules, decision.team)
        if team.after_hours_team is not None:
            return None
        plan = assign(decision, rules, _EPOCH, _EPOCH)
        levels = tuple((n, level.after, level.to, level.notify) for n, level in enumerate(team.escalation, 1))
        return _Template(plan, rules.calendars[team.calendar], levels)


_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)
