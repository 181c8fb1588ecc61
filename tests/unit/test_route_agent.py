from __future__ import annotations

import json
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from schemas import Assignment, EnrichedMention, Route, RoutedMention
from streams.agents.route import RouteAgent
from streams.enrich import Enricher
from streams.metrics import Metrics
from streams.routing import load_rules, load_rules_text
from streams.routing.router import conversation_key, with_route
from streams.routing.ruleset import priority_band
from streams.runtime.partitioner import xxh3_partitioner
from streams.runtime.records import Output, Record
from streams.settings import DEFAULT_RULES
from streams.topics import TopicNames
from tests.factories import make_mention

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _enriched(text: str, **overrides: object) -> EnrichedMention:
    mention = make_mention(text, **overrides)
    return EnrichedMention(mention=mention, enrichment=Enricher().enrich(mention), ingested_at=NOW)


def _route() -> Route:
    return Route(team="care", priority=70, rule_id="complaints", rules_version="v1", routed_at=NOW)


def test_spliced_record_equals_the_model_serialisation() -> None:
    enriched = _enriched("@AcmeAir my bag never arrived")
    spliced = with_route(enriched.model_dump_json().encode(), enriched, _route())
    expected = RoutedMention(**dict(enriched), route=_route())
    assert RoutedMention.model_validate_json(spliced) == expected
    assert json.loads(spliced) == json.loads(expected.model_dump_json())


def test_a_record_that_already_has_a_route_member_is_rebuilt_not_duplicated() -> None:
    enriched = _enriched('he wrote "route": 66 and left')
    raw = json.loads(enriched.model_dump_json())
    raw["route"] = {"stale": True}  # e.g. a routed record fed back in by mistake
    value = with_route(json.dumps(raw).encode(), enriched, _route())
    assert value.count(b'"route":') == 1
    assert RoutedMention.model_validate_json(value).route == _route()


def test_route_agent_publishes_to_the_team_topic_keyed_by_conversation() -> None:
    metrics = Metrics(CollectorRegistry())
    agent = RouteAgent(TopicNames(prefix="acme."), metrics, load_rules(DEFAULT_RULES))
    enriched = _enriched("@AcmeAir my flight was cancelled and nobody answers, worst service ever")
    out: list[Output] = []
    record = Record("acme.mentions.enriched", 0, 7, 1_000, b"k", enriched.model_dump_json().encode())
    agent.handle(record, out)
    [output, assignment_output] = out
    assert output.value is not None
    assert assignment_output.value is not None
    routed = RoutedMention.model_validate_json(output.value)
    assert output.topic == f"acme.mentions.routed.{routed.route.team}"
    assert output.key == conversation_key(enriched.mention)
    assert routed.route.rules_version == load_rules(DEFAULT_RULES).version
    # AcmeAir is not in the shipped rules' `brands`: the label stays bounded as "other".
    labels = {"team": routed.route.team, "priority": priority_band(routed.route.priority), "brand": "other"}
    assert metrics.registry.get_sample_value("mention_router_routed_total", labels) == 1
    # The track stage's copy: keyed by mention id, same team, SLA and event time as the routed record.
    assignment = Assignment.model_validate_json(assignment_output.value)
    assert assignment_output.topic == "acme.mentions.assignments"
    assert assignment_output.key == enriched.mention.id.encode()
    assert (assignment.team, assignment.sla_due_at) == (routed.route.team, routed.route.sla_due_at)
    assert assignment.created_at == enriched.mention.created_at
    assert routed.route.sla_due_at is not None
    assert routed.route.sla_due_at > enriched.mention.created_at


def test_dropped_mentions_are_kept_for_audit_without_a_clock() -> None:
    rules = load_rules_text(
        'version: "t1"\ntriage_team: triage\nteams:\n  - name: triage\n'
        "    sla: {low: 1h, normal: 1h, high: 1h, urgent: 1h}\n"
        "  - name: spam\nrules:\n  - id: drop-all\n    when: {field: mention.text, contains: win}\n"
        "    then: {team: spam, drop: promotional spam}\n"
    )
    agent = RouteAgent(TopicNames(), Metrics(CollectorRegistry()), rules)
    out: list[Output] = []
    agent.handle(
        Record("mentions.enriched", 0, 1, 1_000, b"k", _enriched("win a free phone").model_dump_json().encode()), out
    )
    [output, assignment_output] = out
    assert output.value is not None
    assert assignment_output.value is not None
    route = RoutedMention.model_validate_json(output.value).route
    assert (route.team, route.dropped_reason, route.sla_due_at) == ("spam", "promotional spam", None)
    assignment = Assignment.model_validate_json(assignment_output.value)
    assert assignment.dropped, "the track stage measures a reply but keeps it out of the backlog"
    assert assignment.escalations == ()


def test_conversation_key_prefers_the_thread() -> None:
    threaded = make_mention(conversation_id="c-9")
    loose = make_mention(handle="ana", brand_account="AcmeAir")
    assert conversation_key(threaded) == b"twitter:c-9"
    assert conversation_key(loose) == b"AcmeAir:twitter:ana"


def test_partitioner_is_stable_and_spreads_keys() -> None:
    partitions = list(range(6))
    assert xxh3_partitioner(b"k1", partitions, partitions) == xxh3_partitioner(b"k1", partitions, partitions)
    used = {xxh3_partitioner(f"key-{i}".encode(), partitions, partitions) for i in range(200)}
    assert used == set(partitions)
    assert xxh3_partitioner(None, partitions, [2]) == 2


def _route_one(enriched: EnrichedMention, redact_text: bool) -> RoutedMention:
    agent = RouteAgent(TopicNames(), Metrics(CollectorRegistry()), load_rules(DEFAULT_RULES), redact_text=redact_text)
    out: list[Output] = []
    agent.handle(Record("mentions.enriched", 0, 1, 1_000, b"k", enriched.model_dump_json().encode()), out)
    assert out[0].value is not None
    return RoutedMention.model_validate_json(out[0].value)


def test_routed_records_carry_the_redacted_text_by_default() -> None:
    text = "@AcmeAir charged twice on card 4111 1111 1111 1111, mail me at ana.lopez@example.com"
    enriched = _enriched(text)
    assert enriched.enrichment.redacted_text is not None
    routed = _route_one(enriched, redact_text=True)
    assert "4111" not in routed.mention.text
    assert "ana.lopez@example.com" not in routed.mention.text
    assert routed.mention.text == enriched.enrichment.redacted_text
    assert _route_one(enriched, redact_text=False).mention.text == text, "configurable: keep the original"


def test_text_without_pii_is_routed_unchanged() -> None:
    enriched = _enriched("@AcmeAir my flight was cancelled again")
    assert enriched.enrichment.redacted_text is None
    assert _route_one(enriched, redact_text=True).mention.text == "@AcmeAir my flight was cancelled again"
