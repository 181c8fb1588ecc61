"""The enrich stage's glue: waves across authors, their changelog, customer tiers stay as they were."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from schemas import EnrichedMention, Mention
from streams.agents.enrich import WAVE_POINTS, EnrichAgent
from streams.metrics import Metrics
from streams.runtime.records import Output, Record
from streams.topics import TopicNames
from tests.factories import make_mention

OUTAGE = "@AcmeBank is the app down? cannot log in to pay my rent"


def _record(mention: Mention, partition: int = 0, offset: int = 0) -> Record:
    return Record("mentions.unique", partition, offset, 1_000, b"w", mention.model_dump_json().encode())


def _enriched(out: list[Output]) -> list[EnrichedMention]:
    return [EnrichedMention.model_validate_json(o.value) for o in out if o.topic == "mentions.enriched" and o.value]


def test_a_wave_of_authors_gets_an_id_a_size_an_urgency_flag_and_priority() -> None:
    metrics = Metrics(CollectorRegistry())
    agent = EnrichAgent(TopicNames(), metrics, wave_window_seconds=1800, wave_min_authors=3)
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
    agent = EnrichAgent(topics, Metrics(CollectorRegistry()), wave_min_authors=3)
    start = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    out: list[Output] = []
    for n in range(2):
        agent.handle(_record(make_mention(OUTAGE, handle=f"c{n}", created_at=start), partition=4), out)
    agent.end_batch(4, out)
    changes = [o for o in out if o.topic == topics.changelog("enrich")]
    assert changes
    assert {o.partition for o in changes} == {4}

    restarted = EnrichAgent(topics, Metrics(CollectorRegistry()), wave_min_authors=3)
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
        agent = EnrichAgent(TopicNames(), Metrics(CollectorRegistry()), wave_min_authors=2)
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
