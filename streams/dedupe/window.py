"""A bounded, event-time window of seen keys.

Keys expire once the newest event time seen is more than ``window_seconds`` past their first
sighting, and the oldest are evicted beyond ``max_keys``, so memory stays flat on an endless
stream. Insertion order of the dict is arrival order, which makes expiry O(1) amortised.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SeenWindow:
    window_seconds: float
    max_keys: int
    _first_seen: dict[int, float] = field(default_factory=dict)
    _watermark: float = float("-inf")

    def __len__(self) -> int:
        return len(self._first_seen)

    def check_and_add(self, key: int, event_time: float) -> float | None:
        """Return when ``key`` was first seen if it is still in the window, else remember it and return None."""
        if event_time > self._watermark:
            self._watermark = event_time
            self._expire()
        first = self._first_seen.get(key)
        if first is not None:
            if self._watermark - first <= self.window_seconds:
                return first
            del self._first_seen[key]  # expired but not yet swept: a new sighting
        self._first_seen[key] = event_time
        if len(self._first_seen) > self.max_keys:
            del self._first_seen[next(iter(self._first_seen))]
        return None

    def _expire(self) -> None:
        horizon = self._watermark - self.window_seconds
        seen = self._first_seen
        # Arrival order approximates event-time order; a late-arriving old key is swept when reached.
        while seen:
            oldest = next(iter(seen))
            if seen[oldest] >= horizon:
                break
            del seen[oldest]
