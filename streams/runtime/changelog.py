"""Restore a stage's per-partition state from its compacted changelog topic.

The changelog has the partition count of the stage's own input topics; partition p holds the state of partition
number p.
Restoring reads it ``read_committed`` from the beginning to the end observed at the start, once every
transaction open there then has ended. Under exactly-once the changelog changes of a batch commit in the same
transaction as its outputs and input offsets, and the restoring worker has fenced the partition's earlier owner
first, so the restored state is exactly the state those offsets were committed with: an aborted batch's changes
never come back. A partition whose state the worker kept when it moved away (that state was the changelog's up to
a known offset) is read from that offset on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.consumer.fetcher import READ_UNCOMMITTED

from streams.runtime.last_values import LastValues
from streams.settings import Settings

logger = logging.getLogger(__name__)

RESTORE_WINDOW_BYTES = 16 * 1024 * 1024  # changelog read ahead and reduced to last values before it is applied
SETTLE_POLL_S = 0.02
APPLY_SLICE_S = 0.005

RestoreFn = Callable[[int, bytes, "bytes | None"], None]


async def restore_partitions(
    settings: Settings,
    topic: str,
    partitions: Iterable[int],
    restore: RestoreFn,
    settle_timeout_s: float | None = None,
    resume_from: Mapping[int, int] | None = None,
    reset: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Feed each key's last changelog value in ``partitions`` to ``restore(partition, key, value)``
    (``streams.runtime.last_values``); return how many were restored and how many failed. A record that does not
    restore (written by another version, or by anyone with access to the topic) is logged and skipped: the rest
    of the partition's state still comes back.

    ``resume_from``: partitions whose state is already the changelog's up to an offset; they are read from there.
    Reading from earlier than needed is harmless (each record sets its key's value again), from later would lose
    changes: an offset the partition no longer holds (deleted records, a topic made again) is not trusted, and
    the partition is restored from the beginning after ``reset(partition)`` forgot its state.

    It reads up to where every transaction open in the partitions at the start has ended (at most
    ``settle_timeout_s``, by default the transaction timeout + 5 s): the group coordinator makes a transaction's
    offsets stable when its marker reaches ``__consumer_offsets``, which can be before its marker reaches the
    changelog, and a restore that stopped at the last stable offset then would miss that transaction's state."""
    tps = [TopicPartition(topic, p) for p in sorted(set(partitions))]
    if not tps:
        return 0, 0
    started = time.monotonic()
    consumer = AIOKafkaConsumer(
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",  # end_offsets are then the last stable offsets
        max_poll_records=10_000,
        # A broker answers one connection's requests in order: with aiokafka's default (500 ms) a fetch of a
        # partition read to its end held every ListOffsets asked after it (the settled ends) for half a second.
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        **settings.kafka_client_kwargs(),
    )
    await consumer.start()
    # The changelog's metadata before its offsets are asked: a consumer asked for a topic it does not know yet
    # learns it from the refusal and retries after retry_backoff_ms (100 ms a restore, every rebalance).
    await consumer._client.add_topic(topic)
    count = failed = 0
    if settle_timeout_s is None:
        settle_timeout_s = settings.transaction_timeout_ms / 1000 + 5
    try:
        highs = await _high_watermarks(consumer, tps)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        if resume_from:
            await _resume(consumer, tps, resume_from, highs, reset)
        ends = await _settled_ends(consumer, tps, highs, settle_timeout_s)
        remaining = {tp for tp in tps if ends[tp] > 0}
        for tp in tps:
            if ends[tp] > 0 and await consumer.position(tp) >= ends[tp]:
                remaining.discard(tp)  # compacted or deleted down to nothing readable
        window = LastValues(RESTORE_WINDOW_BYTES)
        read = 0
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=500)
            for tp, records in batch.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        break
                    if record.key is None:
                        continue
                    read += 1
                    if window.add(tp.partition, record.offset, record.key, record.value):
                        applied, skipped = await _apply(window, topic, restore)
                        count, failed = count + applied, failed + skipped
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        applied, skipped = await _apply(window, topic, restore)
        count, failed = count + applied, failed + skipped
    finally:
        await consumer.stop()
    logger.info(
        "restored %d keys from %d changelog records (%d skipped) of %s partitions %s in %.2fs",
        count, read, failed, topic, [tp.partition for tp in tps], time.monotonic() - started,
    )  # fmt: skip
    return count, failed


async def _high_watermarks(consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
    """Each partition's end, open transactions included. Asked before ``assign``: with no partition assigned the
    consumer fetches nothing while its isolation level is switched for this request (aiokafka has no option)."""
    fetcher = consumer._fetcher
    committed_only, fetcher._isolation_level = fetcher._isolation_level, READ_UNCOMMITTED
    try:
        return dict(await consumer.end_offsets(tps))
    finally:
        fetcher._isolation_level = committed_only


async def _resume(
    consumer: AIOKafkaConsumer,
    tps: list[TopicPartition],
    resume_from: Mapping[int, int],
    highs: dict[TopicPartition, int],
    reset: Callable[[int], None] | None,
) -> None:
    """Seek each partition with a kept state to its offset when the partition still holds it (the consumer is
    at each partition's beginning)."""
    for tp in tps:
        offset = resume_from.get(tp.partition)
        if offset is None:
            continue
        if await consumer.position(tp) <= offset <= highs[tp]:
            consumer.seek(tp, offset)
            continue
        logger.warning("changelog %s partition %d no longer holds offset %d; restoring the partition in full",
                       tp.topic, tp.partition, offset)  # fmt: skip
        if reset is not None:
            reset(tp.partition)


async def _settled_ends(
    consumer: AIOKafkaConsumer, tps: list[TopicPartition], highs: dict[TopicPartition, int], timeout_s: float
) -> dict[TopicPartition, int]:
    """The last stable offsets once they reach ``highs`` (every transaction open then has ended), or at the
    deadline: a transaction still open then belongs to a fenced worker and will abort."""
    deadline = time.monotonic() + timeout_s
    while True:
        ends: dict[TopicPartition, int] = dict(await consumer.end_offsets(tps))
        open_ = sorted(tp.partition for tp in tps if ends[tp] < highs[tp])
        if not open_:
            return ends
        if time.monotonic() >= deadline:
            logger.warning("changelog %s partitions %s: a transaction is still open after %.0fs; restoring up to it",
                           tps[0].topic, open_, timeout_s)  # fmt: skip
            return ends
        await asyncio.sleep(SETTLE_POLL_S)


async def _apply(window: LastValues, topic: str, restore: RestoreFn) -> tuple[int, int]:
    """Applying a window takes the event loop for a few hundred ms (the track stage's open mentions cost ~25 µs
    each): it yields every ``APPLY_SLICE_S`` so the stages that kept their partitions go on meanwhile."""
    applied = failed = 0
    clock = time.perf_counter
    slice_ends = clock() + APPLY_SLICE_S
    for partition, offset, key, value in window.drain():
        if not (applied + failed) % 64 and clock() >= slice_ends:
            await asyncio.sleep(0)
            slice_ends = clock() + APPLY_SLICE_S
        try:
            restore(partition, key, value)
            applied += 1
        except Exception as exc:
            failed += 1
            logger.error(
                "changelog record skipped: topic=%s partition=%d offset=%d error=%s",
                topic, partition, offset, type(exc).__name__,
            )  # fmt: skip
    return applied, failed
