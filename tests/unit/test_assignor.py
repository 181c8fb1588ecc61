"""The co-partitioned assignor: one member per partition number, across topics of unequal partition counts."""

from __future__ import annotations

import itertools

import pytest
from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata

from streams.runtime.assignor import CoPartitionedAssignor, assign_partition_numbers


class Cluster:
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(range(self.counts[topic])) if topic in self.counts else None


def _owners(assignment: dict[str, dict[str, list[int]]]) -> dict[tuple[str, int], list[str]]:
    owners: dict[tuple[str, int], list[str]] = {}
    for member, topics in assignment.items():
        for topic, partitions in topics.items():
            for partition in partitions:
                owners.setdefault((topic, partition), []).append(member)
    return owners


@pytest.mark.parametrize(
    ("raw", "own", "members"), [(r, o, m) for r, o, m in itertools.product([1, 2, 3, 6, 7], [1, 3, 4], [1, 2, 3, 5])]
)
def test_every_partition_has_one_member_and_a_number_is_never_split(raw: int, own: int, members: int) -> None:
    topics = {"raw": set(range(raw)), "repartition": set(range(own))}
    subscriptions = {f"m{i}": ["raw", "repartition"] for i in range(members)}
    owners = _owners(assign_partition_numbers(topics, subscriptions))
    assert sorted(owners) == sorted((t, p) for t, ps in topics.items() for p in ps)
    assert all(len(held) == 1 for held in owners.values())
    for p in range(min(raw, own)):  # the range assignor splits these when the counts differ
        assert owners[("raw", p)] == owners[("repartition", p)]


def test_partition_numbers_are_spread_in_ranges_over_members_in_id_order() -> None:
    topics = {"a": {0, 1, 2, 3, 4}, "b": {0, 1}}
    assignment = assign_partition_numbers(topics, {"y": ["a", "b"], "x": ["a", "b"]})
    assert assignment == {"x": {"a": [0, 1, 2], "b": [0, 1]}, "y": {"a": [3, 4]}}


def test_the_range_assignor_would_split_a_partition_number_that_this_one_keeps_together() -> None:
    """Two members, topics of 2 and 3 partitions: range gives raw-1 to the second member, repartition-1 to the
    first (so two workers would hold partition 1's state)."""
    from aiokafka.coordinator.assignors.range import RangePartitionAssignor

    cluster = Cluster({"raw": 2, "repartition": 3})
    members = {m: ConsumerProtocolMemberMetadata(0, ["raw", "repartition"], b"") for m in ("m0", "m1")}
    ranged = RangePartitionAssignor.assign(cluster, members)  # type: ignore[arg-type]
    ranged_owners = {(topic, p): member for member, a in ranged.items() for topic, ps in a.assignment for p in ps}
    assert ranged_owners[("raw", 1)] != ranged_owners[("repartition", 1)]
    ours = CoPartitionedAssignor.assign(cluster, members)
    owners = {(topic, p): member for member, a in ours.items() for topic, ps in a.assignment for p in ps}
    assert owners[("raw", 1)] == owners[("repartition", 1)]
    assert len(owners) == 5


def test_a_topic_a_member_does_not_subscribe_to_goes_to_one_that_does() -> None:
    """During a rolling upgrade members can subscribe to different topics: nothing is left unread."""
    topics = {"a": {0, 1}, "new": {0, 1}}
    assignment = assign_partition_numbers(topics, {"old": ["a"], "upgraded": ["a", "new"]})
    assert assignment["old"] == {"a": [0]}
    assert assignment["upgraded"] == {"a": [1], "new": [0, 1]}


def test_a_topic_without_metadata_is_left_for_the_next_generation() -> None:
    members = {"m0": ConsumerProtocolMemberMetadata(0, ["a", "missing"], b"")}
    result = CoPartitionedAssignor.assign(Cluster({"a": 2}), members)
    assert result["m0"].assignment == [("a", [0, 1])]
