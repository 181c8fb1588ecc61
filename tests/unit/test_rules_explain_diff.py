"""`rules explain` and `rules diff` as pure logic: plain values, no Kafka."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime

import pytest

from schemas import EnrichedMention
from streams.routing import load_rules, load_rules_text
from streams.routing.bench import synthetic_mentions
from streams.routing.diff import RulesDiff, format_report, to_dict
from streams.routing.explain import ConditionTrace, Explainer, GroupTrace, format_explanation
from streams.routing.explain import to_dict as explanation_dict
from streams.routing.router import Router
from streams.rules_tools import SubjectError, read_subject
from streams.runtime.records import Output
from streams.topics import TopicNames
from tests.unit.test_routing import SHIPPED_RULES, mention

RULES = textwrap.dedent(
    """\
    version: "v1"
    triage_team: triage
    calendars:
      office: {timezone: Europe/London, hours: {mon-fri: ["09:00-17:00"]}}
    teams:
      - {name: care, sla: {urgent: 15m, high: 1h, normal: 4h, low: 1d}}
      - {name: vip, sla: 30m, escalation: [{after: 10m, notify: lead}, {after: sla, to: care}]}
      - {name: sales, calendar: office, sla: 2h, after_hours_team: care}
      - name: triage
    rules:
      - id: vip
        when: {any: [{field: mention.author.verified, eq: true}, {field: mention.author.followers, gte: 10000}]}
        then: {team: vip, raise_priority: 30}
      - id: complaints
        when: {all: [{field: enrichment.intent, eq: complaint}, {not: {field: mention.text, matches: "(?i)spam"}}]}
        then: {team: care}
      - id: leads
        when: {field: enrichment.intent, eq: feedback}
        then: {team: sales}
    """
)


def rules_v2() -> str:
    """Complaints from big accounts go to care now; questions get a rule of their own."""
    return (
        RULES.replace('version: "v1"', 'version: "v2"')
        .replace("gte: 10000}", "gte: 100000}")
        .replace(
            "  - id: leads",
            "  - id: questions\n    when: {field: enrichment.intent, eq: question}\n"
            "    then: {team: care, priority: 70}\n  - id: leads",
        )
    )


AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday, office open


# ------------------------------------------------------------------------------------------------ explain


def test_explain_reports_every_rule_tried_and_each_condition_with_its_value() -> None:
    rules = load_rules_text(RULES)
    enriched = mention(intent="complaint", followers=50, text="my order is late")
    explanation = Explainer(rules).explain(enriched, AT)
    assert [t.rule_id for t in explanation.tried] == ["vip", "complaints"]
    vip, complaints = explanation.tried
    assert not vip.held
    assert complaints.held
    assert isinstance(vip.condition, GroupTrace)
    assert vip.condition.kind == "any"
    leaves = vip.condition.children
    assert leaves == (
        ConditionTrace("mention.author.verified", "eq", True, False, False),
        ConditionTrace("mention.author.followers", "gte", 10000, 50, False),
    )
    assert isinstance(complaints.condition, GroupTrace)
    negated = complaints.condition.children[1]
    assert negated == ConditionTrace("mention.text", "not matches", "(?i)spam", "my order is late", True)
    assert explanation.decision.rule_id == "complaints"
    assert explanation.plan.team == "care"
    assert explanation.route.sla_due_at == enriched.mention.created_at + (explanation.plan.sla or 0)  # type: ignore[operator]


def test_explain_agrees_with_routing_on_every_shipped_rule_path() -> None:
    """The same team, rule, matched conditions, tags, SLA due time as the routed record, over varied mentions."""
    rules = load_rules(SHIPPED_RULES)
    explainer = Explainer(rules)
    router = Router(TopicNames(), rules, redact_text=False, now=lambda: AT)
    decided: set[str] = set()
    for enriched in synthetic_mentions(400, seed=7):
        out: list[Output] = []
        router.route_model(enriched, enriched.model_dump_json().encode(), None, out)
        routed = json.loads(out[0].value or b"")["route"]
        explanation = explainer.explain(enriched, AT)
        route = explanation.route.model_dump(mode="json")
        for name in ("team", "priority", "rule_id", "matched", "tags", "sla_due_at", "dropped_reason"):
            assert route[name] == routed[name], name
        decided.add(explanation.decision.rule_id)
    assert len(decided) >= 5  # the sample reaches most rules, not one


def test_explain_names_the_triage_default_and_after_hours_plan() -> None:
    rules = load_rules_text(RULES)
    saturday = mention(intent="other")
    explanation = Explainer(rules).explain(saturday, AT)
    assert explanation.decision.rule_id == "default"
    assert explanation.plan.team == "triage"
    assert len(explanation.tried) == 3
    assert not any(t.held for t in explanation.tried)
    assert "no rule holds: the triage team triage gets it" in format_explanation(explanation)
    doc = mention(intent="feedback").model_dump(mode="json")
    doc["mention"]["created_at"] = "2026-11-23T22:00:00+00:00"  # the office is closed
    late = EnrichedMention.model_validate(doc)
    text = format_explanation(Explainer(rules).explain(late, AT))
    assert "team: care (after hours; decided sales)" in text


def test_explain_lists_escalations_and_the_json_form_round_trips() -> None:
    rules = load_rules_text(RULES)
    explanation = Explainer(rules).explain(mention(verified=True), AT)
    text = format_explanation(explanation)
    assert "escalation 1: at 2026-11-23T12:10:00+00:00, notify lead" in text
    assert "escalation 2: at 2026-11-23T12:30:00+00:00, re-route to care" in text
    doc = json.loads(json.dumps(explanation_dict(explanation)))
    assert doc["rule_id"] == "vip"
    assert doc["route"]["team"] == "vip"
    assert doc["tried"][0]["condition"]["any"][0] == {
        "field": "mention.author.verified", "op": "eq", "expected": True, "actual": True, "held": True,
    }  # fmt: skip


def test_subject_reads_routed_enriched_and_raw_mentions_and_refuses_the_rest() -> None:
    rules = load_rules_text(RULES)
    enriched = mention(intent="complaint")
    out: list[Output] = []
    Router(TopicNames(), rules, now=lambda: AT).route_model(enriched, enriched.model_dump_json().encode(), None, out)
    routed = read_subject(out[0].value or b"")
    assert routed.kind == "routed"
    assert routed.route is not None
    explanation = Explainer(rules).explain(routed.enriched, AT)
    assert routed.agrees(explanation.route)
    other = Explainer(load_rules_text(RULES.replace("then: {team: care}", "then: {team: vip}"))).explain(
        routed.enriched, AT
    )
    assert "team" in routed.differences(other.route)
    assert read_subject(enriched.model_dump_json().encode()).kind == "enriched"
    raw = read_subject(enriched.mention.model_dump_json().encode())
    assert raw.kind == "raw"
    assert raw.enriched.enrichment.language == "en"
    assert raw.notes
    for bad in (b"[1]", b"{not json", b'{"mention": {"id": 3}}', b'{"text": "no id"}'):
        with pytest.raises(SubjectError):
            read_subject(bad)


# --------------------------------------------------------------------------------------------------- diff


def _records(mentions: list[EnrichedMention]) -> list[bytes]:
    return [m.model_dump_json().encode() for m in mentions]


def test_diff_counts_moves_rules_priorities_and_sla_shifts_exactly() -> None:
    history = [
        mention(followers=50_000, intent="complaint"),  # vip -> care (followers rule tightened)
        mention(followers=50_000, intent="complaint"),
        mention(verified=True, intent="complaint"),  # vip both times
        mention(intent="question"),  # triage -> care via the new rule, priority 20 -> 70
        mention(intent="complaint"),  # care both times
        mention(intent="feedback"),  # sales both times
    ]
    diff = RulesDiff(load_rules_text(RULES), load_rules_text(rules_v2()), examples=1)
    for value in [*_records(history), b"not json", b'{"mention": {}}']:
        diff.add(value)
    report = diff.report
    assert (report.read, report.decided, report.skipped) == (8, 6, 2)
    assert dict(report.moves) == {("vip", "care"): 2, ("triage", "care"): 1}
    assert report.teams_before == {"vip": 3, "triage": 1, "care": 1, "sales": 1}
    assert report.teams_after == {"vip": 1, "care": 4, "sales": 1}
    assert report.rule_changes() == {"complaints": 2, "default": -1, "questions": 1, "vip": -2}
    assert (report.priority_up, report.priority_down) == (1, 2)  # questions 20 -> 70; vip's +30 lost twice
    assert report.bands == {("low", "high"): 1, ("normal", "low"): 2}
    # vip 30m -> care's 1d band for low priority (later); triage had no SLA, care's question has 1h (added)
    assert (report.sla_later, report.sla_earlier, report.sla_added, report.sla_removed) == (2, 0, 1, 0)
    assert report.shift_summary() == {"median": 84600.0, "min": 84600.0, "max": 84600.0}
    assert len(report.examples[("vip", "care")]) == 1
    text = format_report(report)
    assert "vip -> care: 2" in text
    assert "decisions per rule: complaints +2, default -1, questions +1, vip -2" in text
    doc = json.loads(json.dumps(to_dict(report)))
    assert doc["moved"] == 3
    assert doc["moves"][0] == {
        "from": "vip",
        "to": "care",
        "count": 2,
        "examples": [{"mention_id": "twitter:1", "text": "hello acme"}],
    }


def test_diff_of_identical_rules_reports_no_change() -> None:
    rules = load_rules(SHIPPED_RULES)
    diff = RulesDiff(rules, load_rules(SHIPPED_RULES))
    for value in _records(list(synthetic_mentions(300, seed=3))):
        diff.add(value)
    assert diff.report.decided == 300
    assert not diff.report.moves
    assert not diff.report.rule_changes()
    assert "no mention would be decided differently" in format_report(diff.report)


def test_diff_examples_show_redacted_text_shortened() -> None:
    secret = mention(intent="question", text="call me on 07700 900123 " + "x" * 200)
    redacted = secret.model_copy(
        update={"enrichment": secret.enrichment.model_copy(update={"redacted_text": "call me on [PHONE] " + "x" * 200})}
    )
    diff = RulesDiff(load_rules_text(RULES), load_rules_text(rules_v2()))
    diff.add(redacted.model_dump_json().encode())
    (example,) = diff.report.examples[("triage", "care")]
    assert example.text.startswith("call me on [PHONE]")
    assert "07700" not in example.text
    assert len(example.text) == 100
    assert example.text.endswith("…")


def test_routed_records_and_explanations_quote_only_the_redacted_text() -> None:
    quoting = RULES.replace(
        '{not: {field: mention.text, matches: "(?i)spam"}}', '{field: mention.text, matches: "call"}'
    )
    rules = load_rules_text(quoting)
    secret = mention(intent="complaint", text="call me on 07700 900123 about my order")
    enrichment = secret.enrichment.model_copy(update={"redacted_text": "call me on [PHONE] about my order"})
    enriched = secret.model_copy(update={"enrichment": enrichment})
    out: list[Output] = []
    Router(TopicNames(), rules, now=lambda: AT).route_model(enriched, enriched.model_dump_json().encode(), None, out)
    record = out[0].value or b""
    assert b"07700" not in record
    routed = read_subject(record)
    assert routed.route is not None
    assert [m.actual for m in routed.route.matched if m.field == "mention.text"] == [
        "call me on [PHONE] about my order"
    ]
    explanation = Explainer(rules).explain(enriched, AT)
    assert routed.agrees(explanation.route)
    assert "07700" not in format_explanation(explanation)
    assert "07700" in format_explanation(Explainer(rules, redact_text=False).explain(enriched, AT))
