"""Bounds on event time: no single record may move a stream clock past the wall clock plus a small skew.

Event-time clocks (dedupe and wave windows, the tracker's SLA timers) follow the largest event time seen,
so one record dated in the far future would expire every window and fire every open escalation at once.
Records dated more than ``max_skew`` ahead of this worker's clock are refused (dead-lettered with reason
``time_out_of_range``). Late records are processed as they are: the clocks never go backwards, so an old
record cannot move them at all (a replay of past data runs on its own past event time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

DEFAULT_MAX_SKEW_SECONDS = 300  # clocks of connectors and workers drift by seconds, not minutes


class TimeOutOfRangeError(ValueError):
    """An event time too far ahead of the wall clock."""


class EventTimeBounds:
    def __init__(
        self, max_skew_seconds: float = DEFAULT_MAX_SKEW_SECONDS, wall: Callable[[], float] = time.time
    ) -> None:
        self.max_skew_seconds = max_skew_seconds
        self._wall = wall

    def check(self, event_time: datetime, field: str) -> None:
        ahead = event_time.timestamp() - self._wall()
        if ahead > self.max_skew_seconds:
            raise TimeOutOfRangeError(
                f"{field} is {ahead:.0f}s ahead of the clock; at most {self.max_skew_seconds:.0f}s is accepted"
            )

    def accepts(self, event_time: datetime) -> bool:
        return event_time.timestamp() - self._wall() <= self.max_skew_seconds
