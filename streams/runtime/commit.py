"""How a stage's handled batch becomes durable: the two processing guarantees.

``ExactlyOnce`` (the default) commits the work of all the stage's input partitions since the last commit — their
outputs, their changelog changes and their input offsets — as one Kafka transaction. Two fences keep a worker
that lost its partitions (a long pause, a network partition) from committing for them:

- the consumer group (KIP-447, ``streams.runtime.group_fencing``): the transaction's offsets carry the worker's
  group generation, and the coordinator refuses them from a member that left it, so the transaction aborts;
  the worker that gains a partition reads its committed offset only once no open transaction holds offsets
  for it;
- the producer epoch: the worker opens a transactional producer for each input partition it gains
  (transactional id ``<group>.<partition>``), which fences the earlier producer of that id and ends its open
  transaction, and runs each transaction on one of its own partitions' producers. So whoever gains that
  partition ends the worker's open transaction at once, and a worker that crashed does not hold its
  partitions' outputs back until the transaction timeout.

Transactions take turns on the owned partitions' producers, least recently used first: the broker writes a
committed transaction's markers after it answers the commit, and refuses the same transactional id a new
transaction until they are written (CONCURRENT_TRANSACTIONS, which aiokafka retries 20 ms later). On one
producer, back-to-back commits paid those 20 ms about one time in six.

``AtLeastOnce`` sends a batch's outputs through the worker's shared producer and commits its offsets
after the broker acknowledged them, pipelining up to ``max_batches_in_flight`` batches; a crash means the
unacknowledged batches are processed again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    KafkaError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    TransactionalIdAuthorizationFailed,
)
from aiokafka.producer.transaction_manager import TransactionState

from streams.runtime.group_fencing import GroupFencedError, GroupMetadata, fence_offsets_by_group
from streams.runtime.producing import ProducerService, producer_options, send_outputs, settle_quietly
from streams.runtime.records import Output
from streams.runtime.topic_limits import TopicLimits
from streams.settings import Settings
from streams.topics import TopicNames

logger = logging.getLogger(__name__)

COMMIT_EVERY_S = 0.05
CLOSE_TIMEOUT_S = 5.0
REFUSAL_WAIT_S = 1.0
MAX_HELD_BYTES = 16 * 1024 * 1024  # outputs a stage's open transactions may hold before they are due
# Errors after which a transactional producer can never write again: another worker owns the partition now.
_FENCED = (ProducerFenced, OutOfOrderSequenceNumber, TransactionalIdAuthorizationFailed)


@dataclass(slots=True)
class PartitionWork:
    """One input partition's share of a batch: what it wrote and where its inputs continue."""

    outputs: list[Output] = field(default_factory=list)
    offsets: dict[TopicPartition, int] = field(default_factory=dict)  # next offset to read, per input topic
    failed: bool = False  # its state changes could not be drained: not to be committed


class Outcome(Enum):
    COMMITTED = "committed"
    ABORTED = "aborted"  # nothing of the batch is visible; the partition's state must be rolled back
    LOST = "lost"  # fenced: another worker owns the partition; drop it
    BROKEN = "broken"  # the producer can neither commit nor abort: the worker must stop (its restart retries)


class Committer:
    """The interface the batch agent commits through: ``stage`` hands a batch over, ``flush`` commits what was
    handed over since the last flush."""

    transactional = False

    async def open(self, partitions: set[int]) -> None:
        """Before ``partitions``' state is restored: take ownership of them (fencing earlier owners)."""

    async def close(self, partitions: set[int]) -> None:
        """``partitions`` are no longer this worker's."""

    async def stage(self, work: dict[int, PartitionWork]) -> None:
        raise NotImplementedError

    def due(self, idle: bool) -> bool:
        """Whether ``flush`` should run now (``idle``: the last fetch brought nothing)."""
        return False

    async def flush(self) -> dict[int, Outcome]:
        return {}

    async def drain(self) -> None:
        """Return when everything handed to ``stage`` so far is committed (after ``flush``, for transactions)."""

    async def run(self) -> None:
        """A background loop, if the committer needs one (run by the agent as a service task)."""

    async def stop(self) -> None:
        """Release every producer."""


class PartitionLostError(Exception):
    """The partition's producer is gone (fenced, or given up): nothing more can be written for it."""


@dataclass(slots=True)
class _Transaction:
    outputs: list[Output] = field(default_factory=list)
    offsets: dict[TopicPartition, int] = field(default_factory=dict)


class ExactlyOnce(Committer):
    """Under load a transaction spans the batches of ``commit_interval_ms``; when the input goes idle
    it commits at once, so a quiet stream pays no wait. Its outputs are held until the commit and written then,
    as one record batch per output partition: nothing of a transaction is visible before its commit anyway, and
    writing once per interval instead of once per fetch saves most of the produce requests (and their
    ``AddPartitionsToTxn``). A transaction that holds ``MAX_HELD_BYTES`` is due at once, so memory stays bounded
    under a burst."""

    transactional = True

    def __init__(
        self,
        settings: Settings,
        group_id: str,
        group_metadata: Callable[[], GroupMetadata],
        limits: TopicLimits | None = None,
    ) -> None:
        self._settings = settings
        self._limits = limits or TopicLimits(warn_below=settings.max_request_bytes)
        self._group_id = group_id
        self._group_metadata = group_metadata
        self._producers: dict[int, AIOKafkaProducer] = {}  # per owned input partition; they take turns
        self._transactions_run = 0
        self._last_run: dict[int, int] = {}  # partition -> number of the last transaction its producer ran
        self._open: dict[int, _Transaction] = {}
        self._opened_at = 0.0
        self._held_bytes = 0
        self._interval = settings.commit_interval_ms / 1000
        self._kafka_partitioned = TopicNames.from_settings(settings).kafka_partitioned
        # Longest a commit or an abort may take before the client is taken for wedged.
        self._finish_timeout = min(settings.transaction_timeout_ms, settings.task_timeout_ms or 10**9) / 1000

    def transactional_id(self, partition: int) -> str:
        return f"{self._group_id}.{partition}"

    async def open(self, partitions: set[int]) -> None:
        await asyncio.gather(*(self._open_producer(p) for p in partitions if p not in self._producers))

    async def _open_producer(self, partition: int) -> None:
        producer = AIOKafkaProducer(
            **producer_options(
                self._settings,
                transactional_id=self.transactional_id(partition),
                transaction_timeout_ms=self._settings.transaction_timeout_ms,
                client_id=f"{self._group_id}.{partition}",
            )
        )
        await producer.start()  # InitProducerId: bumps the epoch, ends the previous owner's open transaction
        fence_offsets_by_group(producer, self._group_metadata)
        self._producers[partition] = producer

    async def close(self, partitions: set[int]) -> None:
        await asyncio.gather(*(self._close(p) for p in partitions))

    async def _close(self, partition: int) -> None:
        self._last_run.pop(partition, None)
        producer = self._producers.pop(partition, None)
        if producer is not None:
            try:
                async with asyncio.timeout(CLOSE_TIMEOUT_S):  # a wedged one would wait for its batches forever
                    await producer.stop()
            except Exception as exc:  # a fenced producer may fail to flush; it has nothing left to say
                logger.info("closing the producer of partition %d: %s", partition, type(exc).__name__)

    async def stage(self, work: dict[int, PartitionWork]) -> None:
        for partition, part in work.items():
            if not (part.outputs or part.offsets):
                continue
            txn = self._open.get(partition)
            if txn is None:
                txn = self._open[partition] = _Transaction()
                if len(self._open) == 1:
                    self._opened_at = time.monotonic()
            txn.outputs.extend(part.outputs)
            txn.offsets.update(part.offsets)
            self._held_bytes += sum(len(o.value or b"") + len(o.key or b"") for o in part.outputs)

    def due(self, idle: bool) -> bool:
        if not self._open:
            return False
        return idle or self._held_bytes >= MAX_HELD_BYTES or time.monotonic() - self._opened_at >= self._interval

    async def flush(self) -> dict[int, Outcome]:
        """One transaction for every partition with work: one commit's round trips instead of one per partition,
        and the next stage's input waits for one transaction marker instead of several interleaved ones."""
        transactions, self._open, self._held_bytes = self._open, {}, 0
        if not transactions:
            return {}
        merged = _Transaction()
        for txn in transactions.values():
            merged.outputs.extend(txn.outputs)
            merged.offsets.update(txn.offsets)
        outcome = await self._finish(self._next_runner(), merged)
        return dict.fromkeys(transactions, outcome)

    def _next_runner(self) -> int:
        """The partition whose producer runs the next transaction: the one idle longest (its last commit's markers
        are the likeliest written), the lowest first among equals; -1 when the stage owns none."""
        if not self._producers:
            return -1
        runner = min(self._producers, key=lambda p: (self._last_run.get(p, -1), p))
        self._transactions_run += 1
        self._last_run[runner] = self._transactions_run
        return runner

    async def _finish(self, partition: int, txn: _Transaction) -> Outcome:
        """``partition``: whose producer runs the transaction."""
        producer = self._producers.get(partition)
        futures: list[asyncio.Future[Any]] = []
        try:
            if producer is None:
                raise PartitionLostError(partition)
            async with asyncio.timeout(self._finish_timeout):  # a wedged client must not stall the stage
                await producer.begin_transaction()
                futures = await send_outputs(producer, txn.outputs, self._kafka_partitioned, self._limits)
                delivered = asyncio.gather(*futures)
                settle_quietly([delivered])
                # Every record acknowledged before the offsets and the commit. Before the commit: aiokafka commits a
                # transaction even when one of its record batches was refused (e.g. too large for the topic), which
                # would lose that output. Before the offsets: the broker verifies a transaction's partitions
                # (KIP-890) one request per transactional id at a time, and a TxnOffsetCommit sent while the
                # records' check is queued evicts it; the produce then fails NOT_ENOUGH_REPLICAS and aiokafka
                # retries it after retry_backoff_ms (hundreds of such retries per 20,000 mentions; none in order).
                await delivered
                if txn.offsets:
                    await producer.send_offsets_to_transaction(txn.offsets, self._group_id)
                await producer.commit_transaction()
            return Outcome.COMMITTED
        except (*_FENCED, PartitionLostError) as exc:
            settle_quietly(futures)
            if producer is not None and await _refused_as_too_large(futures):
                # A refused batch puts the partition's later batches out of sequence: a consequence, not a fence.
                logger.warning("transaction on partition %d's producer: a record batch was refused as too large "
                               "(%s after it); aborting", partition, type(exc).__name__)  # fmt: skip
                self._limits.forget()
                return await self._abort(partition, producer)
            logger.warning(
                "partition %d: fenced (%s); another worker owns it now, nothing of the transaction is visible",
                partition, type(exc).__name__,
            )  # fmt: skip
            await self._close(partition)
            return Outcome.LOST
        except GroupFencedError as exc:  # this worker left the group's generation: its partitions are not its own
            settle_quietly(futures)
            return await self._drop(partition, str(exc))
        except (TimeoutError, KafkaError, OSError) as exc:
            settle_quietly(futures)
            assert producer is not None
            if producer._txn_manager.state is TransactionState.ABORTABLE_ERROR:  # an authorization refusal
                return await self._drop(partition, f"refused ({type(exc).__name__})")
            logger.warning("transaction on partition %d's producer failed (%s: %s); aborting", partition,
                           type(exc).__name__, exc)  # fmt: skip
            if isinstance(exc, MessageSizeTooLargeError):  # a topic's limit may have been lowered: read them again
                self._limits.forget()
            return await self._abort(partition, producer)

    async def _drop(self, partition: int, reason: str) -> Outcome:
        """Not aborted: after a refusal (the group's or an authorization's) aiokafka forgets the transaction's
        partitions and would send no EndTxn, and a later commit on this producer would commit the refused records.
        The producer is dropped; the partition's next owner opens its id, which aborts the transaction."""
        logger.warning("transaction on partition %d's producer: %s; dropping the producer", partition, reason)
        await self._close(partition)
        return Outcome.LOST

    async def _abort(self, partition: int, producer: AIOKafkaProducer) -> Outcome:
        try:
            if producer._txn_manager.is_fatal_error():  # aiokafka has no public check
                raise RuntimeError("the producer is in a fatal state")
            async with asyncio.timeout(self._finish_timeout):
                await producer.abort_transaction()
            return Outcome.ABORTED
        except Exception as exc:
            # The client cannot go on (aiokafka wedges after some refused batches, or asserts on its own state).
            # Re-opening it here could fence a rightful new owner and can hang on the broker's open transaction;
            # the worker stops instead, as Kafka Streams does, and its restart retries the batch.
            logger.error("partition %d: abort failed (%s); the producer is unusable", partition, type(exc).__name__)
            return Outcome.BROKEN

    async def stop(self) -> None:
        await self.close(set(self._producers))


async def _refused_as_too_large(futures: list[asyncio.Future[Any]]) -> bool:
    """Whether one of a transaction's record batches was refused as larger than its topic takes (waiting briefly
    for the batches still out: the refusal and the errors it causes arrive together)."""
    if futures:
        await asyncio.wait(futures, timeout=REFUSAL_WAIT_S)
    return any(f.done() and not f.cancelled() and isinstance(f.exception(), MessageSizeTooLargeError) for f in futures)


class AtLeastOnce(Committer):
    def __init__(
        self,
        producer: ProducerService,
        commit_offsets: Callable[[dict[TopicPartition, int]], Awaitable[None]],
        on_failure: Callable[[BaseException], Awaitable[None]],
        max_in_flight: int,
    ) -> None:
        self._producer = producer
        self._commit_offsets = commit_offsets
        self._on_failure = on_failure
        # (offsets to commit, future of the batch's deliveries), in fetch order.
        self._unacknowledged: asyncio.Queue[tuple[dict[TopicPartition, int], asyncio.Future[Any]]] = asyncio.Queue(
            maxsize=max_in_flight
        )

    async def stage(self, work: dict[int, PartitionWork]) -> None:
        outputs = [output for w in work.values() for output in w.outputs]
        offsets = {tp: offset for w in work.values() for tp, offset in w.offsets.items()}
        try:
            delivered = await self._producer.send_all(outputs)
        except KafkaError:
            logger.exception("producing %d outputs failed; stopping so the batch is re-read", len(outputs))
            raise
        await self._unacknowledged.put((offsets, delivered))  # waits when too many are in flight

    async def drain(self) -> None:
        await self._unacknowledged.join()

    async def run(self) -> None:
        """Commit, in fetch order, the offsets of batches whose outputs the broker acknowledged."""
        queue = self._unacknowledged
        pending: dict[TopicPartition, int] = {}
        batches = 0
        last_commit = time.monotonic()
        while True:  # not `should_stop`: the agent drains this queue before its tasks are cancelled
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
                if pending:
                    await self._commit_offsets(pending)
                pending, last_commit = {}, time.monotonic()
                for _ in range(batches):
                    queue.task_done()
                batches = 0

    async def _delivery_failed(self, exc: Exception, unreleased: int) -> None:
        """Commit nothing more, crash the worker (it restarts from the last commit), and keep releasing
        the queue so that nobody waiting in drain() or commit() blocks the shutdown."""
        logger.critical(
            "the broker did not acknowledge outputs (%s); nothing after the last commit is committed",
            type(exc).__name__,
        )
        queue = self._unacknowledged
        for _ in range(unreleased):
            queue.task_done()
        await self._on_failure(exc)
        while True:
            await queue.get()
            queue.task_done()
