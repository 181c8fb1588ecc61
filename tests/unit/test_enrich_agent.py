"""The enrich stage's glue: waves across authors, their changelog, customer tiers, and routing in the same batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from schemas import EnrichedMention, Mention, RoutedMention
from streams.agents.enrich import WAVE_POINTS, EnrichAgent
from streams.agents.route import RouteAgent
from streams.metrics import Metrics
from streams.routing import load_rules, load_rules_text
from streams.runtime.records import Output, Record
from streams.runtime.updates import HeldUpdates
from streams.settings import DEFAULT_RULES
from streams.topics import TopicNames
from tests.factories import make_mention

OUTAGE = "@AcmeBank is the app down? cannot log in to pay my rent"
ROUTED_AT = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def EnrichAgentFor(topics: TopicNames, metrics: Metrics, **kwargs: Any) -> EnrichAgent:  # noqa: N802
    return EnrichAgent(topics, metrics, load_rules(DEFAULT_RULES), now=lambda: ROUTED_AT, **kwargs)


def _record(mention: Mention, partition: int = 0, offset: int = 0) -> Record:
    return Record("mentions.unique", partition, offset, 1_000, b"w", mention.model_dump_json().encode())


def _enriched(out: list[Output]) -> list[EnrichedMention]:
    return [EnrichedMention.model_validate_json(o.value) for o in out if o.topic == "mentions.enriched" and o.value]


def test_a_wave_of_authors_gets_an_id_a_size_an_urgency_flag_and_priority() -> None:
    metrics = Metrics(CollectorRegistry())
    agent = EnrichAgentFor(TopicNames(), metrics, wave_window_seconds=1800, wave_min_authors=3)
    start = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    out: list[Output] = []
    for n in range(4):
        mention = make_mention(OUTAGE, handle=f"customer_{n}", created_at=start + timedelta(minutes=n))
        agent.handle(_record(mention, offset=n), out)
    first, second, third, fourth = _enriched(out)
    assert first.enrichment.wave is None
    assert second.enrichment.wave is None
    assert third.enrichment.wave is not None
    assert fourth.enrichment.wave is not None
    assert (third.enrichment.wave.size, fourth.enrichment.wave.size) == (3, 4)
    assert third.enrichment.wave.id == fourth.enrichment.wave.id
    assert "wave" in fourth.enrichment.urgency
    assert fourth.enrichment.priority == min(100, second.enrichment.priority + WAVE_POINTS)
    assert any(reason.factor == "wave" for reason in fourth.enrichment.priority_reasons)
    assert metrics.registry.get_sample_value("mention_router_waves_total") == 1
    assert metrics.registry.get_sample_value("mention_router_waves_open") == 1


def test_the_wave_state_survives_a_restart_through_the_changelog() -> None:
    topics = TopicNames()
    agent = EnrichAgentFor(topics, Metrics(CollectorRegistry()), wave_min_authors=3)
    start = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    out: list[Output] = []
    for n in range(2):
        agent.handle(_record(make_mention(OUTAGE, handle=f"c{n}", created_at=start), partition=4), out)
    agent.end_batch(4, out)
    changes = [o for o in out if o.topic == topics.changelog("enrich")]
    assert changes
    assert {o.partition for o in changes} == {4}

    restarted = EnrichAgentFor(topics, Metrics(CollectorRegistry()), wave_min_authors=3)
    for change in changes:
        restarted.restore(4, change.key or b"", change.value)
    restarted.partitions_assigned({4}, 6)
    after: list[Output] = []
    restarted.handle(_record(make_mention(OUTAGE, handle="c2", created_at=start), partition=4), after)
    [enriched] = _enriched(after)
    assert enriched.enrichment.wave is not None, "the two authors before the restart still count"
    assert enriched.enrichment.wave.size == 3


def test_begin_batch_gives_the_same_outputs_as_one_by_one_and_leaves_bad_records_to_handle() -> None:
    start = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    mentions = [
        make_mention(text, handle=f"c{n}", created_at=start + timedelta(minutes=n))
        for n, text in enumerate(
            [OUTAGE, "thanks for the upgrade!", OUTAGE, "where is my refund? call +1 415 555 0100"]
        )
    ]
    records = [_record(mention, offset=n) for n, mention in enumerate(mentions)]
    records.insert(2, Record("mentions.unique", 0, 99, 1_000, b"w", b"{not json"))

    def run(batched: bool) -> list[Output]:
        agent = EnrichAgentFor(TopicNames(), Metrics(CollectorRegistry()), wave_min_authors=2)
        if batched:
            agent.begin_batch(records)
        out: list[Output] = []
        for record in records:
            try:
                agent.handle(record, out)
            except ValueError:
                out.append(Output("dead-letter", None, record.value))  # what the runner does with it
        agent.end_batch(0, out)
        return out

    batched, one_by_one = run(batched=True), run(batched=False)
    assert batched == one_by_one
    assert [o.topic for o in batched].count("dead-letter") == 1
    assert len(_enriched(batched)) == 4
    assert _enriched(batched)[2].enrichment.wave is not None  # waves are still observed in record order


@pytest.mark.parametrize(
    "text",
    [OUTAGE, "thanks for the upgrade!", "my card was charged twice, call me on +1 415 555 0100 or I sue"],
)
def test_each_mention_is_routed_in_the_same_batch_as_the_route_stage_routes_its_enriched_record(text: str) -> None:
    topics = TopicNames(prefix="acme.")
    agent = EnrichAgentFor(topics, Metrics(CollectorRegistry()))
    out: list[Output] = []
    agent.handle(_record(make_mention(text, created_at=ROUTED_AT - timedelta(minutes=5))), out)
    enriched, routed, assignment = out
    assert enriched.topic == topics.enriched
    route_stage = RouteAgent(topics, Metrics(CollectorRegistry()), load_rules(DEFAULT_RULES), now=lambda: ROUTED_AT)
    expected: list[Output] = []
    route_stage.handle(Record(topics.enriched, 0, 0, 1_000, enriched.key, enriched.value), expected)
    assert [routed, assignment] == expected
    record = RoutedMention.model_validate_json(routed.value or b"")
    assert routed.topic == f"acme.mentions.routed.{record.route.team}"
    assert record.enrichment == EnrichedMention.model_validate_json(enriched.value or b"").enrichment
    assert assignment.topic == topics.assignments


def test_a_rules_change_routes_the_next_mention_by_the_new_version() -> None:
    agent = EnrichAgentFor(TopicNames(), Metrics(CollectorRegistry()))
    text = DEFAULT_RULES.read_text()
    current = load_rules(DEFAULT_RULES).version
    agent.set_rules(load_rules_text(text.replace(f'version: "{current}"', 'version: "test.2"', 1)))
    out: list[Output] = []
    agent.handle(_record(make_mention(OUTAGE, created_at=ROUTED_AT)), out)
    assert RoutedMention.model_validate_json(out[1].value or b"").route.rules_version == "test.2"


def test_a_routed_mention_counts_when_its_partition_commits_and_not_when_it_is_rolled_back() -> None:
    metrics = Metrics(CollectorRegistry())
    agent = EnrichAgentFor(TopicNames(), metrics)
    agent.updates = updates = HeldUpdates(deferred=True)  # as the runner hosts it

    def routed_total() -> float:
        return sum(s.value for m in metrics.routed.collect() for s in m.samples if s.name.endswith("_total"))

    agent.handle(_record(make_mention(OUTAGE, handle="a", created_at=ROUTED_AT), partition=1), [])
    agent.handle(_record(make_mention(OUTAGE, handle="b", created_at=ROUTED_AT), partition=2), [])
    updates.seal()
    assert routed_total() == 0, "nothing is visible downstream before the commit"
    updates.release({1})
    assert routed_total() == 1
    updates.forget({2})  # rolled back: the batch is read and routed again
    updates.release({2})
    assert routed_total() == 1
