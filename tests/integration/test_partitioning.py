"""A plain Kafka producer, default partitioner and the documented keys, needs no repartition hop
(docs/contract.md): its raw mentions and responses land where the stages keep their state. A raw topic with
another partition count than the router's own works too, with several workers."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from schemas import DuplicateRecord, Response, RoutedMention
from streams.partitioning import raw_partition_key, response_key
from streams.routing import load_rules
from streams.settings import Settings
from streams.topics import TopicNames
from tests.factories import make_mention
from tests.integration.conftest import Worker, create_topics, read_topics

pytestmark = pytest.mark.integration


def _records_in(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        assert partitions, f"{topic} does not exist"
        return sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


def test_a_default_kafka_producer_with_the_documented_keys_needs_no_repartition_hop(
    make_worker: Callable[..., Worker],
) -> None:
    worker = make_worker()
    worker.start()
    names = TopicNames(prefix=worker.prefix, app_id=f"{worker.prefix}router")
    plain = KafkaProducer(bootstrap_servers=worker.bootstrap, acks="all")  # kafka-python's default partitioner
    mentions = [make_mention(f"@AcmeAir order {n} never arrived", handle=f"plain_{n}") for n in range(60)]
    for mention in mentions:
        plain.send(names.raw, mention.model_dump_json().encode(), key=raw_partition_key(mention))
    plain.flush(30)
    wanted = {m.id for m in mentions}
    topics = [names.routed(team) for team in load_rules(Settings().rules_path).team_names]

    def routed(records: list[Any]) -> set[str]:
        return {RoutedMention.model_validate_json(r.value).mention.id for r in records}

    read_topics(worker.bootstrap, topics, lambda recs: routed(recs) >= wanted, timeout=90)
    for mention in mentions:
        reply = Response(mention_id=mention.id, team="care", responder="agent",
                         responded_at=mention.created_at + timedelta(minutes=5))  # fmt: skip
        plain.send(names.responses, reply.model_dump_json().encode(), key=response_key(mention.id))
    plain.flush(30)
    plain.close()
    answered = read_topics(worker.bootstrap, [names.response_times], lambda recs: len(recs) >= len(mentions),
                           timeout=90)  # fmt: skip
    assert len(answered) == len(mentions), "every response met its mention's assignment"
    time.sleep(1)
    assert _records_in(worker.bootstrap, names.repartition("dedupe")) == 0
    assert _records_in(worker.bootstrap, names.repartition("track")) == 0


@pytest.mark.parametrize("raw_partitions", [2, 5])
def test_a_raw_topic_with_another_partition_count_splits_no_state_between_two_workers(
    make_worker: Callable[..., Worker], raw_partitions: int
) -> None:
    """The router's own topics have 3 partitions, raw fewer or more. Each mention is written twice, to raw
    partitions 0 and 1 (two producers with different partitioners): one copy must be routed and the other
    recorded as its duplicate. With 2 raw partitions, Kafka's range assignor would give raw-1 to one worker and
    dedupe's partition 1 to the other, each keeping its own partition-1 index, and some mentions would be routed
    twice. With 5, partition numbers 3 and 4 have no state: their records all move to their key's partition."""
    first = make_worker()
    second = make_worker(prefix=first.prefix)
    names = TopicNames(prefix=first.prefix, app_id=f"{first.prefix}router")
    create_topics(first.bootstrap, [names.raw], raw_partitions)
    first.start()
    second.start()
    mentions = [make_mention(f"@AcmeAir parcel {n} lost again", handle=f"twice_{n}") for n in range(120)]
    plain = KafkaProducer(bootstrap_servers=first.bootstrap, acks="all")
    for mention in mentions:
        for partition in (0, 1):
            plain.send(names.raw, mention.model_dump_json().encode(), key=mention.id.encode(), partition=partition)
    plain.flush(30)
    plain.close()
    topics = [*(names.routed(team) for team in load_rules(Settings().rules_path).team_names), names.duplicates]
    records = read_topics(first.bootstrap, topics, lambda recs: len(recs) >= 2 * len(mentions), timeout=120)
    time.sleep(2)  # anything routed twice would arrive about now
    records = read_topics(first.bootstrap, topics, lambda recs: len(recs) >= 2 * len(mentions), timeout=30)
    routed = [RoutedMention.model_validate_json(r.value).mention.id for r in records if r.topic != names.duplicates]
    duplicates = [DuplicateRecord.model_validate_json(r.value) for r in records if r.topic == names.duplicates]
    assert sorted(routed) == sorted(m.id for m in mentions), "each mention routed once"
    assert sorted(d.mention_id for d in duplicates) == sorted(m.id for m in mentions)
    held = [w.metrics().total("mention_router_assigned_partitions", stage="dedupe") for w in (first, second)]
    numbers = max(raw_partitions, 3)
    assert sorted(held) == [numbers // 2, numbers - numbers // 2], "the two workers shared the partition numbers"
