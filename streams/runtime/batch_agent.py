"""The batch agent: consume a fetch, run the stage on every record, write all outputs, commit after delivery.

Why not a faust Stream per event: on this hardware faust's Stream hands every event through an
asyncio queue (about three loop iterations per event) and tops out near 4k events/s for a bare
pass-through, against ~28k/s for aiokafka consume→produce on the same broker (docs/performance.md).
A batch agent pays the framework cost once per fetch instead. It is a mode Service started by the
faust app, owns one consumer group per stage, and keeps the at-least-once contract explicit:

    fetch → handle each record (exceptions become dead letters) → send all outputs ─┐
      ↑                                                                              │ (pipelined)
      └──────────── next fetch                     broker acknowledges every output ┘→ commit offsets

Offsets are committed only after every output of their batch is acknowledged, in fetch order.
The next fetch does not wait for that acknowledgement (a round trip that otherwise adds 10-20 ms
per hop); at most ``max_batches_in_flight`` batches are unacknowledged at once. A crash before a
commit means those batches are processed again after restart (at-least-once), never lost; a
failed delivery crashes the worker for the same reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import CommitFailedError, ConsumerStoppedError, IllegalStateError, KafkaError
from mode import Service

from streams.metrics import Metrics
from streams.runtime.batching import group_by_partition
from streams.runtime.changelog import restore_partitions
from streams.runtime.dead_letters import (
    EmptyValueError,
    OversizeError,
    classify,
    dead_letter,
    dead_letter_output,
)
from streams.runtime.partitioner import xxh3_partitioner
from streams.runtime.records import InputRecord, Output, Stage
from streams.settings import Settings

logger = logging.getLogger(__name__)

COMMIT_EVERY_S = 0.05


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, agent: BatchAgent) -> None:
        self._agent = agent

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # Everything handled so far must be written and committed before the partitions move on.
        async with self._agent.batch_lock:
            await self._agent.drain()
            self._agent.stage.partitions_revoked({tp.partition for tp in revoked})
            self._agent.owned -= {tp.partition for tp in revoked}
            self._agent.assigned.set(0)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        agent = self._agent
        partitions = {tp.partition for tp in assigned}
        logger.info("%s assigned partitions %s", agent.stage.name, sorted(partitions))
        async with agent.batch_lock:
            await agent.partitions_assigned(partitions)
        agent.assigned.set(len(partitions))
        agent.rebalances.inc()


class BatchAgent(Service):
    """Runs one stage in its own consumer group, writing through a shared producer."""

    def __init__(
        self,
        stage: Stage,
        settings: Settings,
        metrics: Metrics,
        producer: ProducerService,
        dlq_topic: str,
        **kwargs: Any,
    ) -> None:
        self.stage = stage
        self.settings = settings
        self.metrics = metrics
        self.producer_service = producer
        self.dlq_topic = dlq_topic
        self.batch_lock = asyncio.Lock()
        self.consumer: AIOKafkaConsumer | None = None
        # (offsets to commit, future of the batch's deliveries), in fetch order.
        self._unacknowledged: asyncio.Queue[tuple[dict[TopicPartition, int], asyncio.Future[Any]]] = asyncio.Queue(
            maxsize=settings.max_batches_in_flight
        )
        self._stage_seconds = metrics.stage_seconds.labels(stage=stage.name)
        self._batch_records = metrics.batch_records.labels(stage=stage.name)
        self._commits = metrics.commits.labels(stage=stage.name)
        self.assigned = metrics.assigned_partitions.labels(stage=stage.name)
        self.rebalances = metrics.rebalances.labels(stage=stage.name)
        self._last_commit = metrics.last_commit.labels(stage=stage.name)
        self.owned: set[int] = set()  # input partition numbers whose state this stage holds
        # Optional stage capabilities (see StatefulStage): looked up once, not per batch.
        self._begin_batch = getattr(stage, "begin_batch", None)
        self._end_batch = getattr(stage, "end_batch", None)
        self._tick = getattr(stage, "tick", None)
        super().__init__(**kwargs)

    @property
    def label(self) -> str:
        return f"BatchAgent[{self.stage.name}]"

    @property
    def group_id(self) -> str:
        return f"{self.settings.app_id}.{self.stage.name}"

    async def on_start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.settings.batch_max_records,
            fetch_max_wait_ms=self.settings.fetch_max_wait_ms,
            # Range assignment gives one member the same partition numbers of every input topic, which a
            # stage with several co-partitioned inputs (and its changelog) needs; round-robin would not.
            partition_assignment_strategy=(RangePartitionAssignor,),
            **self.settings.kafka_client_kwargs(),
        )
        self.consumer.subscribe(list(self.input_topics), listener=_Rebalance(self))
        await self.consumer.start()

    async def on_stop(self) -> None:
        if self.consumer is not None:
            async with self.batch_lock:  # finish the batch being handled, then write and commit all
                await self.drain()
                await self.consumer.stop()

    @property
    def input_topics(self) -> tuple[str, ...]:
        return tuple(getattr(self.stage, "input_topics", (self.stage.input_topic,)))

    async def partitions_assigned(self, partitions: set[int]) -> None:
        """Restore the state of newly owned partitions from the changelog before their first record."""
        new = partitions - self.owned
        stage = self.stage
        changelog = getattr(stage, "changelog_topic", None)
        if new and changelog is not None:
            started = time.monotonic()
            await restore_partitions(self.settings, changelog, new, stage.restore)  # type: ignore[attr-defined]
            self.metrics.state_restore_seconds.labels(stage=stage.name).observe(time.monotonic() - started)
        self.owned = set(partitions)
        assigned = getattr(stage, "partitions_assigned", None)
        if assigned is not None:
            assert self.consumer is not None
            counts = [len(self.consumer.partitions_for_topic(t) or ()) for t in self.input_topics]
            assigned(set(partitions), max(counts, default=0) or self.settings.partitions)

    async def drain(self) -> None:
        """Return when every batch handled so far is delivered and committed."""
        await self._unacknowledged.join()

    @Service.task
    async def _consume(self) -> None:
        assert self.consumer is not None
        while not self.should_stop:
            try:
                batch = await self.consumer.getmany(
                    timeout_ms=self.settings.poll_timeout_ms, max_records=self.settings.batch_max_records
                )
            except ConsumerStoppedError:
                return  # on_stop ran between two batches
            if batch:
                await self.process(batch)

    async def process(self, batch: dict[TopicPartition, list[Any]]) -> None:
        async with self.batch_lock:
            outputs = self._handle_all(batch)
            if self._end_batch is not None:
                self._end_batch(outputs)
            delivered = await self.producer_service.send_all(outputs)
            offsets = {tp: records[-1].offset + 1 for tp, records in batch.items() if records}
            await self._unacknowledged.put((offsets, delivered))  # waits when too many are in flight

    @Service.timer(1.0)
    async def _timers(self) -> None:
        """Let a stage with timers (escalations) emit outputs; they are committed in order like a batch."""
        if self._tick is None or self.consumer is None:
            return
        async with self.batch_lock:
            outputs: list[Output] = []
            self._tick(outputs)
            if outputs:
                delivered = await self.producer_service.send_all(outputs)
                await self._unacknowledged.put(({}, delivered))

    @Service.task
    async def _commit_acknowledged(self) -> None:
        """Commit, in fetch order, the offsets of batches whose outputs the broker acknowledged."""
        queue = self._unacknowledged
        pending: dict[TopicPartition, int] = {}
        batches = 0
        last_commit = time.monotonic()
        while True:  # not `should_stop`: on_stop drains this queue before tasks are cancelled
            offsets, delivered = await queue.get()
            try:
                await delivered
            except Exception as exc:
                await self._delivery_failed(exc, unreleased=batches + 1)
                return
            pending.update(offsets)  # later batches carry later offsets
            batches += 1
            # Under load, one commit covers the batches acknowledged within COMMIT_EVERY_S.
            if queue.empty() or time.monotonic() - last_commit >= COMMIT_EVERY_S:
                await self._commit(pending)
                pending, last_commit = {}, time.monotonic()
                for _ in range(batches):
                    queue.task_done()
                batches = 0

    async def _delivery_failed(self, exc: Exception, unreleased: int) -> None:
        """Commit nothing more, crash the worker (it restarts from the last commit), and keep releasing
        the queue so that nobody waiting in drain() or process() blocks the shutdown."""
        logger.critical(
            "stage=%s: the broker did not acknowledge outputs (%s); nothing after the last commit is committed",
            self.stage.name, type(exc).__name__,
        )  # fmt: skip
        queue = self._unacknowledged
        for _ in range(unreleased):
            queue.task_done()
        await self.crash(exc)
        while True:
            await queue.get()
            queue.task_done()

    def _handle_all(self, batch: dict[TopicPartition, list[Any]]) -> list[Output]:
        out: list[Output] = []
        stage = self.stage
        handle = stage.handle
        max_bytes = self.settings.max_payload_bytes
        observe = self._stage_seconds.observe
        clock = time.perf_counter
        count = 0
        share = 0.0  # each record's part of the batch-wide work done before its handle()
        if self._begin_batch is not None:
            started = clock()
            # Only the records handle() will see: empty and oversize ones are dead-lettered before it.
            records = [
                record
                for records in batch.values()
                for record in records
                if record.value is not None and len(record.value) <= max_bytes
            ]
            try:
                self._begin_batch(records)
            except Exception as exc:  # only an optimisation: handle() does each record's work on its own
                logger.error("stage=%s: begin_batch failed: %s", stage.name, type(exc).__name__)
            share = (clock() - started) / max(1, sum(map(len, batch.values())))  # the shares add up to its time
        for records in batch.values():
            count += len(records)
            for record in records:
                mark = len(out)
                started = clock()
                try:
                    value = record.value
                    if value is None:
                        raise EmptyValueError("record has no value")
                    if len(value) > max_bytes:
                        raise OversizeError(f"value is {len(value)} bytes; the maximum is {max_bytes}")
                    handle(record, out)
                except Exception as exc:  # every failure becomes a dead letter; the stream goes on
                    del out[mark:]
                    out.append(self._dead_letter(record, exc))
                observe(clock() - started + share)
        self._batch_records.observe(count)
        return out

    def _dead_letter(self, record: InputRecord, exc: Exception) -> Output:
        reason = classify(exc)
        self.metrics.dead_letters.labels(stage=self.stage.name, reason=reason.value).inc()
        logger.warning(
            "dead letter: stage=%s topic=%s partition=%d offset=%d reason=%s error=%s",
            self.stage.name, record.topic, record.partition, record.offset, reason.value, type(exc).__name__,
        )  # fmt: skip
        return dead_letter_output(self.dlq_topic, dead_letter(record, self.stage.name, exc), record.key)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        assert self.consumer is not None
        if not offsets:
            return  # only timer outputs were acknowledged: nothing was consumed
        try:
            await self.consumer.commit(offsets)
            self._commits.inc()
            self._last_commit.set_to_current_time()
        except (CommitFailedError, IllegalStateError) as exc:
            # A rebalance took the partitions; their new owner re-reads from the last commit.
            logger.warning(
                "commit after rebalance failed for stage=%s offsets=%s: %s (records will be re-read)",
                self.stage.name, {f"{tp.topic}:{tp.partition}": o for tp, o in offsets.items()}, exc,
            )  # fmt: skip


# Groups this big are appended to a record batch of their own (~1.2 µs a record against ~11-13 µs for
# send()); smaller ones use send(), which never waits for the partition's previous batch to leave.
BATCH_HANDOVER_MIN = 16


class ProducerService(Service):
    """One idempotent producer per worker, shared by its stages."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        self.settings = settings
        self.producer: AIOKafkaProducer | None = None
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        self.producer = AIOKafkaProducer(
            acks="all",
            enable_idempotence=True,
            linger_ms=self.settings.producer_linger_ms,
            max_batch_size=256 * 1024,
            max_request_size=max(1024 * 1024, 2 * self.settings.max_payload_bytes),
            partitioner=xxh3_partitioner,
            **self.settings.kafka_client_kwargs(),
        )
        await self.producer.start()

    async def on_stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()

    async def send_all(self, outputs: list[Output]) -> asyncio.Future[Any]:
        """Hand every output to the producer; the returned future completes when all are acknowledged.

        Outputs are grouped per partition, in order (``streams.runtime.batching``); a group of at least
        ``BATCH_HANDOVER_MIN`` goes over as record batches of its own, a smaller one through ``send()``.
        """
        producer = self.producer
        assert producer is not None
        try:
            topics = {o.topic for o in outputs}
            counts = {topic: len(await producer.partitions_for(topic)) for topic in topics}
            cluster = producer.client.cluster
            available = {topic: sorted(cluster.available_partitions_for_topic(topic) or ()) for topic in topics}
            futures = []
            for (topic, partition), group in group_by_partition(outputs, counts, available).items():
                if len(group) < BATCH_HANDOVER_MIN:
                    for output in group:
                        sent = producer.send(topic, output.value, output.key, partition, output.timestamp_ms)
                        futures.append(await sent)
                    continue
                batch = producer.create_batch()
                for output in group:
                    if batch.append(key=output.key, value=output.value, timestamp=output.timestamp_ms) is None:
                        futures.append(await producer.send_batch(batch, topic, partition=partition))
                        batch = producer.create_batch()  # full: a record alone always fits an empty batch
                        batch.append(key=output.key, value=output.value, timestamp=output.timestamp_ms)
                futures.append(await producer.send_batch(batch, topic, partition=partition))
        except KafkaError:
            logger.exception("producing %d outputs failed; stopping so the batch is re-read", len(outputs))
            raise
        return asyncio.gather(*futures)
