"""kafka-python clients for command-line tools (replay, demo, reports) — never used inside agents."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.partitioner import Partitioner

from streams.partitioning import kafka_partition
from streams.runtime.partitioner import xxh3_partitioner
from streams.settings import Settings
from streams.topics import TopicNames


class RouterPartitioner(Partitioner):  # type: ignore[misc]
    """Where the router's stages expect each keyed record: murmur2 for the topics others write
    (``streams.partitioning``), the router's xxh3 for the rest."""

    def __init__(self, kafka_partitioned: frozenset[str]) -> None:
        self._kafka_partitioned = kafka_partitioned

    def partition(
        self, topic: str, key: Any, serialized_key: bytes | None, value: Any, serialized_value: Any, cluster: Any
    ) -> int:
        all_partitions: list[int] = sorted(cluster.partitions_for_topic(topic))
        if serialized_key is not None and topic in self._kafka_partitioned:
            return kafka_partition(serialized_key, len(all_partitions))
        available = sorted(cluster.available_partitions_for_topic(topic) or ())
        return xxh3_partitioner(serialized_key, all_partitions, available)


def tool_producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    options: dict[str, Any] = {
        "client_id": f"{settings.app_id}-tool",
        "acks": "all",
        "linger_ms": 5,
        "batch_size": 256 * 1024,
        "max_request_size": settings.max_request_bytes,
        "partitioner": RouterPartitioner(TopicNames.from_settings(settings).kafka_partitioned),
    }
    options.update(overrides)
    return KafkaProducer(**settings.kafka_client_kwargs(), **options)


def tool_consumer(settings: Settings, *topics: str, **overrides: Any) -> KafkaConsumer:
    options: dict[str, Any] = {
        "client_id": f"{settings.app_id}-tool",
        "auto_offset_reset": "earliest",
        "enable_auto_commit": False,
        "isolation_level": "read_committed",  # the router writes in transactions: never show an aborted one
    }
    options.update(overrides)
    return KafkaConsumer(*topics, **settings.kafka_client_kwargs(), **options)


def read_to_end(settings: Settings, topic: str, timeout_s: float = 30.0) -> Iterator[ConsumerRecord]:
    """Every record of ``topic`` from the beginning to the end offsets seen at the start (no group)."""
    consumer = tool_consumer(settings, group_id=None)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        remaining = {tp for tp in tps if consumer.position(tp) < ends[tp]}
        deadline = time.monotonic() + timeout_s
        while remaining and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
            remaining = {tp for tp in remaining if consumer.position(tp) < ends[tp]}
        if remaining:
            raise TimeoutError(f"{topic}: partitions {sorted(tp.partition for tp in remaining)} not read to the end")
    finally:
        consumer.close()
