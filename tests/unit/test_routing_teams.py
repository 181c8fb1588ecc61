"""Rules-file teams, calendars, brands and the new rule actions: loading, and errors with line numbers."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streams.routing import (
    ALWAYS,
    PRIORITY_BANDS,
    BusinessCalendar,
    Decision,
    EscalationLevel,
    RuleIssue,
    RulesError,
    RuleSet,
    Team,
    load_rules,
    load_rules_text,
    priority_band,
)
from streams.routing.codegen import Codegen
from tests.unit.test_routing import HEADER, mention

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "streams" / "config" / "rules.yaml"
H = timedelta(hours=1)

FULL = """\
version: "teams-1"
triage_team: triage
brands: [acme, globex]
calendars:
  office:
    timezone: Europe/London
    hours:
      mon-fri: ["09:00-17:00"]
      sat: 10:00-12:00
    holidays: [2026-12-25, "2026-12-28"]
teams:
  - name: care
    sla: {urgent: 15m, high: 1h, normal: 4h}
    escalation:
      - {after: 10m, notify: care-lead}
      - {after: sla, to: vip}
  - name: vip
    sla: 1h
  - name: questions
    calendar: office
    sla: {low: 2d}
    after_hours_team: care
    topic: acme.questions
  - name: spam
  - name: triage
rules:
  - {id: spam, when: {field: enrichment.intent, eq: spam}, then: {team: spam, drop: spam}}
  - {id: fast, when: {field: enrichment.intent, eq: complaint}, then: {team: care, sla: 5m}}
  - {id: q, when: {field: enrichment.intent, eq: question}, then: {team: questions}}
"""


def _issues(text: str) -> list[RuleIssue]:
    with pytest.raises(RulesError) as caught:
        load_rules_text(text, source="rules.yaml")
    return list(caught.value.issues)


def _marked(text: str) -> tuple[str, int]:
    """Text with its '#!' marker line's number (1-based); the marker is stripped."""
    lines = textwrap.dedent(text).lstrip("\n").splitlines(keepends=True)
    line = next(i for i, s in enumerate(lines, start=1) if "#!" in s)
    return "".join(s.replace("#!", "") for s in lines), line


# --- what loads ----------------------------------------------------------------------------------


def test_full_file_loads_every_new_key() -> None:
    rules = load_rules_text(FULL)
    assert rules.brands == ("acme", "globex")
    assert set(rules.calendars) == {"always", "office"}
    office = rules.calendars["office"]
    assert office.timezone == "Europe/London"
    assert office.hours[5] == ((600, 720),)  # a single interval string is accepted
    assert office.hours[6] == ()
    assert {d.isoformat() for d in office.holidays} == {"2026-12-25", "2026-12-28"}
    care = rules.teams["care"]
    assert care.sla == {"urgent": timedelta(minutes=15), "high": H, "normal": 4 * H}
    assert care.sla_for(90) == timedelta(minutes=15)
    assert care.sla_for(10) is None  # no low band
    assert care.calendar == "always"
    assert care.escalation == (
        EscalationLevel(after=timedelta(minutes=10), to=None, notify="care-lead", line=15),
        EscalationLevel(after=None, to="vip", notify=None, line=16),
    )
    assert care.escalation[1].at_sla
    assert rules.teams["vip"].sla == dict.fromkeys(PRIORITY_BANDS, H)  # one duration: every band
    questions = rules.teams["questions"]
    assert (questions.calendar, questions.after_hours_team, questions.topic) == ("office", "care", "acme.questions")
    assert questions.sla == {"low": timedelta(days=2)}
    assert rules.teams["spam"] == Team("spam", line=24)
    assert rules.calendar_of("questions") is office
    assert rules.calendar_of("care") is ALWAYS


def test_topics_and_brand_labels() -> None:
    rules = load_rules_text(FULL)
    assert rules.topic_for("questions") == "acme.questions"
    assert rules.topic_for("care") == "mentions.routed.care"
    assert rules.brand_label("acme") == "acme"
    assert rules.brand_label("initech") == "other"


def test_rules_carry_sla_override_and_drop_into_decisions() -> None:
    rules = load_rules_text(FULL)
    spam = rules.decide(mention(intent="spam"))
    assert (spam.team, spam.dropped_reason, spam.sla_override) == ("spam", "spam", None)
    fast = rules.decide(mention(intent="complaint"))
    assert (fast.team, fast.sla_override, fast.dropped_reason) == ("care", timedelta(minutes=5), None)
    plain = rules.decide(mention(intent="question"))
    assert (plain.sla_override, plain.dropped_reason) == (None, None)
    default = rules.decide(mention(intent="other"))
    assert (default.team, default.sla_override, default.dropped_reason) == ("triage", None, None)


def test_old_files_load_unchanged_with_defaults() -> None:
    rules = load_rules_text(HEADER + "  - {id: r, when: {field: enrichment.intent, eq: spam}, then: {team: hit}}\n")
    assert rules.brands == ()
    assert set(rules.calendars) == {"always"}
    assert rules.teams["hit"] == Team("hit", line=4)
    assert rules.team_descriptions == {"hit": "", "other": "", "triage": ""}
    decision = rules.decide(mention(intent="spam"))
    assert decision == Decision("hit", 20, "r", decision.matched, ())
    assert decision.sla_override is None
    assert decision.dropped_reason is None


def test_ruleset_accepts_plain_descriptions_for_teams() -> None:
    rules = RuleSet(version="1", triage_team="t", teams={"t": "the triage desk"}, rules=(), codegen=Codegen())
    assert rules.teams["t"] == Team("t", "the triage desk")
    assert rules.team_names == ("t",)
    cal = BusinessCalendar.weekly("c", "UTC", {"mon": ["09:00-10:00"]})
    rules = RuleSet(
        version="1", triage_team="t", teams={"t": Team("t", calendar="c")}, rules=(), codegen=Codegen(),
        calendars={"c": cal}, brands=["acme"],
    )  # fmt: skip
    assert rules.calendar_of("t") is cal
    assert rules.brands == ("acme",)


@pytest.mark.parametrize(
    ("priority", "band"), [(0, "low"), (29, "low"), (30, "normal"), (59, "normal"), (60, "high"), (79, "high"),
                           (80, "urgent"), (100, "urgent")],
)  # fmt: skip
def test_priority_bands(priority: int, band: str) -> None:
    assert priority_band(priority) == band


def test_shipped_rules_declare_teams_calendars_and_escalations() -> None:
    rules = load_rules(SHIPPED_RULES)
    assert rules.teams["care"].calendar == "always"
    assert rules.teams["vip"].calendar == "always"
    assert rules.teams["legal"].calendar == "business"
    assert rules.teams["questions"].calendar == "business"
    assert rules.teams["questions"].after_hours_team == "care"
    assert rules.teams["care"].sla_for(50) == H
    assert rules.teams["vip"].sla_for(90) == timedelta(minutes=15)
    assert rules.teams["legal"].sla_for(40) == 4 * H
    assert any(level.at_sla and level.to == "vip" for level in rules.teams["care"].escalation)
    assert any(level.to == "care" for level in rules.teams["triage"].escalation)
    assert rules.calendars["business"].timezone == "Europe/London"
    business = rules.calendars["business"]
    assert business.public_holidays is not None
    assert business.public_holidays.country == "GB"
    christmas = datetime(2030, 12, 25, 12, 0, tzinfo=UTC)  # a Wednesday, years past any hand-made list
    assert not business.is_open(christmas)
    assert business.is_open(christmas + timedelta(days=1, hours=-2)) is False  # Boxing Day, 10:00 local
    assert business.is_open(christmas + timedelta(days=2))  # Friday 27th, noon
    spam = rules.decide(mention(intent="spam", intent_confidence=0.95))
    assert (spam.team, spam.dropped_reason) == ("spam", "spam")
    assert rules.brands


# --- errors, each with its line ------------------------------------------------------------------

TOP = """\
version: "1"
triage_team: triage
"""
RULES = "rules: []\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (  # unknown calendar, with a suggestion
            """
            teams:
              - name: triage
                calendar: ofice   #!
            calendars:
              office: {timezone: UTC, hours: {mon: ["09:00-17:00"]}}
            """,
            "team 'triage': unknown calendar 'ofice' (did you mean 'office'?)",
        ),
        (
            """
            calendars:
              office:
                timezone: Europe/Londn   #!
                hours: {mon: ["09:00-17:00"]}
            teams: [{name: triage}]
            """,
            "calendar 'office': unknown time zone 'Europe/Londn' (did you mean 'Europe/London'?)",
        ),
        (
            """
            calendars:
              office:
                timezone: UTC
                hours:
                  mon: ["9-17"]   #!
            teams: [{name: triage}]
            """,
            "calendar 'office': hours: mon: interval '9-17' must look like 09:00-17:00",
        ),
        (
            """
            calendars:
              office:
                timezone: UTC
                hours:
                  mon-fri: ["09:00-25:00"]   #!
            teams: [{name: triage}]
            """,
            "end 25:00 is not a time of day",
        ),
        (
            """
            calendars:
              office:
                timezone: UTC
                hours:
                  mon-fri: ["09:00-17:00"]
                  wed: ["18:00-20:00"]   #!
            teams: [{name: triage}]
            """,
            "calendar 'office': hours: wed is already given on line 7",
        ),
        (
            """
            calendars:
              office:
                timezone: UTC
                hours:
                  tues: ["09:00-17:00"]   #!
            teams: [{name: triage}]
            """,
            "unknown day 'tues'",
        ),
        (
            """
            calendars:
              office:
                timezone: UTC
                hours:   #!
                  sat: []
                  sun: []
            teams: [{name: triage}]
            """,
            "calendar 'office' has no opening hours",
        ),
        (
            """
            calendars:
              office:   #!
                hours: {mon: ["09:00-17:00"]}
            teams: [{name: triage}]
            """,
            "calendar 'office': missing required key 'timezone'",
        ),
        (
            """
            calendars:
              office:
                timezone: UTC
                hours: {mon: ["09:00-17:00"]}
                holidays: [2026-12-25, 2026-13-01]   #!
            teams: [{name: triage}]
            """,
            "holiday must be a date such as 2026-12-25, got '2026-13-01'",
        ),
        (
            """
            calendars:
              office:
                timezone: UTC
                hours: {mon: ["09:00-17:00"]}
                holidays:
                  - 2026-12-25
                  - 2026-12-25   #!
            teams: [{name: triage}]
            """,
            "holiday 2026-12-25 is already listed on line 8",
        ),
        (
            """
            calendars:
              office:
                timezone: UTC
                hours: {mon: ["09:00-17:00"]}
                holidays: ["20261225"]   #!
            teams: [{name: triage}]
            """,
            "holiday must be a date such as 2026-12-25, got '20261225'",
        ),
        (
            """
            calendars:
              always:   #!
                timezone: UTC
                hours: {mon: ["09:00-17:00"]}
            teams: [{name: triage}]
            """,
            "calendar name 'always' is built in",
        ),
        (
            """
            calendars:
              office:
                timezone: UTC
                hours: {mon: ["09:00-17:00"]}
                openings: []   #!
            teams: [{name: triage}]
            """,
            "calendar 'office': unknown key 'openings'",
        ),
        (
            """
            brands: [acme, other]   #!
            teams: [{name: triage}]
            """,
            "brand 'other' is reserved",
        ),
        (
            """
            brands:
              - acme
              - acme   #!
            teams: [{name: triage}]
            """,
            "brand 'acme' is already listed on line 4",
        ),
        (
            """
            teams:
              - name: triage
                sla: {urgent: 15m, normal: 4 hours}   #!
            """,
            "team 'triage': sla: normal: duration '4 hours' must look like 15m",
        ),
        (
            """
            teams:
              - name: triage
                sla:
                  urgnt: 15m   #!
            """,
            "team 'triage': sla: unknown priority band 'urgnt' (did you mean 'urgent'?)",
        ),
        (
            """
            teams:
              - name: triage
                sla: {high: 90}   #!
            """,
            "team 'triage': sla: high must be a duration such as 15m, 4h, 1h30m or 2d, got a number (90)",
        ),
        (
            """
            teams:
              - name: triage
                sla: 0m   #!
            """,
            "team 'triage': sla must be longer than zero",
        ),
        (
            """
            teams:
              - name: triage
              - name: care
                after_hours_team: triag   #!
            """,
            "team 'care': unknown after_hours_team 'triag' (did you mean 'triage'?)",
        ),
        (
            """
            calendars:
              office: {timezone: UTC, hours: {mon: ["09:00-17:00"]}}
            teams:
              - name: triage
                calendar: office
                after_hours_team: triage   #!
            """,
            "team 'triage': after_hours_team is the team itself",
        ),
        (
            """
            teams:
              - name: triage
              - name: care
                after_hours_team: triage   #!
            """,
            "team 'care': after_hours_team never applies: the team's calendar is 'always'",
        ),
        (  # an after-hours chain that loops
            """
            calendars:
              office: {timezone: UTC, hours: {mon: ["09:00-17:00"]}}
            teams:
              - name: triage
              - name: a
                calendar: office
                after_hours_team: b   #!
              - name: b
                calendar: office
                after_hours_team: a
            """,
            "team 'a': after_hours_team chain loops: a -> b -> a",
        ),
        (
            """
            teams:
              - name: triage
                sla: 1h
                escalation:
                  - {after: 30m, to: car}   #!
              - name: care
            """,
            "team 'triage': escalation level 1: unknown team 'car' (did you mean 'care'?)",
        ),
        (
            """
            teams:
              - name: triage
                sla: 1h
                escalation:
                  - {after: 30m, to: triage}   #!
            """,
            "team 'triage': escalation level 1: escalates to the team itself",
        ),
        (  # an escalation cycle: triage -> care -> vip -> triage
            """
            teams:
              - name: triage
                escalation: [{after: 1h, to: care}]
              - name: care
                escalation: [{after: 1h, to: vip}]
              - name: vip
                escalation:
                  - {after: 1h, to: triage}   #!
            """,
            "team 'vip': escalation loops: triage -> care -> vip -> triage",
        ),
        (
            """
            teams:
              - name: triage
                sla: 1h
                escalation:
                  - {after: soon, to: triage}   #!
            """,
            "team 'triage': escalation level 1: after: duration 'soon' must look like 15m",
        ),
        (
            """
            teams:
              - name: triage
                escalation:
                  - {after: sla, notify: boss}   #!
            """,
            "'after: sla' needs an SLA, but team 'triage' has no sla and no rule sets one for it",
        ),
        (
            """
            teams:
              - name: triage
                escalation:
                  - {after: 1h}   #!
            """,
            "team 'triage': escalation level 1: give 'to' (a team to re-route to), 'notify', or both",
        ),
        (
            """
            teams:
              - name: triage
                escalation:
                  - {to: care}   #!
              - name: care
            """,
            "escalation level 1: missing required key 'after'",
        ),
        (
            """
            teams:
              - name: triage
                escalation:
                  - {after: 1h, notify: lead}
                  - {after: 30m, notify: boss}   #!
            """,
            "escalation level 2 (after 30m) would fire before level 1 (after 1h); list levels in the order they fire",
        ),
        (  # `after: sla` is 30m for urgent mentions, before the 45m level listed first
            """
            teams:
              - name: triage
                sla: {urgent: 30m, low: 2h}
                escalation:
                  - {after: 45m, notify: lead}
                  - {after: sla, notify: boss}   #!
            """,
            "escalation level 2 (after sla, 30m for urgent mentions) would fire before level 1 (after 45m)",
        ),
        (
            """
            teams:
              - name: triage
                topic: "mentions/triage"   #!
            """,
            "team 'triage': topic 'mentions/triage' must match",
        ),
        (
            """
            teams:
              - name: triage
              - name: care
                topic: mentions.routed.triage   #!
            """,
            "team 'care': topic 'mentions.routed.triage' is already team 'triage''s topic",
        ),
        (
            """
            teams:
              - name: triage
                sla: {urgent: 1h}
                escalation: {after: 1h, notify: x}   #!
            """,
            "team 'triage': escalation must be a list, got a mapping",
        ),
    ],
)
def test_team_and_calendar_errors_have_line_numbers(body: str, message: str) -> None:
    text, line = _marked(body)
    issues = _issues(TOP + text + RULES)
    assert [(i.line, message in i.message) for i in issues] == [(line + 2, True)], issues


@pytest.mark.parametrize(
    ("then", "message"),
    [
        ("{team: hit, sla: 1 hour}", "rule 'r': sla: duration '1 hour' must look like 15m"),
        ("{team: hit, sla: 0m}", "rule 'r': sla must be longer than zero"),
        ("{team: hit, drop: ''}", "rule 'r': drop (the reason) must be a non-empty string"),
        ("{team: hit, drop: [spam]}", "rule 'r': drop (the reason) must be a non-empty string, got a list"),
        ("{team: hit, drop: spam, sla: 1h}", "rule 'r': a dropped mention has no SLA clock"),
        ("{team: hit, slaa: 1h}", "unknown key 'slaa' (did you mean 'sla'?)"),
    ],
)
def test_rule_action_errors_have_line_numbers(then: str, message: str) -> None:
    text = HEADER + "  - id: r\n    when: {field: enrichment.intent, eq: spam}\n" + f"    then: {then}\n"
    issues = _issues(text)
    assert [(i.line, message in i.message) for i in issues] == [(10, True)], issues


def test_rule_sla_makes_after_sla_escalation_valid() -> None:
    text = (
        'version: "1"\ntriage_team: triage\n'
        "teams:\n  - name: triage\n  - name: care\n    escalation: [{after: sla, notify: lead}]\n"
        "rules:\n  - {id: r, when: {field: enrichment.intent, eq: complaint}, then: {team: care, sla: 20m}}\n"
    )
    rules = load_rules_text(text)
    assert rules.teams["care"].escalation[0].at_sla


def test_after_hours_chain_without_loop_is_allowed() -> None:
    text = (
        'version: "1"\ntriage_team: triage\n'
        "calendars:\n  office: {timezone: UTC, hours: {mon-fri: ['09:00-17:00']}}\n"
        "teams:\n  - name: triage\n"
        "  - {name: a, calendar: office, after_hours_team: b}\n"
        "  - {name: b, calendar: office, after_hours_team: triage}\n"
        "rules: []\n"
    )
    rules = load_rules_text(text)
    assert rules.teams["a"].after_hours_team == "b"
    assert rules.teams["b"].after_hours_team == "triage"


def test_escalations_may_share_a_target_without_a_loop() -> None:
    text = (
        'version: "1"\ntriage_team: triage\n'
        "teams:\n"
        "  - {name: triage, escalation: [{after: 1h, to: care}, {after: 2h, to: vip}]}\n"
        "  - {name: care, escalation: [{after: 1h, to: vip}]}\n"
        "  - {name: vip}\n"
        "rules: []\n"
    )
    assert [lv.to for lv in load_rules_text(text).teams["triage"].escalation] == ["care", "vip"]


def test_all_new_errors_reported_together_in_line_order() -> None:
    text = (
        'version: "1"\n'
        "triage_team: triage\n"
        "calendars:\n"
        "  office: {timezone: Mars/Olympus, hours: {mon: ['09:00-17:00']}}\n"  # 4
        "teams:\n"
        "  - name: triage\n"
        "    sla: {urgent: fast}\n"  # 7
        "    calendar: nowhere\n"  # 8
        "rules: []\n"
    )
    assert [i.line for i in _issues(text)] == [4, 7, 8]


def test_check_reports_a_line_for_a_broken_shipped_style_file(tmp_path: Path) -> None:
    broken = SHIPPED_RULES.read_text().replace("after_hours_team: care", "after_hours_team: caer", 1)
    path = tmp_path / "rules.yaml"
    path.write_text(broken)
    from streams.routing import check_rules_file

    (issue,) = check_rules_file(path)
    line = next(i for i, s in enumerate(broken.splitlines(), 1) if "after_hours_team: caer" in s)
    assert issue.line == line
    assert "unknown after_hours_team 'caer' (did you mean 'care'?)" in issue.message


def test_an_impossible_yaml_date_is_an_issue_not_a_crash() -> None:
    # PyYAML turns 2026-13-01 into a date and lets datetime raise ValueError while constructing it.
    (issue,) = _issues("version: 2026-13-01\ntriage_team: triage\nteams: [{name: triage}]\nrules: []\n")
    assert issue.line == 1
    assert "invalid YAML value '2026-13-01'" in issue.message
