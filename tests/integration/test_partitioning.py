"""A plain Kafka producer, default partitioner and the documented keys, needs no repartition hop
(docs/contract.md): its raw mentions and responses land where the stages keep their state."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from schemas import Response, RoutedMention
from streams.partitioning import raw_partition_key, response_key
from streams.routing import load_rules
from streams.settings import Settings
from streams.topics import TopicNames
from tests.factories import make_mention
from tests.integration.conftest import Worker, read_topics

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
