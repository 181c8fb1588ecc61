"""Metric updates that count when their input partition commits, not when its records are handled.

Under exactly-once a batch that rolls back is read and handled again; a counter incremented while handling
would count it twice. A stage adds each update with the input partition it came from
(``stage.updates.add(partition, counter.inc)``); the runner that hosts the stage seals each batch (a
partition whose batch failed loses that batch's updates: it is read again), applies a partition's sealed
updates when its transaction commits (at-least-once: when its outputs are handed on) and drops them when it
rolls back or moves to another worker. Outside a runner (tools, tests) updates apply at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Update = tuple[Callable[..., Any], tuple[Any, ...]]


class HeldUpdates:
    __slots__ = ("_batch", "_deferred", "_sealed")

    def __init__(self, deferred: bool = False) -> None:
        self._deferred = deferred
        self._batch: dict[int, list[Update]] = {}  # the batch being handled
        self._sealed: dict[int, list[Update]] = {}  # handled, waiting for the partition's commit

    def add(self, partition: int, update: Callable[..., Any], *args: Any) -> None:
        if not self._deferred:
            update(*args)
            return
        self._batch.setdefault(partition, []).append((update, args))

    def seal(self, failed: Iterable[int] = ()) -> None:
        """The batch is handled: its updates wait for their partitions' commit, except the failed partitions'."""
        for partition in failed:
            self._batch.pop(partition, None)
        for partition, updates in self._batch.items():
            self._sealed.setdefault(partition, []).extend(updates)
        self._batch.clear()

    def release(self, partitions: Iterable[int]) -> None:
        """``partitions`` committed: apply their sealed updates."""
        for partition in partitions:
            for update, args in self._sealed.pop(partition, ()):
                update(*args)

    def forget(self, partitions: Iterable[int]) -> None:
        """``partitions`` rolled back or moved away: what they handled since their last commit never counted."""
        for partition in partitions:
            self._sealed.pop(partition, None)
            self._batch.pop(partition, None)
