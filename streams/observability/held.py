"""Partitions whose readable end stands still behind an open transaction: the stall that lag does not show.

A ``read_committed`` reader (every router stage) reads a partition up to its last stable offset (LSO): the first
record of the oldest transaction still open there. A producer that opens a transaction and never ends it (a
crashed connector, a hostile client) holds every record written after it until the broker aborts it
(``transaction.max.timeout.ms``, 15 minutes by default). Consumer lag is counted up to the LSO, so it reads 0
while mentions wait. A partition is *held* while its log end is beyond its LSO; ``Held.since`` is when its LSO
was first seen at that offset. The router's own transactions move the LSO of the topics it writes several times
a second, so a held partition whose LSO has not moved for minutes is a transaction nobody is ending.

Pure logic on plain offsets; the lag exporter reads them (``streams.observability.lag``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Held", "held_partitions"]

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Held:
    stable: int  # the partition's last stable offset
    records: int  # written after it: not readable by read_committed readers yet
    since: float  # unix time the LSO was first seen at ``stable`` with records behind it


def held_partitions(
    previous: Mapping[K, Held], stable: Mapping[K, int], ends: Mapping[K, int], now: float
) -> dict[K, Held]:
    """The partitions held now, from their last stable offsets and log ends read at ``now``: one held at the same
    LSO as before keeps its ``since``; one whose LSO moved is held since now."""
    held: dict[K, Held] = {}
    for key, lso in stable.items():
        end = ends.get(key)
        if end is None or end <= lso:
            continue
        before = previous.get(key)
        since = before.since if before is not None and before.stable == lso else now
        held[key] = Held(lso, end - lso, since)
    return held
