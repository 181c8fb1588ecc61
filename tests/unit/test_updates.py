"""Counter updates held until their partition commits (streams.runtime.updates), on plain values."""

from __future__ import annotations

from streams.runtime.updates import HeldUpdates


def test_updates_apply_when_their_partition_commits_and_never_for_a_rolled_back_batch() -> None:
    counted: list[str] = []
    updates = HeldUpdates(deferred=True)
    updates.add(0, counted.append, "p0 batch 1")
    updates.add(1, counted.append, "p1 batch 1")
    updates.seal()
    updates.add(0, counted.append, "p0 batch 2 (fails)")
    updates.add(1, counted.append, "p1 batch 2")
    updates.seal(failed={0})  # partition 0's second batch is read again: its update is dropped
    assert counted == []
    updates.release({0})
    assert counted == ["p0 batch 1"]
    updates.forget({1})  # partition 1's transaction aborted: both its batches are read again
    updates.release({1})
    assert counted == ["p0 batch 1"]
    updates.add(1, counted.append, "p1 again")
    updates.seal()
    updates.release({0, 1})
    assert counted == ["p0 batch 1", "p1 again"]


def test_outside_a_runner_updates_apply_at_once() -> None:
    counted: list[int] = []
    HeldUpdates().add(3, counted.append, 7)
    assert counted == [7]
