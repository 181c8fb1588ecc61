"""Keys and partitions of the topics other programs write to (raw mentions, responses)."""

from __future__ import annotations

from typing import Any

from schemas import Author
from streams.clients import Xxh3Partitioner
from streams.partitioning import RESHARE_AUTHOR, partition_for, raw_partition_key, response_key
from streams.runtime.partitioner import xxh3_partitioner
from tests.factories import make_mention


class _Cluster:
    def __init__(self, partitions: int) -> None:
        self._partitions = set(range(partitions))

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self._partitions

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self._partitions


def test_the_tools_partitioner_agrees_with_the_stages() -> None:
    """kafka-python tools and the aiokafka worker must put a key in the same partition."""
    tool = Xxh3Partitioner()
    cluster: Any = _Cluster(6)
    for i in range(300):
        key = f"mention-{i}".encode()
        expected = partition_for(key, 6)
        assert tool.partition("t", None, key, None, None, cluster) == expected
        assert xxh3_partitioner(key, list(range(6)), list(range(6))) == expected


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
