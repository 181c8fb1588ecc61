"""Bounds on the state a worker keeps in memory, and the errors a record gets when it meets one.

Every per-partition store (dedupe index, waves, tracker) declares its bounded parts as ``Bound`` values.
A limit is set per worker (the settings) and shared over the input topic's partitions: each partition's store
gets ``limit // partition_count``, so a worker that takes over every partition (its peers gone) still holds
at most the configured limit. What happens at a bound is the store's documented choice: the oldest entry
is evicted (dedupe keys, waves, closed mentions, unmatched responses), or the record that would grow the
state is refused with ``StateFullError`` and dead-lettered (open mentions: evicting one would silently stop
tracking a customer who is still waiting). Either way ``Bound.evicted`` counts it for the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass


class StateFullError(ValueError):
    """The record would grow a store that is at its bound; it is dead-lettered (reason ``state_full``)."""


class UnknownReferenceError(ValueError):
    """The record names a mention or team the router does not know (reason ``unknown_reference``)."""


@dataclass(slots=True)
class Bound:
    """One bounded part of a partition's store. ``limit`` starts at the worker's whole limit (a store restored
    before the partition count is known) and becomes the partition's share once ``share`` is called."""

    worker_limit: int
    limit: int = 0
    evicted: int = 0  # entries evicted or records refused because of the bound, since the metrics last took it

    def __post_init__(self) -> None:
        if self.worker_limit <= 0:
            raise ValueError("a state limit must be positive")
        self.limit = self.limit or self.worker_limit

    def share(self, partition_count: int) -> None:
        self.limit = max(1, self.worker_limit // max(1, partition_count))

    def take_evicted(self) -> int:
        evicted, self.evicted = self.evicted, 0
        return evicted
