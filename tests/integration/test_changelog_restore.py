"""Restoring a changelog on the real broker: each key's last committed value comes back, and a transaction open
when the restore starts is waited for (its commit marker can reach the changelog after the group's offsets are
already stable), so the state it committed is not missed."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaProducer

from streams.runtime.changelog import restore_partitions
from streams.settings import Settings
from tests.integration.conftest import create_topics


async def _changelog(bootstrap: str) -> tuple[str, Settings, AIOKafkaProducer]:
    """A two-partition changelog topic, settings to restore it, and a started transactional producer."""
    topic = f"restore-{uuid.uuid4().hex[:6]}"
    create_topics(bootstrap, [topic], 2)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"restore-{uuid.uuid4().hex[:6]}")
    await producer.start()
    return topic, Settings(bootstrap_servers=bootstrap, metrics_port=0), producer


async def test_a_restore_applies_last_values_and_waits_for_a_transaction_open_when_it_starts(bootstrap: str) -> None:
    topic, settings, producer = await _changelog(bootstrap)
    try:
        async with producer.transaction():
            for partition, key, value in [(0, b"a", b"1"), (0, b"b", b"1"), (0, b"a", b"2"), (1, b"a", b"x")]:
                await producer.send(topic, value, key=key, partition=partition)
        await producer.begin_transaction()  # open when the restore starts, committed while it waits
        await (await producer.send(topic, b"3", key=b"b", partition=0))
        applied: list[tuple[int, bytes, bytes | None]] = []
        restoring = asyncio.create_task(
            restore_partitions(settings, topic, {0, 1}, lambda p, k, v: applied.append((p, k, v)), settle_timeout_s=30)
        )
        await asyncio.sleep(1.0)
        assert not restoring.done(), "the restore waits for the open transaction"
        await producer.commit_transaction()
        assert await asyncio.wait_for(restoring, 30) == (3, 0)
    finally:
        await producer.stop()
    assert sorted(applied) == [(0, b"a", b"2"), (0, b"b", b"3"), (1, b"a", b"x")]


async def test_a_transaction_that_never_ends_is_waited_for_until_the_deadline_only(bootstrap: str) -> None:
    topic, settings, producer = await _changelog(bootstrap)
    try:
        async with producer.transaction():
            await producer.send(topic, b"1", key=b"a", partition=0)
        await producer.begin_transaction()
        await (await producer.send(topic, b"2", key=b"a", partition=0))  # a fenced worker's: it will abort
        applied: list[tuple[int, bytes, bytes | None]] = []
        result = await restore_partitions(settings, topic, {0}, lambda p, k, v: applied.append((p, k, v)), 0.5)
        assert result == (1, 0)
        assert applied == [(0, b"a", b"1")], "only what was committed"
        await producer.abort_transaction()
    finally:
        await producer.stop()


async def test_a_kept_state_is_restored_from_its_offset_and_a_lost_offset_restores_in_full(bootstrap: str) -> None:
    topic, settings, producer = await _changelog(bootstrap)
    try:
        async with producer.transaction():
            for key, value in [(b"a", b"1"), (b"b", b"1")]:  # offsets 0 and 1
                await producer.send(topic, value, key=key, partition=0)
        # The transaction's marker is offset 2: a state kept after it ends there.
        async with producer.transaction():
            for key, value in [(b"a", b"2"), (b"c", b"1")]:
                await producer.send(topic, value, key=key, partition=0)
            await producer.send(topic, b"x", key=b"a", partition=1)
    finally:
        await producer.stop()
    applied: list[tuple[int, bytes, bytes | None]] = []
    reset: list[int] = []
    result = await restore_partitions(
        settings, topic, {0, 1}, lambda p, k, v: applied.append((p, k, v)), 5, resume_from={0: 3}, reset=reset.append
    )
    assert result == (3, 0)
    assert sorted(applied) == [(0, b"a", b"2"), (0, b"c", b"1"), (1, b"a", b"x")], "partition 0 from offset 3 only"
    assert reset == []

    applied.clear()
    # An offset past the end: the topic was made again, or its records deleted. The kept state is not trusted.
    await restore_partitions(
        settings, topic, {0}, lambda p, k, v: applied.append((p, k, v)), 5, resume_from={0: 99}, reset=reset.append
    )
    assert reset == [0]
    assert sorted(applied) == [(0, b"a", b"2"), (0, b"b", b"1"), (0, b"c", b"1")]
