"""The consumer group assignor every stage uses: partition numbers, not topic partitions, are what it hands out.

A stage's state is kept per partition number: records of every input topic's partition ``p`` read and write the
state of ``p`` (and its changelog partition ``p``). Kafka's range assignor lays out each topic apart, so when two
input topics have unequal partition counts (an external topic such as the raw mentions, written by whoever owns
it), partition ``p`` of one can go to one worker and ``p`` of the other to another: two workers would then hold
and write the same state. This assignor spreads the partition numbers over the members in ranges, as the range
assignor does for one topic, and gives each member every subscribed topic's partitions of its numbers, the way
Kafka Streams assigns a task (a partition number of co-partitioned topics) as a whole.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Protocol

from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment, ConsumerProtocolMemberMetadata

logger = logging.getLogger(__name__)


class PartitionMetadata(Protocol):
    def partitions_for_topic(self, topic: str) -> set[int] | None: ...


def assign_partition_numbers(
    topic_partitions: Mapping[str, set[int]], subscriptions: Mapping[str, Iterable[str]]
) -> dict[str, dict[str, list[int]]]:
    """``{member: {topic: partitions}}``: the partition numbers of all topics in ranges over the members in id
    order; each member gets its numbers' partitions of the topics it subscribes to. A topic partition whose
    number's member does not subscribe to that topic (members of two versions during a rolling upgrade) goes to
    the first member that does, so nothing is left unread."""
    members = sorted(subscriptions)
    assignment: dict[str, dict[str, list[int]]] = {member: {} for member in members}
    if not members:
        return assignment
    numbers = sorted(set().union(*topic_partitions.values())) if topic_partitions else []
    per_member, extra = divmod(len(numbers), len(members))
    owner: dict[int, str] = {}
    start = 0
    for i, member in enumerate(members):
        length = per_member + (1 if i < extra else 0)
        owner.update((number, member) for number in numbers[start : start + length])
        start += length
    subscribed = {member: set(topics) for member, topics in subscriptions.items()}
    for topic, partitions in topic_partitions.items():
        readers = [member for member in members if topic in subscribed[member]]
        if not readers:
            continue
        for partition in sorted(partitions):
            member = owner[partition] if topic in subscribed[owner[partition]] else readers[0]
            assignment[member].setdefault(topic, []).append(partition)
    return assignment


class CoPartitionedAssignor(RangePartitionAssignor):  # type: ignore[misc]
    """Assigns each partition number of a stage's input topics to one member (see the module doc); the member
    metadata is the range assignor's."""

    name = "co-partitioned"

    @classmethod
    def assign(
        cls,
        cluster: PartitionMetadata,
        members: Mapping[str, ConsumerProtocolMemberMetadata],
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        subscriptions = {member: list(metadata.subscription) for member, metadata in members.items()}
        topic_partitions: dict[str, set[int]] = {}
        for topic in set().union(*subscriptions.values()) if subscriptions else ():
            partitions = cluster.partitions_for_topic(topic)
            if partitions is None:
                logger.warning("no partition metadata for topic %s: not assigned in this generation", topic)
                continue
            topic_partitions[topic] = set(partitions)
        assignment = assign_partition_numbers(topic_partitions, subscriptions)
        return {
            member: ConsumerProtocolMemberAssignment(cls.version, sorted(assignment[member].items()), b"")
            for member in members
        }


# The only strategy a stage's consumer offers. aiokafka (0.14, aio-libs/aiokafka#1168) sends one JoinGroup per listed
# strategy, each with the strategies so far: the second one's different metadata makes the coordinator start another
# generation, so every rebalance would advance two, and a worker would take the gap for a generation it missed and
# restore the partitions it kept. Members since the co-partitioned assignor offer it first, so they still agree.
ASSIGNORS = (CoPartitionedAssignor,)
