"""KIP-447 on the real broker: the group coordinator refuses a transaction's offsets from a member that left the
group, and a partition's committed offset is withheld while an open transaction holds offsets for it."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaTimeoutError
from kafka.admin import KafkaAdminClient, NewTopic

from streams.runtime.group_fencing import (
    GroupFencedError,
    GroupMetadata,
    consumer_group_metadata,
    fence_offsets_by_group,
    stable_committed,
)


@pytest.fixture
def topics(bootstrap: str) -> tuple[str, str]:
    source, sink = f"fence-in-{uuid.uuid4().hex[:6]}", f"fence-out-{uuid.uuid4().hex[:6]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1) for t in (source, sink)])
    finally:
        admin.close()
    return source, sink


async def _member(bootstrap: str, group: str, topic: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
        isolation_level="read_committed", auto_offset_reset="earliest",
    )  # fmt: skip
    await consumer.start()
    await consumer.getmany(timeout_ms=3000)  # joins the group
    assert consumer.assignment(), "the member joined"
    return consumer


async def _producer(bootstrap: str, metadata: list[GroupMetadata]) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"fence-{uuid.uuid4().hex[:6]}")
    await producer.start()
    fence_offsets_by_group(producer, lambda: metadata[0])
    return producer


async def _visible(bootstrap: str, topic: str) -> int:
    reader = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, isolation_level="read_committed", auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        batches = await reader.getmany(timeout_ms=2000)
        return sum(len(records) for records in batches.values())
    finally:
        await reader.stop()


async def test_a_member_that_left_the_group_cannot_commit_and_its_outputs_stay_invisible(
    bootstrap: str, topics: tuple[str, str]
) -> None:
    source, sink = topics
    group = f"fence-{uuid.uuid4().hex[:6]}"
    tp = TopicPartition(source, 0)
    first = await _member(bootstrap, group, source)
    metadata = [consumer_group_metadata(first, None)]
    producer = await _producer(bootstrap, metadata)
    try:
        await producer.begin_transaction()
        await producer.send_and_wait(sink, b"while a member")
        await producer.send_offsets_to_transaction({tp: 5}, group)
        await producer.commit_transaction()
        assert await stable_committed(first, group, [tp], timeout_s=10) == {tp: 5}

        await first.stop()  # leaves; the next member makes a new generation
        heir = await _member(bootstrap, group, source)
        try:
            await producer.begin_transaction()
            await producer.send_and_wait(sink, b"from a member that left")
            with pytest.raises(GroupFencedError):
                await producer.send_offsets_to_transaction({tp: 9}, group)
            await producer.abort_transaction()
            assert await stable_committed(heir, group, [tp], timeout_s=10) == {tp: 5}
            assert await _visible(bootstrap, sink) == 1, "the refused transaction's record never became visible"

            metadata[0] = consumer_group_metadata(heir, None)  # the current member commits
            await producer.begin_transaction()
            await producer.send_offsets_to_transaction({tp: 9}, group)
            await producer.commit_transaction()
            assert await stable_committed(heir, group, [tp], timeout_s=10) == {tp: 9}
        finally:
            await heir.stop()
    finally:
        await producer.stop()


async def test_offsets_held_by_an_open_transaction_are_read_only_once_it_ends(
    bootstrap: str, topics: tuple[str, str]
) -> None:
    source, _ = topics
    group = f"fence-{uuid.uuid4().hex[:6]}"
    tp = TopicPartition(source, 0)
    member = await _member(bootstrap, group, source)
    producer = await _producer(bootstrap, [consumer_group_metadata(member, None)])
    try:
        assert await stable_committed(member, group, [tp], timeout_s=10) == {tp: None}, "never committed"
        await producer.begin_transaction()
        await producer.send_offsets_to_transaction({tp: 7}, group)  # pending until the transaction ends
        with pytest.raises(KafkaTimeoutError, match="still held by an open transaction"):
            await stable_committed(member, group, [tp], timeout_s=1)
        assert await member.committed(tp) is None, "aiokafka's own fetch does not wait: it reads the old offset"
        await producer.commit_transaction()
        assert await stable_committed(member, group, [tp], timeout_s=10) == {tp: 7}
    finally:
        await producer.stop()
        await member.stop()
