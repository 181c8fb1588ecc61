"""assign(): after-hours fallback, SLA due times on the final team's calendar, escalations, drops."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from schemas import EscalationLevel as EscalationRecord
from streams.routing import (
    AFTER_HOURS_TAG,
    BusinessCalendar,
    Decision,
    EscalationDue,
    RuleSet,
    Team,
    assign,
    load_rules,
    load_rules_text,
)
from streams.routing.codegen import Codegen
from streams.routing.sla import Planner
from tests.unit.test_routing import mention

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "streams" / "config" / "rules.yaml"
M = timedelta(minutes=1)
H = timedelta(hours=1)

# November: London is on GMT, so local office hours are plain UTC hours. 2026-11-23 is a Monday.
RULES = load_rules_text("""\
version: "sla-1"
triage_team: triage
calendars:
  office:
    timezone: Europe/London
    hours: {mon-fri: ["09:00-17:00"]}
    holidays: [2026-11-26]
  nights:
    timezone: UTC
    hours: {mon-fri: ["22:00-06:00"]}
teams:
  - name: care
    sla: {urgent: 15m, high: 30m, normal: 1h}
    escalation:
      - {after: 10m, notify: care-lead}
      - {after: sla, to: vip}
  - name: vip
    sla: 15m
  - name: questions
    calendar: office
    sla: {normal: 4h, low: 8h}
    after_hours_team: care
    escalation:
      - {after: 2h, notify: q-lead}
      - {after: sla, to: care}
    topic: acme.questions
  - name: legal
    calendar: office
    sla: 4h
    after_hours_team: night
  - name: night
    calendar: nights
    sla: 2h
    after_hours_team: care
  - name: spam
  - name: triage
rules:
  - {id: spam, when: {field: enrichment.intent, eq: spam}, then: {team: spam, drop: likely spam}}
  - {id: rush, when: {field: enrichment.intent, eq: complaint}, then: {team: questions, sla: 30m, tags: [rush]}}
  - {id: q, when: {field: enrichment.intent, eq: question}, then: {team: questions, tags: [q]}}
""")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def decision(team: str, priority: int = 40, **kwargs: object) -> Decision:
    return Decision(team, priority, "r", (), **kwargs)  # type: ignore[arg-type]


# --- in hours, after hours -----------------------------------------------------------------------


def test_in_hours_the_team_keeps_the_mention() -> None:
    a = assign(decision("questions", tags=("q",)), RULES, utc(2026, 11, 23, 10), utc(2026, 11, 23, 10, 0, 2))
    assert (a.team, a.decided_team, a.topic, a.after_hours) == ("questions", "questions", "acme.questions", False)
    assert a.priority_band == "normal"
    assert a.sla == 4 * H
    assert a.sla_due_at == utc(2026, 11, 23, 14)
    assert a.tags == ("q",)
    assert a.dropped_reason is None
    assert a.escalations == (
        EscalationDue(1, utc(2026, 11, 23, 12), None, "q-lead"),
        EscalationDue(2, utc(2026, 11, 23, 14), "care", None),
    )


def test_after_hours_the_fallback_team_gets_it_with_its_own_sla() -> None:
    created, routed = utc(2026, 11, 23, 19, 59), utc(2026, 11, 23, 20)
    a = assign(decision("questions", tags=("q",)), RULES, created, routed)
    assert (a.team, a.decided_team, a.topic, a.after_hours) == ("care", "questions", "mentions.routed.care", True)
    assert a.tags == ("q", AFTER_HOURS_TAG)
    assert a.sla == H  # care's normal band, not the questions team's 4h
    assert a.sla_due_at == created + H  # care is 24/7
    assert a.escalations == (
        EscalationDue(1, created + 10 * M, None, "care-lead"),
        EscalationDue(2, created + H, "vip", None),
    )


def test_fallback_is_decided_at_routed_at_but_the_clock_runs_from_created_at() -> None:
    # Posted on Saturday, routed on Monday morning: the office is open, the clock started at 09:00.
    a = assign(decision("questions"), RULES, utc(2026, 11, 21, 12), utc(2026, 11, 23, 9, 5))
    assert (a.team, a.after_hours) == ("questions", False)
    assert a.sla_due_at == utc(2026, 11, 23, 13)
    # Posted on Monday at 10:00 but routed (say, after an outage) at 18:00: care takes it, 1h from 10:00.
    late = assign(decision("questions"), RULES, utc(2026, 11, 23, 10), utc(2026, 11, 23, 18))
    assert (late.team, late.sla_due_at) == ("care", utc(2026, 11, 23, 11))


def test_replaying_gives_the_same_due_times() -> None:
    created = utc(2026, 11, 23, 16)
    first = assign(decision("questions"), RULES, created, utc(2026, 11, 23, 16, 0, 1))
    replay = assign(decision("questions"), RULES, created, utc(2026, 11, 23, 16, 30))
    assert first == replay
    assert first.sla_due_at == utc(2026, 11, 24, 12)  # 1h Monday + 3h Tuesday
    assert first.escalations[0].due_at == utc(2026, 11, 24, 10)  # 2h: 1h Monday + 1h Tuesday


def test_after_hours_chain_is_followed_while_teams_are_closed() -> None:
    # legal (office) -> night (22:00-06:00 weekdays) -> care (24/7)
    night = assign(decision("legal"), RULES, utc(2026, 11, 23, 23), utc(2026, 11, 23, 23))
    assert (night.team, night.sla_due_at) == ("night", utc(2026, 11, 24, 1))
    weekend = assign(decision("legal", tags=(AFTER_HOURS_TAG,)), RULES, utc(2026, 11, 28, 12), utc(2026, 11, 28, 12))
    assert weekend.team == "care"
    assert weekend.tags == (AFTER_HOURS_TAG,)  # added once, not per hop
    holiday = assign(decision("legal"), RULES, utc(2026, 11, 26, 12), utc(2026, 11, 26, 12))  # Thursday holiday
    assert holiday.team == "care"
    open_day = assign(decision("legal"), RULES, utc(2026, 11, 27, 12), utc(2026, 11, 27, 12))
    assert (open_day.team, open_day.sla_due_at) == ("legal", utc(2026, 11, 27, 16))


def test_a_team_without_fallback_keeps_mentions_when_closed() -> None:
    rules = load_rules_text(
        'version: "1"\ntriage_team: t\n'
        "calendars: {office: {timezone: America/New_York, hours: {mon-fri: ['09:00-17:00']}}}\n"
        "teams: [{name: t, calendar: office, sla: 1h}]\nrules: []\n"
    )
    a = assign(decision("t"), rules, utc(2026, 11, 28, 12), utc(2026, 11, 28, 12))
    assert (a.team, a.after_hours) == ("t", False)
    assert a.sla_due_at == utc(2026, 11, 30, 15)  # Monday 10:00 EST


# --- rule actions: sla override, drop --------------------------------------------------------------


def test_rule_sla_override_replaces_the_team_sla_in_open_time() -> None:
    a = assign(decision("questions", sla_override=30 * M), RULES, utc(2026, 11, 27, 16, 50), utc(2026, 11, 27, 16, 50))
    assert a.sla == 30 * M
    assert a.sla_due_at == utc(2026, 11, 30, 9, 20)  # 10 min Friday, 20 min Monday
    assert a.escalations[-1] == EscalationDue(2, utc(2026, 11, 30, 9, 20), "care", None)  # `after: sla` follows it


def test_rule_sla_override_also_applies_after_hours() -> None:
    a = assign(decision("questions", sla_override=30 * M), RULES, utc(2026, 11, 28, 12), utc(2026, 11, 28, 12))
    assert (a.team, a.sla, a.sla_due_at) == ("care", 30 * M, utc(2026, 11, 28, 12, 30))


def test_dropped_mentions_have_no_clock_and_no_fallback() -> None:
    d = decision("questions", tags=("spam",), dropped_reason="likely spam")
    a = assign(d, RULES, utc(2026, 11, 28, 12), utc(2026, 11, 28, 12))  # the office is closed
    assert (a.team, a.topic, a.after_hours) == ("questions", "acme.questions", False)
    assert (a.sla, a.sla_due_at, a.escalations) == (None, None, ())
    assert a.dropped_reason == "likely spam"
    assert a.tags == ("spam",)


def test_decide_then_assign() -> None:
    spam = RULES.decide(mention(intent="spam"))
    assert assign(spam, RULES, utc(2026, 11, 23, 10), utc(2026, 11, 23, 10)).dropped_reason == "likely spam"
    rush = RULES.decide(mention(intent="complaint", priority=40))
    a = assign(rush, RULES, utc(2026, 11, 23, 10), utc(2026, 11, 23, 10))
    assert (a.team, a.sla_due_at, a.tags) == ("questions", utc(2026, 11, 23, 10, 30), ("rush",))


# --- bands, missing SLAs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "band", "sla"),
    [(100, "urgent", 15 * M), (80, "urgent", 15 * M), (79, "high", 30 * M), (60, "high", 30 * M),
     (59, "normal", H), (30, "normal", H), (29, "low", None), (0, "low", None)],
)  # fmt: skip
def test_sla_by_priority_band(priority: int, band: str, sla: timedelta | None) -> None:
    created = utc(2026, 11, 23, 10)
    a = assign(decision("care", priority), RULES, created, created)
    assert (a.priority_band, a.sla) == (band, sla)
    assert a.sla_due_at == (created + sla if sla is not None else None)


def test_no_sla_skips_sla_levels_but_keeps_timed_ones() -> None:
    created = utc(2026, 11, 23, 10)
    low = assign(decision("care", 10), RULES, created, created)  # care has no low band
    assert low.escalations == (EscalationDue(1, created + 10 * M, None, "care-lead"),)
    triage = assign(decision("triage"), RULES, created, created)
    assert (triage.sla, triage.sla_due_at, triage.escalations) == (None, None, ())


def test_unknown_team_gets_no_sla() -> None:
    a = assign(decision("nobody"), RULES, utc(2026, 11, 23, 10), utc(2026, 11, 23, 10))
    assert (a.team, a.sla_due_at, a.topic) == ("nobody", None, "mentions.routed.nobody")


def test_times_in_other_zones_come_out_in_utc() -> None:
    tokyo = datetime(2026, 11, 23, 19, tzinfo=ZoneInfo("Asia/Tokyo"))  # 10:00Z Monday
    a = assign(decision("questions"), RULES, tokyo, tokyo)
    assert a.sla_due_at == utc(2026, 11, 23, 14)
    assert a.sla_due_at is not None
    assert a.sla_due_at.tzinfo is UTC


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        assign(decision("questions"), RULES, datetime(2026, 11, 23, 10), utc(2026, 11, 23, 10))


def test_escalations_fit_the_tracking_schema() -> None:
    a = assign(decision("care", 90), RULES, utc(2026, 11, 23, 10), utc(2026, 11, 23, 10))
    records = [EscalationRecord(**e._asdict()) for e in a.escalations]
    assert [(r.level, r.due_at, r.to_team, r.notify) for r in records] == [
        (1, utc(2026, 11, 23, 10, 10), None, "care-lead"),
        (2, utc(2026, 11, 23, 10, 15), "vip", None),
    ]


def test_hand_built_after_hours_loop_does_not_spin() -> None:
    cal = BusinessCalendar.weekly("c", "UTC", {"mon": ["09:00-10:00"]})
    rules = RuleSet(
        version="1",
        triage_team="a",
        teams={"a": Team("a", calendar="c", after_hours_team="b"), "b": Team("b", calendar="c", after_hours_team="a")},
        rules=(),
        codegen=Codegen(),
        calendars={"c": cal},
    )
    a = assign(decision("a"), rules, utc(2026, 11, 24, 12), utc(2026, 11, 24, 12))
    assert (a.team, a.after_hours) == ("b", True)


# --- the shipped rules -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules(SHIPPED_RULES)


def test_shipped_questions_go_to_care_after_hours(shipped: RuleSet) -> None:
    d = shipped.decide(mention(intent="question"))
    day = assign(d, shipped, utc(2026, 11, 23, 10), utc(2026, 11, 23, 10))
    night = assign(d, shipped, utc(2026, 11, 23, 22), utc(2026, 11, 23, 22))
    assert (day.team, night.team) == ("questions", "care")
    assert AFTER_HOURS_TAG in night.tags
    assert night.sla_due_at is not None
    assert day.sla_due_at is not None
    assert night.sla_due_at - utc(2026, 11, 23, 22) <= 2 * H


def test_shipped_care_escalates_to_vip_at_sla_and_spam_is_dropped(shipped: RuleSet) -> None:
    created = utc(2026, 11, 23, 3)
    care = assign(shipped.decide(mention(intent="complaint", priority=50)), shipped, created, created)
    assert (care.team, care.sla_due_at) == ("care", created + H)
    assert care.escalations[-1].to_team == "vip"
    assert care.escalations[-1].due_at == care.sla_due_at
    spam = assign(shipped.decide(mention(intent="spam", intent_confidence=0.95)), shipped, created, created)
    assert (spam.team, spam.dropped_reason, spam.sla_due_at) == ("spam", "spam", None)
    vip = assign(shipped.decide(mention(priority=90)), shipped, created, created)
    assert (vip.team, vip.sla_due_at) == ("vip", created + 15 * M)


def test_assign_is_fast_enough_per_mention(shipped: RuleSet) -> None:
    d = shipped.decide(mention(intent="question"))
    times = [utc(2026, 11, 23) + timedelta(minutes=17 * i) for i in range(1000)]
    for t in times:
        assign(d, shipped, t, t)
    began = time.perf_counter()
    for t in times:
        assign(d, shipped, t, t)
    per_call = (time.perf_counter() - began) / len(times)
    assert per_call < 200e-6, f"{per_call * 1e6:.1f} µs per assign"


# --- Planner: assign with the time-independent part cached ------------------------------------------


def _decisions(rules: RuleSet) -> list[Decision]:
    teams = sorted(rules.teams)
    found = [decision(team, priority) for team in teams for priority in (10, 40, 65, 90)]
    found += [decision(team, 70, tags=("x",), sla_override=45 * M) for team in teams]
    found += [decision(team, 30, dropped_reason="noise") for team in teams]
    return [*found, decision("not-a-team", 50)]


@pytest.mark.parametrize("which", ["test-rules", "shipped-rules"])
def test_the_planner_assigns_exactly_as_assign(which: str) -> None:
    rules = RULES if which == "test-rules" else load_rules(SHIPPED_RULES)
    planner = Planner(rules)
    # Every 37 minutes and 13 seconds for three weeks across two zones: opening, closing, weekends, holidays.
    start = datetime(2026, 11, 20, 0, 0, 7, 250_000, tzinfo=UTC)
    times = [start + i * timedelta(minutes=37, seconds=13) for i in range(800)]
    times += [t.astimezone(ZoneInfo("America/New_York")) for t in times[::7]]
    for t in times:
        for d in _decisions(rules):
            assert planner.assign(d, t, t) == assign(d, rules, t, t), (d, t)
    later = times[5] + 3 * H  # after-hours fallbacks are judged at routed_at
    questions = decision("questions")
    assert planner.assign(questions, times[5], later) == assign(questions, rules, times[5], later)


def test_the_planner_refuses_naive_times_too() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Planner(RULES).assign(decision("care"), datetime(2026, 11, 23, 10), utc(2026, 11, 23, 10))
