"""Consumer-group fencing for a stage's transactions (KIP-447), the two requests aiokafka does not send.

A stage commits the work of all its input partitions in one transaction, so a transaction cannot be fenced
by a transactional id per input partition alone. Instead, as Kafka Streams does since KIP-447:

- ``TxnOffsetCommit`` v3 carries the consumer's group generation and member id. The group coordinator refuses
  the offsets of a member that is no longer in the current generation (a worker that paused past its session
  timeout), and that worker's transaction is then aborted: nothing it wrote for those partitions commits.
- ``OffsetFetch`` v7 with ``require_stable``: the worker that gains a partition reads its committed offset
  only when no transaction that already sent offsets for it is still open. A transaction that sent them
  before the rebalance therefore ends (commits or aborts) before its successor reads where to start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka import errors as kafka_errors
from aiokafka.client import CoordinationType
from aiokafka.producer.sender import TxnOffsetCommitHandler
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import Boolean, CompactArray, CompactString, Int16, Int32, Int64, Schema, TaggedFields

logger = logging.getLogger(__name__)

ILLEGAL_GENERATION = 22
UNKNOWN_MEMBER_ID = 25
REBALANCE_IN_PROGRESS = 27
FENCED_INSTANCE_ID = 82
UNSTABLE_OFFSET_COMMIT = 88
# The member is not (or no longer) part of the group's current generation: its offsets must not commit.
GROUP_FENCING_ERRORS = frozenset({ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, FENCED_INSTANCE_ID})
STABLE_RETRY_S = 0.05


class GroupFencedError(kafka_errors.KafkaError):  # type: ignore[misc]
    """The group coordinator refused a transaction's offsets: this member left the group's current generation."""


@dataclass(frozen=True, slots=True)
class GroupMetadata:
    generation_id: int
    member_id: str
    group_instance_id: str | None


def consumer_group_metadata(consumer: AIOKafkaConsumer, group_instance_id: str | None) -> GroupMetadata:
    coordinator = consumer._coordinator  # aiokafka has no public accessor (Java: groupMetadata())
    return GroupMetadata(coordinator.generation, coordinator.member_id, group_instance_id)


class TxnOffsetCommitResponse_v3(Response):  # type: ignore[misc]  # noqa: N801 - aiokafka names protocol versions so
    API_KEY = 28
    API_VERSION = 3
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "topics",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("partitions", CompactArray(("partition_index", Int32), ("error_code", Int16), ("tags", TaggedFields))),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class TxnOffsetCommitRequest_v3(RequestStruct):  # type: ignore[misc]  # noqa: N801
    FLEXIBLE_VERSION = True
    API_KEY = 28
    API_VERSION = 3
    RESPONSE_TYPE = TxnOffsetCommitResponse_v3
    SCHEMA = Schema(
        ("transactional_id", CompactString("utf-8")),
        ("group_id", CompactString("utf-8")),
        ("producer_id", Int64),
        ("producer_epoch", Int16),
        ("generation_id", Int32),
        ("member_id", CompactString("utf-8")),
        ("group_instance_id", CompactString("utf-8")),
        (
            "topics",
            CompactArray(
                ("name", CompactString("utf-8")),
                (
                    "partitions",
                    CompactArray(
                        ("partition_index", Int32),
                        ("committed_offset", Int64),
                        ("committed_leader_epoch", Int32),
                        ("committed_metadata", CompactString("utf-8")),
                        ("tags", TaggedFields),
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class TxnOffsetCommitRequest(Request[TxnOffsetCommitRequest_v3]):  # type: ignore[misc]
    API_KEY = 28

    def __init__(self, *fields: Any) -> None:
        self._fields = fields

    def build(self, request_struct_class: type[TxnOffsetCommitRequest_v3]) -> TxnOffsetCommitRequest_v3:
        return request_struct_class(*self._fields)


class OffsetFetchResponse_v7(Response):  # type: ignore[misc]  # noqa: N801 - aiokafka names protocol versions so
    API_KEY = 9
    API_VERSION = 7
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "topics",
            CompactArray(
                ("name", CompactString("utf-8")),
                (
                    "partitions",
                    CompactArray(
                        ("partition_index", Int32),
                        ("committed_offset", Int64),
                        ("committed_leader_epoch", Int32),
                        ("metadata", CompactString("utf-8")),
                        ("error_code", Int16),
                        ("tags", TaggedFields),
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("error_code", Int16),
        ("tags", TaggedFields),
    )


class OffsetFetchRequest_v7(RequestStruct):  # type: ignore[misc]  # noqa: N801
    FLEXIBLE_VERSION = True
    API_KEY = 9
    API_VERSION = 7
    RESPONSE_TYPE = OffsetFetchResponse_v7
    SCHEMA = Schema(
        ("group_id", CompactString("utf-8")),
        (
            "topics",
            CompactArray(
                ("name", CompactString("utf-8")), ("partition_indexes", CompactArray(Int32)), ("tags", TaggedFields)
            ),
        ),
        ("require_stable", Boolean),
        ("tags", TaggedFields),
    )


class OffsetFetchRequest(Request[OffsetFetchRequest_v7]):  # type: ignore[misc]
    API_KEY = 9

    def __init__(self, group_id: str, topics: list[tuple[str, list[int], dict[int, bytes]]]) -> None:
        self._group_id = group_id
        self._topics = topics

    def build(self, request_struct_class: type[OffsetFetchRequest_v7]) -> OffsetFetchRequest_v7:
        return request_struct_class(self._group_id, self._topics, True, {})


def _refuse(txn: Any, exc: Exception) -> None:
    """Fail the transaction's pending offsets with ``exc`` (``send_offsets_to_transaction`` raises it)."""
    txn.error_transaction(exc)
    # aiokafka also fails its transaction-end waiter, which nothing awaits here: retrieved, it is not logged as
    # "never retrieved" at garbage collection.
    waiter = txn.wait_for_transaction_end()
    if waiter.done():
        waiter.exception()


class _FencedTxnOffsetCommit(TxnOffsetCommitHandler):  # type: ignore[misc]
    """aiokafka's handler, sending v3 with the consumer's current group metadata."""

    def __init__(self, sender: Any, offsets: Any, group_id: str, metadata: GroupMetadata) -> None:
        super().__init__(sender, offsets, group_id)
        self._metadata = metadata

    def create_request(self) -> TxnOffsetCommitRequest:
        txn = self._sender._txn_manager
        topics: dict[str, list[tuple[int, int, int, str, dict[int, bytes]]]] = defaultdict(list)
        for tp, offset in sorted(self._offsets.items()):
            topics[tp.topic].append((tp.partition, offset.offset, -1, offset.metadata, {}))
        meta = self._metadata
        return TxnOffsetCommitRequest(
            txn.transactional_id, self._group_id, txn.producer_id, txn.producer_epoch, meta.generation_id,
            meta.member_id, meta.group_instance_id, [(t, parts, {}) for t, parts in topics.items()], {},
        )  # fmt: skip

    def handle_response(self, resp: TxnOffsetCommitResponse_v3) -> float | None:
        fenced = [code for _, partitions, _ in resp.topics for _, code, _ in partitions if code in GROUP_FENCING_ERRORS]
        if fenced:
            _refuse(
                self._sender._txn_manager,
                GroupFencedError(f"offsets refused by the group coordinator (error {fenced[0]})"),
            )
            return None
        # Every other outcome as aiokafka handles it for v0 (same codes, another layout).
        resp.errors = [(t, [(p, code) for p, code, _ in partitions]) for t, partitions, _ in resp.topics]
        result: float | None = super().handle_response(resp)
        return result


def fence_offsets_by_group(producer: AIOKafkaProducer, metadata: Callable[[], GroupMetadata]) -> None:
    """Make ``producer.send_offsets_to_transaction`` send the consumer's group metadata (read when sent)."""
    sender = producer._sender

    async def txn_offset_commit(offsets: Any, group_id: str) -> None:
        if not offsets:
            return
        txn = sender._txn_manager
        meta = metadata()
        if meta.generation_id < 0 or not meta.member_id:
            # aiokafka resets both once the coordinator expelled this member, and the broker accepts a
            # transactional commit from generation -1 in any group state: never send one.
            _refuse(txn, GroupFencedError("this worker is not a member of the group's current generation"))
            return
        try:
            node_id = await sender._find_coordinator(CoordinationType.GROUP, group_id)
        except kafka_errors.GroupAuthorizationFailedError as exc:  # as aiokafka's own handler does
            _refuse(txn, exc)
            return
        await _FencedTxnOffsetCommit(sender, offsets, group_id, meta).do(node_id)

    sender._do_txn_offset_commit = txn_offset_commit


async def stable_committed(
    consumer: AIOKafkaConsumer, group_id: str, partitions: list[TopicPartition], timeout_s: float
) -> dict[TopicPartition, int | None]:
    """Each partition's committed offset (None: never committed), once no open transaction holds offsets for it.

    Waits at most ``timeout_s`` (the transaction timeout: the broker aborts an abandoned transaction by then)."""
    by_topic: dict[str, list[int]] = defaultdict(list)
    for tp in partitions:
        by_topic[tp.topic].append(tp.partition)
    request = OffsetFetchRequest(group_id, [(t, sorted(ps), {}) for t, ps in by_topic.items()])
    coordinator = consumer._coordinator
    deadline = time.monotonic() + timeout_s
    waited_for: set[TopicPartition] = set()
    while True:
        unstable: set[TopicPartition] = set()
        try:
            offsets = await _fetch_once(consumer, request, group_id, unstable)
        except kafka_errors.KafkaError as exc:
            if not exc.retriable:
                raise
            # The coordinator moved, is loading, or the connection dropped (a broker restart): find it again.
            coordinator.coordinator_dead()
            offsets = None
        if offsets is not None and not unstable:
            if waited_for:
                logger.info("group %s: offsets of %s stable after an open transaction ended", group_id,
                            sorted(f"{tp.topic}:{tp.partition}" for tp in waited_for))  # fmt: skip
            return offsets
        waited_for |= unstable
        if time.monotonic() >= deadline:
            names = sorted(f"{tp.topic}:{tp.partition}" for tp in unstable or partitions)
            raise kafka_errors.KafkaTimeoutError(
                f"group {group_id}: offsets of {names} not stable (still held by an open transaction, or no "
                f"coordinator) after {timeout_s:.0f}s"
            )
        await asyncio.sleep(STABLE_RETRY_S)


async def _fetch_once(
    consumer: AIOKafkaConsumer, request: OffsetFetchRequest, group_id: str, unstable: set[TopicPartition]
) -> dict[TopicPartition, int | None]:
    """One OffsetFetch; partitions still held by an open transaction go to ``unstable``."""
    coordinator = consumer._coordinator
    await coordinator.ensure_coordinator_known()
    response = await consumer._client.send(coordinator.coordinator_id, request)
    if response.error_code:
        raise kafka_errors.for_code(response.error_code)(f"offset fetch for group {group_id}")
    offsets: dict[TopicPartition, int | None] = {}
    for topic, parts, _ in response.topics or ():
        for partition, offset, _epoch, _metadata, error, _tags in parts:
            tp = TopicPartition(topic, partition)
            if error == UNSTABLE_OFFSET_COMMIT:
                unstable.add(tp)
            elif error:
                raise kafka_errors.for_code(error)(f"offset fetch for {topic}:{partition}")
            offsets[tp] = offset if offset >= 0 else None
    return offsets
