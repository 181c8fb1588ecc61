"""The route stage reads enriched records with orjson (``streams.routing.jsonread``) instead of pydantic.

What must hold: the same routed record, assignment and decision as from the validated model, byte for
byte; and a malformed record still fails with the schema's own ValidationError, so the worker
dead-letters it with its reason and original bytes, and publishes nothing for it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from schemas import Assignment, DeadLetterReason, EnrichedMention, Mention, RoutedMention
from schemas.enriched import Wave
from streams.agents.route import RouteAgent
from streams.enrich import Enricher
from streams.metrics import Metrics
from streams.routing import RuleSet, load_rules, load_rules_text
from streams.routing.jsonread import MISSING, MalformedRecordError, inline_test, read_enriched, reader_for
from streams.routing.output import RouteWriter
from streams.routing.sla import assign
from streams.runtime.dead_letters import dead_letter
from streams.runtime.records import Output, Record
from streams.settings import DEFAULT_RULES
from streams.sources.generator import generate
from streams.topics import TopicNames
from tests.factories import make_mention

ROUTED_AT = datetime(2026, 11, 29, 10, 15, 30, 123456, tzinfo=UTC)

# Every kind of field a rule can read, including below the nullable wave and metadata keys.
WIDE_RULES = """
version: "wide-1"
triage_team: triage
teams:
  - name: triage
    sla: 2h
    escalation: [{after: 30m, notify: lead}, {after: sla, to: care}]
  - name: care
    sla: {urgent: 15m, high: 1h, normal: 4h}
  - name: incidents
rules:
  - id: waves
    when: {all: [{field: enrichment.wave.size, gte: 3}, {field: enrichment.wave.id, exists: true}]}
    then: {team: incidents, tags: [wave]}
  - id: vip-segment
    when: {any: [{field: mention.metadata.segment, eq: vip}, {field: mention.metadata.score, gt: 5}]}
    then: {team: care, raise_priority: 10}
  - id: loud
    when:
      all:
        - {field: mention.author.followers, gte: 1000}
        - {not: {field: mention.author.verified, eq: true}}
    then: {team: care}
  - id: threads
    when: {all: [{field: mention.conversation_id, exists: true}, {field: mention.in_reply_to_id, exists: true}]}
    then: {team: care, priority: 40}
  - id: words
    when:
      any:
        - {field: mention.text, matches: "(?i)refund|cancel"}
        - {field: enrichment.topics, contains: billing}
        - {field: enrichment.urgency, exists: true}
    then: {team: care, tags: [words]}
  - id: moods
    when:
      all:
        - {field: enrichment.sentiment.label, in: [negative, neutral]}
        - {field: enrichment.sentiment.score, lt: 0.2}
        - {field: enrichment.language_confidence, gte: 0.5}
        - {field: mention.channel, ne: email}
        - {field: enrichment.intent, not_in: [spam]}
        - {field: enrichment.customer_tier, exists: false}
        - {field: enrichment.influence, eq: standard}
    then: {team: care, sla: 45m}
  - id: dated
    when: {field: mention.created_at, exists: true}
    then: {team: triage, raise_priority: -5}
"""


@cache
def _samples() -> tuple[EnrichedMention, ...]:
    """Generated mentions, enriched; a third in a wave, some with metadata the rules test."""
    enricher = Enricher()
    out: list[EnrichedMention] = []
    for n, generated in enumerate(generate(260, seed=11, start=datetime(2026, 11, 27, 6, 0, tzinfo=UTC))):
        try:
            mention = Mention.model_validate_json(generated.value)
        except ValidationError:
            continue  # the generator's deliberately bad records
        if n % 4 == 1:
            mention = mention.model_copy(update={"metadata": {"segment": "vip" if n % 8 == 1 else "smb", "score": n}})
        enrichment = enricher.enrich(mention)
        if n % 3 == 0:
            enrichment = enrichment.model_copy(update={"wave": Wave(id=f"w{n % 5}", size=1 + n % 6)})
        out.append(EnrichedMention(mention=mention, enrichment=enrichment, ingested_at=mention.created_at))
    return tuple(out)


def _agent(rules: RuleSet, **kwargs: Any) -> RouteAgent:
    return RouteAgent(TopicNames(prefix="t."), Metrics(CollectorRegistry()), rules, now=lambda: ROUTED_AT, **kwargs)


def _record(value: bytes) -> Record:
    return Record("t.mentions.enriched", 0, 5, 1_000, b"k", value)


def _via_model(agent: RouteAgent, value: bytes) -> list[Output]:
    out: list[Output] = []
    agent.router.route_model(EnrichedMention.model_validate_json(value), value, _record(value).timestamp, out)
    return out


@pytest.mark.parametrize("rules_text", [None, WIDE_RULES], ids=["shipped-rules", "wide-rules"])
def test_the_orjson_path_writes_what_the_validated_model_path_writes(rules_text: str | None) -> None:
    rules = load_rules(DEFAULT_RULES) if rules_text is None else load_rules_text(rules_text)
    agent = _agent(rules, redact_text=False)
    teams, rule_ids = set(), set()
    for enriched in _samples():
        value = enriched.model_dump_json().encode()
        view = read_enriched(value)  # the fast path applies: it raises nothing for a well-formed record
        decision = rules.decide_json(view.doc)
        assert decision == rules.decide(enriched)
        out: list[Output] = []
        agent.handle(_record(value), out)
        assert out == _via_model(agent, value)
        teams.add(decision.team)
        rule_ids.add(decision.rule_id)
    assert len(teams) >= 3, "the samples exercise several teams"
    assert len(rule_ids) >= 4, "... and several rules"


def test_route_json_is_the_route_models_json() -> None:
    rules = load_rules_text(WIDE_RULES)
    writer = RouteWriter(rules.version)
    for enriched in _samples()[:80]:
        decision = rules.decide(enriched)
        plan = assign(decision, rules, enriched.mention.created_at, enriched.mention.created_at)
        for rerouted in (False, True):
            routed = orjson.loads(enriched.model_dump_json())
            routed["route"] = orjson.loads(writer.route_json(decision, plan, ROUTED_AT, rerouted))
            model = RoutedMention.model_validate(routed)
            assert writer.route_json(decision, plan, ROUTED_AT, rerouted) == model.route.model_dump_json().encode()
            assert model.route.rerouted is rerouted


def test_assignments_from_the_fast_path_validate_and_carry_the_routed_record_when_an_escalation_moves_it() -> None:
    agent = _agent(load_rules_text(WIDE_RULES))
    carried = 0
    for enriched in _samples():
        out: list[Output] = []
        agent.handle(_record(enriched.model_dump_json().encode()), out)
        [routed, assignment_output] = out
        assert assignment_output.value is not None
        assignment = Assignment.model_validate_json(assignment_output.value)
        assert assignment.mention_id == enriched.mention.id
        assert assignment.created_at == enriched.mention.created_at
        if assignment.routed_record is not None:
            carried += 1
            assert assignment.routed_record.encode() == routed.value
            assert any(level.to_team for level in assignment.escalations)
    assert carried > 0


# ----------------------------------------------------------------------------------- malformed records


def _valid_doc() -> dict[str, Any]:
    enriched = _samples()[0]
    doc: dict[str, Any] = json.loads(enriched.model_dump_json())
    return doc


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for name in parents:
            doc = doc[name]
        if value is MISSING:
            del doc[last]
        else:
            doc[last] = value

    return change


MALFORMED: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("no mention id", _set("mention.id", MISSING), "mention.id"),
    ("empty mention id", _set("mention.id", ""), "mention.id"),
    ("unknown channel", _set("mention.channel", "myspace"), "mention.channel"),
    ("no native id", _set("mention.native_id", MISSING), "mention.native_id"),
    ("author is a string", _set("mention.author", "casey"), "mention.author"),
    ("no author handle", _set("mention.author.handle", MISSING), "mention.author.handle"),
    ("created_at not a time", _set("mention.created_at", "yesterday"), "mention.created_at"),
    ("created_at without zone", _set("mention.created_at", "2026-11-29T10:00:00"), "mention.created_at"),
    ("no ingested_at", _set("ingested_at", MISSING), "ingested_at"),
    ("hour-only offset", _set("mention.created_at", "2026-11-29T10:00:00+05"), "mention.created_at"),
    ("offset with seconds", _set("mention.created_at", "2026-11-29T10:00:00+05:30:15"), "mention.created_at"),
    ("fraction without digits", _set("ingested_at", "2026-11-29T10:00:00.Z"), "ingested_at"),
    ("space before the zone", _set("ingested_at", "2026-11-29T10:00:00 Z"), "ingested_at"),
    ("priority out of range", _set("enrichment.priority", 150), "enrichment.priority"),
    ("priority null", _set("enrichment.priority", None), "enrichment.priority"),
    ("score out of range", _set("enrichment.sentiment.score", -3.5), "enrichment.sentiment.score"),
    ("unknown intent", _set("enrichment.intent", "rant"), "enrichment.intent"),
    ("urgency not a list", _set("enrichment.urgency", {"outage": 1}), "enrichment.urgency"),
    ("urgency items not strings", _set("enrichment.urgency", [1, 2]), "enrichment.urgency"),
    ("no sentiment", _set("enrichment.sentiment", MISSING), "enrichment.sentiment"),
    ("wave without size", _set("enrichment.wave", {"id": "w1"}), "enrichment.wave.size"),
    ("metadata value a list", _set("mention.metadata", {"segment": ["vip"]}), "mention.metadata.segment"),
    ("redacted text a number", _set("enrichment.redacted_text", 7), "enrichment.redacted_text"),
]


@pytest.mark.parametrize(("change", "field"), [(c, f) for _, c, f in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_a_malformed_record_is_dead_lettered_as_a_schema_violation_naming_the_field(
    change: Callable[[dict[str, Any]], None], field: str
) -> None:
    doc = _valid_doc()
    change(doc)
    value = json.dumps(doc).encode()
    for rules in (load_rules(DEFAULT_RULES), load_rules_text(WIDE_RULES)):
        out: list[Output] = []
        with pytest.raises(ValidationError) as raised:
            _agent(rules).handle(_record(value), out)
        assert out == [], "nothing is published for a record that fails"
        letter = dead_letter(_record(value), "route", raised.value)
        assert letter.reason is DeadLetterReason.SCHEMA_VIOLATION
        assert field in letter.error_message
        assert base64.b64decode(letter.original_value_b64) == value


@pytest.mark.parametrize("value", [b"", b"{not json", b'{"mention": ', b"\xff\xfe"])
def test_a_record_that_is_not_json_is_dead_lettered_as_undecodable(value: bytes) -> None:
    out: list[Output] = []
    with pytest.raises(ValidationError) as raised:
        _agent(load_rules(DEFAULT_RULES)).handle(_record(value), out)
    assert out == []
    letter = dead_letter(_record(value), "route", raised.value)
    assert letter.reason is DeadLetterReason.UNDECODABLE
    assert base64.b64decode(letter.original_value_b64) == value


@pytest.mark.parametrize("value", [b"[]", b"42", b'"a string"', b"null"])
def test_json_that_is_not_an_object_is_a_schema_violation(value: bytes) -> None:
    with pytest.raises(ValidationError) as raised:
        _agent(load_rules(DEFAULT_RULES)).handle(_record(value), [])
    assert dead_letter(_record(value), "route", raised.value).reason is DeadLetterReason.SCHEMA_VIOLATION


def test_a_spelling_only_pydantic_accepts_is_routed_from_the_model() -> None:
    """Lax JSON the reader refuses (a number in a string, a unix timestamp) still routes, as before."""
    doc = _valid_doc()
    doc["enrichment"]["priority"] = str(doc["enrichment"]["priority"])
    doc["mention"]["created_at"] = int(datetime.fromisoformat(doc["mention"]["created_at"]).timestamp())
    value = json.dumps(doc).encode()
    with pytest.raises(MalformedRecordError):
        read_enriched(value)
    agent = _agent(load_rules(DEFAULT_RULES))
    out: list[Output] = []
    agent.handle(_record(value), out)
    assert out == _via_model(agent, value)
    assert out[0].value is not None
    routed = RoutedMention.model_validate_json(out[0].value)
    assert routed.enrichment.priority == int(doc["enrichment"]["priority"])


# --------------------------------------------------------------------------------------- the readers


def test_absent_members_read_as_their_schema_defaults() -> None:
    assert reader_for("enrichment.intent")(MISSING) == "other"
    assert reader_for("enrichment.urgency")(MISSING) == ()
    assert reader_for("enrichment.wave")(MISSING) is None
    assert reader_for("mention.metadata")(MISSING) == {}
    assert reader_for("mention.author.followers")(MISSING) == 0
    assert reader_for("mention.metadata.segment")(None) is None
    assert reader_for("enrichment.sentiment.score")(0) == 0.0
    assert isinstance(reader_for("enrichment.sentiment.score")(0), float)
    with pytest.raises(MalformedRecordError, match=r"enrichment.priority: required member missing"):
        reader_for("enrichment.priority")(MISSING)
    with pytest.raises(MalformedRecordError, match=r"mention.author.verified: must be true or false"):
        reader_for("mention.author.verified")("yes")
    with pytest.raises(MalformedRecordError, match=r"mention.author.followers: -1 is out of range"):
        reader_for("mention.author.followers")(-1)
    with pytest.raises(MalformedRecordError, match=r"enrichment.priority: must be an integer"):
        reader_for("enrichment.priority")(True)
    created_at = reader_for("mention.created_at")
    assert created_at("2026-11-29T10:00:00.5+05:30") == datetime(2026, 11, 29, 4, 30, 0, 500_000, tzinfo=UTC)
    for text in ("2026-W48-7T10:00:00+00:00", "2026-333T10:00:00+00:00", "20261129T100000Z", "2026-11-29"):
        with pytest.raises(MalformedRecordError, match=r"mention.created_at: not an ISO 8601 timestamp"):
            created_at(text)


@pytest.mark.parametrize(
    ("path", "values"),
    [
        ("enrichment.priority", [0, 100, -1, 101, 5.0, True, None, "5"]),
        ("enrichment.intent_confidence", [0.0, 1.0, 0.5, 1.5, -0.1, 1, "x", None]),
        ("enrichment.intent", ["complaint", "rant", 3, None]),
        ("mention.id", ["a", "", "x" * 513, 5, None]),
        ("mention.author.verified", [True, False, 0, None]),
        ("mention.author", [{}, [], "x", None]),
    ],
)
def test_the_inline_test_accepts_only_what_the_reader_accepts_unchanged(path: str, values: list[Any]) -> None:
    """Generated code skips the reader when the inline test holds: it must never hold for a bad value."""
    found = inline_test(path)
    assert found is not None
    template, constant = found
    test = eval("lambda x, c: " + template.format(x="x", c="c"))  # the module's own template
    for value in values:
        if test(value, constant):
            assert reader_for(path)(value) == value
            assert type(reader_for(path)(value)) is type(value)


def test_text_to_redact_and_records_with_a_route_take_the_model_path() -> None:
    text = "@AcmeAir charged twice on card 4111 1111 1111 1111"
    mention = make_mention(text)
    enriched = EnrichedMention(mention=mention, enrichment=Enricher().enrich(mention), ingested_at=ROUTED_AT)
    assert enriched.enrichment.redacted_text is not None
    agent = _agent(load_rules(DEFAULT_RULES))
    out: list[Output] = []
    agent.handle(_record(enriched.model_dump_json().encode()), out)
    assert out[0].value is not None
    assert "4111" not in RoutedMention.model_validate_json(out[0].value).mention.text
