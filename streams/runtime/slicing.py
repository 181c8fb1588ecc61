"""A fetched batch handled in slices of a few milliseconds each, yielding the event loop in between.

A worker's stages share one event loop. A stage handling 2,000 fetched records in one go (a backlog after a
rebalance) holds the loop for hundreds of milliseconds, during which the other stages' commits, fetches and
heartbeats wait: each round trip of a commit (five in a row) is delayed by whatever runs when its response
arrives. Slicing bounds that wait without shrinking what a fetch or a transaction carries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar

__all__ = ["SliceSizer", "slices"]

K = TypeVar("K")
R = TypeVar("R")


def slices(batch: Mapping[K, list[R]], size: int) -> Iterator[dict[K, list[R]]]:
    """``batch`` in pieces of at most ``size`` records, each partition's records in order."""
    piece: dict[K, list[R]] = {}
    room = size
    for partition, records in batch.items():
        start = 0
        while start < len(records):
            taken = records[start : start + room]
            piece[partition] = taken
            start += len(taken)
            room -= len(taken)
            if not room:
                yield piece
                piece, room = {}, size
    if piece:
        yield piece


class SliceSizer:
    """How many records fit ``budget_s`` of handling, from the stage's measured time per record (smoothed)."""

    def __init__(self, budget_s: float, minimum: int, maximum: int) -> None:
        self._budget_s = budget_s
        self._minimum = minimum
        self._maximum = maximum
        self._per_record_s: float | None = None
        self.size = maximum  # until measured

    def observe(self, records: int, seconds: float) -> None:
        if records <= 0:
            return
        per_record = seconds / records
        smoothed = self._per_record_s
        self._per_record_s = per_record if smoothed is None else 0.8 * smoothed + 0.2 * per_record
        self.size = max(self._minimum, min(self._maximum, int(self._budget_s / self._per_record_s)))
