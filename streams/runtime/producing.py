"""Writing outputs: the producer settings every router producer shares, and the one way outputs are handed over.

Outputs are grouped per partition, in order (``streams.runtime.batching``); a group of at least
``BATCH_HANDOVER_MIN`` goes over as record batches of its own (~1.2 µs a record against ~11-13 µs for
``send()``), a smaller one through ``send()``, which never waits for the partition's previous batch to leave.
A topic that takes smaller record batches than the producers build (``streams.runtime.topic_limits``) gets
every group as batches of its own, each within the topic's limit.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaProducer
from mode import Service

from schemas.versions import SCHEMA_HEADER, VERSIONS, schema_id
from streams.runtime.batching import group_by_partition
from streams.runtime.partitioner import xxh3_partitioner
from streams.runtime.records import Output
from streams.runtime.topic_limits import BROKER_DEFAULT_MAX_MESSAGE_BYTES, TopicLimits, describe_with
from streams.settings import Settings
from streams.topics import TopicNames

logger = logging.getLogger(__name__)

BATCH_HANDOVER_MIN = 16
PRODUCER_BATCH_BYTES = 256 * 1024
# The most a record adds to a batch beyond its key, value and header bytes: its varints and attributes.
RECORD_OVERHEAD_BYTES = 64
RECORD_BATCH_HEADER_BYTES = 61  # a v2 record batch's header
# The `schema` header of each record type the router writes (docs/contract.md), encoded once.
SCHEMA_HEADERS: dict[str | None, list[tuple[str, bytes]]] = {
    name: [(SCHEMA_HEADER, schema_id(name).encode())] for name in VERSIONS
}


def producer_options(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """Idempotent, acks=all, the router's partitioner; ``overrides`` add e.g. a transactional id."""
    options: dict[str, Any] = {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": settings.producer_linger_ms,
        "max_batch_size": PRODUCER_BATCH_BYTES,
        "max_request_size": settings.max_request_bytes,
        "partitioner": xxh3_partitioner,
        **settings.kafka_client_kwargs(),
    }
    options.update(overrides)
    return options


async def send_outputs(
    producer: AIOKafkaProducer,
    outputs: list[Output],
    kafka_partitioned: frozenset[str] = frozenset(),
    limits: TopicLimits | None = None,
) -> list[asyncio.Future[Any]]:
    """Hand every output to ``producer``; each returned future completes when its records are acknowledged.
    ``kafka_partitioned``: topics whose keyed records go where Kafka's murmur2 puts them (``streams.partitioning``);
    ``limits``: each topic's largest record batch (without, every topic is taken to take the producer's batches)."""
    futures: list[asyncio.Future[Any]] = []
    try:
        await _send(producer, outputs, futures, kafka_partitioned, limits)
    except BaseException:
        settle_quietly(futures)  # the caller only sees this exception; the futures fail with it
        raise
    return futures


def settle_quietly(futures: list[asyncio.Future[Any]]) -> None:
    """Mark the futures' outcomes as seen: the caller handles the failure that matters once."""
    for future in futures:
        future.add_done_callback(_retrieve)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def _send(
    producer: AIOKafkaProducer,
    outputs: list[Output],
    futures: list[asyncio.Future[Any]],
    kafka_partitioned: frozenset[str],
    limits: TopicLimits | None,
) -> None:
    topics = {o.topic for o in outputs}
    counts = {topic: len(await producer.partitions_for(topic)) for topic in topics}
    caps = await limits.max_message_bytes(topics, describe_with(producer)) if limits is not None else {}
    cluster = producer.client.cluster
    available = {topic: sorted(cluster.available_partitions_for_topic(topic) or ()) for topic in topics}
    for (topic, partition), group in group_by_partition(outputs, counts, available, kafka_partitioned).items():
        cap = caps.get(topic, BROKER_DEFAULT_MAX_MESSAGE_BYTES)
        capped = cap < PRODUCER_BATCH_BYTES  # the topic takes smaller batches than the producer builds
        if len(group) < BATCH_HANDOVER_MIN and not capped:
            for output in group:
                headers = SCHEMA_HEADERS.get(output.schema)
                futures.append(
                    await producer.send(topic, output.value, output.key, partition, output.timestamp_ms, headers)
                )
            continue
        batch, records = producer.create_batch(), 0
        for output in group:
            headers = SCHEMA_HEADERS.get(output.schema, [])
            if capped and records and batch.size() + _record_bytes(output, headers) > cap:  # it could go over
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                batch, records = producer.create_batch(), 0
            if not _append(batch, output, headers):  # full: the producer's batch size
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                batch, records = producer.create_batch(), 0
                _append(batch, output, headers)  # a record alone always goes (refused if the topic cannot take it)
            records += 1
        futures.append(await producer.send_batch(batch, topic, partition=partition))


def _append(batch: Any, output: Output, headers: list[tuple[str, bytes]]) -> bool:
    return batch.append(key=output.key, value=output.value, timestamp=output.timestamp_ms, headers=headers) is not None


def _record_bytes(output: Output, headers: list[tuple[str, bytes]]) -> int:
    """No less than what ``output`` adds to a record batch."""
    size = len(output.key or b"") + len(output.value or b"") + RECORD_OVERHEAD_BYTES
    return size + sum(len(name) + len(value) + 10 for name, value in headers)


def fits_alone(output: Output, limit: int) -> bool:
    """Whether a record batch holding only ``output`` is within ``limit`` bytes (a topic's max.message.bytes);
    conservative by at most ~100 bytes."""
    return _record_bytes(output, SCHEMA_HEADERS.get(output.schema, [])) + RECORD_BATCH_HEADER_BYTES <= limit


class ProducerService(Service):
    """One idempotent, non-transactional producer per worker: at-least-once stages and the customers table."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        self.settings = settings
        self.producer: AIOKafkaProducer | None = None
        self.limits = TopicLimits(warn_below=settings.max_request_bytes)  # the worker's, for every producer
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        self.producer = AIOKafkaProducer(**producer_options(self.settings))
        await self.producer.start()

    async def on_stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()

    async def send_all(self, outputs: list[Output]) -> asyncio.Future[Any]:
        """Hand every output over; the returned future completes when all are acknowledged."""
        assert self.producer is not None
        kafka_partitioned = TopicNames.from_settings(self.settings).kafka_partitioned
        return asyncio.gather(*await send_outputs(self.producer, outputs, kafka_partitioned, self.limits))
