"""Keys and partitions: Kafka's murmur2 for the topics other programs write, xxh3 for the router's own."""

from __future__ import annotations

import os
from typing import Any

from kafka.partitioner import DefaultPartitioner

from schemas import Author
from streams.clients import RouterPartitioner
from streams.partitioning import (
    RESHARE_AUTHOR,
    _kafka_partition,
    kafka_partition,
    murmur2,
    partition_for,
    raw_partition_key,
    response_key,
)
from streams.runtime.batching import group_by_partition
from streams.runtime.partitioner import xxh3_partitioner
from streams.runtime.records import Output
from streams.topics import TopicNames
from tests.factories import make_mention


class _Cluster:
    def __init__(self, partitions: int) -> None:
        self._partitions = set(range(partitions))

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self._partitions

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self._partitions

    def topics(self) -> set[str]:
        return {"t"}


# Utils.murmur2 in Kafka's own tests (UtilsTest), as signed Java ints.
JAVA_MURMUR2 = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


def test_murmur2_is_the_java_clients() -> None:
    for key, java in JAVA_MURMUR2.items():
        assert murmur2(key) == java & 0xFFFFFFFF, key


def test_the_c_and_python_partitions_agree_with_kafka_pythons_default_partitioner() -> None:
    """What a plain Kafka producer does with a keyed record is where the stages look for it."""
    for n in range(3000):
        key = os.urandom(n % 67)
        count = 1 + n % 12
        expected = DefaultPartitioner().partition("t", None, key, None, None, _Cluster(count))
        assert _kafka_partition(key, count) == expected
        assert kafka_partition(key, count) == expected


def test_the_tools_partitioner_agrees_with_the_stages() -> None:
    """kafka-python tools and the aiokafka worker must put a key in the same partition."""
    names = TopicNames()
    tool = RouterPartitioner(names.kafka_partitioned)
    cluster: Any = _Cluster(6)
    for i in range(300):
        key = f"mention-{i}".encode()
        for topic in (names.raw, names.responses, names.assignments):
            assert tool.partition(topic, None, key, None, None, cluster) == kafka_partition(key, 6)
        assert tool.partition(names.unique, None, key, None, None, cluster) == partition_for(key, 6)
        assert xxh3_partitioner(key, list(range(6)), list(range(6))) == partition_for(key, 6)


def test_assignments_are_written_where_the_responses_of_the_same_mention_are() -> None:
    names = TopicNames()
    outputs = [Output(names.assignments, f"twitter:{i}".encode(), b"{}") for i in range(200)]
    groups = group_by_partition(outputs, {names.assignments: 6}, {}, names.kafka_partitioned)
    for (_, partition), group in groups.items():
        assert all(kafka_partition(o.key or b"", 6) == partition for o in group)


def test_one_person_across_channels_shares_a_raw_key() -> None:
    on_x = make_mention(author=Author(handle="@Casey_T", linked_handles=("instagram:casey.t",)))
    on_instagram = make_mention(author=Author(handle="casey.t", linked_handles=("twitter:Casey_T",)))
    someone_else = make_mention(author=Author(handle="dana"))
    assert raw_partition_key(on_x) == raw_partition_key(on_instagram)
    assert raw_partition_key(someone_else) != raw_partition_key(on_x)


def test_a_reshare_goes_to_its_originals_author_when_known() -> None:
    original = make_mention(author=Author(handle="AirlineFan"))
    reshare = make_mention(
        "RT @AirlineFan: lost my bag again",
        author=Author(handle="someone"),
        reshare_of_id=original.native_id,
        metadata={RESHARE_AUTHOR: "@airlinefan"},
    )
    unknown_original = make_mention(author=Author(handle="someone"), reshare_of_id="123")
    assert raw_partition_key(reshare) == raw_partition_key(original)
    assert raw_partition_key(unknown_original) == b"someone"


def test_responses_are_keyed_by_mention_id() -> None:
    assert response_key("twitter:42") == b"twitter:42"
