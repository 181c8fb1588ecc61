from __future__ import annotations

from streams.runtime.batching import group_by_partition
from streams.runtime.partitioner import xxh3_partitioner
from streams.runtime.records import Output


def test_keyed_outputs_go_where_the_producers_xxh3_partitioner_sends_them_in_their_order() -> None:
    outputs = [Output("t", f"k{i % 7}".encode(), str(i).encode()) for i in range(40)]
    groups = group_by_partition(outputs, {"t": 6}, {"t": range(6)})
    assert sum(map(len, groups.values())) == 40
    for (topic, partition), group in groups.items():
        assert topic == "t"
        assert all(xxh3_partitioner(o.key, range(6), range(6)) == partition for o in group)
        values = [int(o.value or b"") for o in group]
        assert values == sorted(values), "the order within a partition is kept"


def test_an_explicit_partition_wins_over_the_key() -> None:
    key = b"abc"
    other = (xxh3_partitioner(key, range(4), range(4)) + 1) % 4
    groups = group_by_partition([Output("changelog", key, None, None, other)], {"changelog": 4}, {})
    assert list(groups) == [("changelog", other)]


def test_unkeyed_records_go_to_partitions_with_a_leader() -> None:
    outputs = [Output("a", None, str(i).encode()) for i in range(50)] + [Output("b", b"k", b"x")]
    groups = group_by_partition(outputs, {"a": 6, "b": 2}, {"a": [1, 4], "b": []})
    assert {partition for topic, partition in groups if topic == "a"} <= {1, 4}
    assert sum(len(g) for (topic, _), g in groups.items() if topic == "a") == 50
    assert [topic for topic, _ in groups].count("b") == 1


def test_without_leader_information_unkeyed_records_use_any_partition() -> None:
    groups = group_by_partition([Output("a", None, b"1")] * 30, {"a": 3}, {})
    assert all(0 <= partition < 3 for _, partition in groups)
