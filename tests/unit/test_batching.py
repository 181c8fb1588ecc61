from __future__ import annotations

from streams.partitioning import partition_for
from streams.runtime.batching import group_by_partition
from streams.runtime.records import Output


def test_keyed_outputs_go_where_the_xxh3_partitioner_sends_them_in_their_order() -> None:
    outputs = [Output("t", f"k{i % 7}".encode(), str(i).encode()) for i in range(40)]
    groups = group_by_partition(outputs, {"t": 6})
    assert sum(map(len, groups.values())) == 40
    for (topic, partition), group in groups.items():
        assert topic == "t"
        assert all(partition_for(o.key or b"", 6) == partition for o in group)
        values = [int(o.value or b"") for o in group]
        assert values == sorted(values), "the order within a partition is kept"


def test_an_explicit_partition_wins_over_the_key() -> None:
    key = b"abc"
    other = (partition_for(key, 4) + 1) % 4
    groups = group_by_partition([Output("changelog", key, None, None, other)], {"changelog": 4})
    assert list(groups) == [("changelog", other)]


def test_topics_are_grouped_apart_and_unkeyed_records_stay_in_range() -> None:
    outputs = [Output("a", None, b"1"), Output("b", b"k", b"2"), Output("a", None, b"3")]
    groups = group_by_partition(outputs, {"a": 3, "b": 2})
    assert {topic for topic, _ in groups} == {"a", "b"}
    assert all(0 <= partition < (3 if topic == "a" else 2) for topic, partition in groups)
    assert sorted(o.value or b"" for g in groups.values() for o in g) == [b"1", b"2", b"3"]
