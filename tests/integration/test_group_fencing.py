"""KIP-447 on the real broker: the group coordinator refuses a transaction's offsets from a member that left the
group, and a partition's committed offset is withheld while an open transaction holds offsets for it."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaTimeoutError

from streams.runtime.group_fencing import (
    GroupFencedError,
    GroupMetadata,
    consumer_group_metadata,
    fence_offsets_by_group,
    stable_committed,
)
from tests.integration.conftest import create_topics


@pytest.fixture
def topics(bootstrap: str) -> tuple[str, str]:
    source, sink = f"fence-in-{uuid.uuid4().hex[:6]}", f"fence-out-{uuid.uuid4().hex[:6]}"
    create_topics(bootstrap, [source, sink], 1)
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


async def _producer(bootstrap: str, metadata: list[GroupMetadata], transactional_id: str) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=transactional_id)
    await producer.start()
    fence_offsets_by_group(producer, lambda: metadata[0])
    return producer


async def _visible(bootstrap: str, topic: str) -> list[bytes | None]:
    reader = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, isolation_level="read_committed", auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        batches = await reader.getmany(timeout_ms=2000)
        return [record.value for records in batches.values() for record in records]
    finally:
        await reader.stop()


async def test_a_member_that_left_the_group_cannot_commit_and_its_outputs_never_become_visible(
    bootstrap: str, topics: tuple[str, str]
) -> None:
    source, sink = topics
    group = f"fence-{uuid.uuid4().hex[:6]}"
    txn_id = f"fence-{uuid.uuid4().hex[:6]}.0"
    tp = TopicPartition(source, 0)
    first = await _member(bootstrap, group, source)
    metadata = [consumer_group_metadata(first, None)]
    zombie = await _producer(bootstrap, metadata, txn_id)
    await zombie.begin_transaction()
    await zombie.send_and_wait(sink, b"while a member")
    await zombie.send_offsets_to_transaction({tp: 5}, group)
    await zombie.commit_transaction()
    assert await stable_committed(first, group, [tp], timeout_s=10) == {tp: 5}

    await first.stop()  # leaves; the next member makes a new generation
    heir = await _member(bootstrap, group, source)
    try:
        await zombie.begin_transaction()
        await zombie.send_and_wait(sink, b"from a member that left")
        with pytest.raises(GroupFencedError):
            await zombie.send_offsets_to_transaction({tp: 9}, group)
        await zombie.stop()  # as the committer does: never reused
        # What aiokafka sends once it has reset an expelled member: the broker would accept it from anyone.
        reset = await _producer(bootstrap, [GroupMetadata(-1, "", None)], f"fence-{uuid.uuid4().hex[:6]}")
        await reset.begin_transaction()
        with pytest.raises(GroupFencedError):
            await reset.send_offsets_to_transaction({tp: 9}, group)
        await reset.stop()

        # The partition's next owner opens the same transactional id: the refused transaction is aborted.
        owner = await _producer(bootstrap, [consumer_group_metadata(heir, None)], txn_id)
        try:
            assert await stable_committed(heir, group, [tp], timeout_s=10) == {tp: 5}
            await owner.begin_transaction()
            await owner.send_and_wait(sink, b"from the heir")
            await owner.send_offsets_to_transaction({tp: 9}, group)
            await owner.commit_transaction()
            assert await stable_committed(heir, group, [tp], timeout_s=10) == {tp: 9}
            assert await _visible(bootstrap, sink) == [b"while a member", b"from the heir"]
        finally:
            await owner.stop()
    finally:
        await heir.stop()


async def test_offsets_held_by_an_open_transaction_are_read_only_once_it_ends(
    bootstrap: str, topics: tuple[str, str]
) -> None:
    source, _ = topics
    group = f"fence-{uuid.uuid4().hex[:6]}"
    tp = TopicPartition(source, 0)
    member = await _member(bootstrap, group, source)
    producer = await _producer(bootstrap, [consumer_group_metadata(member, None)], f"fence-{uuid.uuid4().hex[:6]}")
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
