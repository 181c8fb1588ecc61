from __future__ import annotations

from streams.runtime.slicing import SliceSizer, slices


def test_slices_keep_each_partitions_order_and_cover_the_batch_once() -> None:
    batch = {"a": [1, 2, 3, 4, 5], "b": [10, 11], "c": [20]}
    pieces = list(slices(batch, 3))
    assert pieces == [{"a": [1, 2, 3]}, {"a": [4, 5], "b": [10]}, {"b": [11], "c": [20]}]
    assert list(slices(batch, 100)) == [batch]
    assert list(slices({}, 3)) == []


def test_the_size_follows_the_measured_cost_per_record_within_bounds() -> None:
    sizer = SliceSizer(budget_s=0.005, minimum=16, maximum=2000)
    assert sizer.size == 2000, "unmeasured: the whole fetch"
    sizer.observe(100, 0.02)  # 200 µs a record
    assert sizer.size == 25
    sizer.observe(100, 0.0001)  # cheaper records pull it up gradually
    assert 25 < sizer.size < 2000
    for _ in range(100):
        sizer.observe(10, 1.0)
    assert sizer.size == 16, "never below the minimum"
    sizer.observe(0, 1.0)
    assert sizer.size == 16, "an empty slice says nothing"
