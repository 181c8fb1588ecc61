"""A stage's consumer group on the real broker: a rebalance advances the group by one generation.

A worker that sees its group skip a generation takes it for one it missed (others may have changed its
partitions meanwhile) and restores every partition it kept (``BatchAgent.partitions_assigned``). aiokafka sends a
JoinGroup per listed assignment strategy, so offering two strategies made every rebalance two generations: every
worker restored all its state whenever another joined or left.
"""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer

from streams.runtime.assignor import ASSIGNORS
from streams.runtime.group_fencing import consumer_group_metadata
from tests.integration.conftest import create_topics


def _member(bootstrap: str, group: str, topic: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest",
        partition_assignment_strategy=ASSIGNORS, heartbeat_interval_ms=200,
    )  # fmt: skip


async def _until(condition: object, timeout_s: float = 30.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.05)


async def test_a_member_joining_or_leaving_advances_the_group_one_generation(bootstrap: str) -> None:
    topic, group = f"gen-{uuid.uuid4().hex[:6]}", f"gen-{uuid.uuid4().hex[:6]}"
    create_topics(bootstrap, [topic], 4)
    first = _member(bootstrap, group, topic)
    await first.start()
    second = _member(bootstrap, group, topic)
    try:
        await _until(lambda: len(first.assignment()) == 4)
        alone = consumer_group_metadata(first, None).generation_id

        await second.start()
        await _until(lambda: len(first.assignment()) == 2 and len(second.assignment()) == 2)
        shared = consumer_group_metadata(first, None).generation_id
        assert shared == alone + 1
        assert consumer_group_metadata(second, None).generation_id == shared

        await second.stop()  # leaves the group
        await _until(lambda: len(first.assignment()) == 4)
        assert consumer_group_metadata(first, None).generation_id == shared + 1
    finally:
        await second.stop()
        await first.stop()
