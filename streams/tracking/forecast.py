"""SLA breach forecast: how many open mentions will miss their first-response SLA soon if nothing changes.

Pure logic on plain values. The model, stated so an SRE can judge the number:

- **Capacity**: each team keeps answering at its recent rate, first responses per second over the last
  ``window`` (15 minutes) of the stream clock (``AnswerRate``, kept in the tracker's changelog so a
  restart does not forget it).
- **Order**: a team answers its open mentions in due-time order, the overdue ones first (oldest-due
  first is what care teams are told to do, and it is the order that breaches least).
- Then the k-th open mention in due order is answered ``k / rate`` seconds from now, and it breaches when
  that is after its due time. ``SlaClocks.forecast`` counts, per team and priority band, the mentions due
  within each horizon that would: with no answers at all, every mention due within the horizon.

Mentions not yet routed are not in it, so the figure is a floor when the inflow grows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

# Label value -> seconds ahead (mention_router_sla_breach_forecast{horizon}).
HORIZONS: dict[str, float] = {"15m": 15 * 60.0, "60m": 60 * 60.0}
WINDOW = timedelta(minutes=15)
_BUCKET_SECONDS = 60
DUE_BUCKET_SECONDS = 10  # the forecast's resolution in due time: ~1% of the 15-minute horizon
# Below this much observed stream time the rate is unknown, not zero: no forecast yet.
MIN_OBSERVED = timedelta(minutes=1)

Forecast = dict[tuple[str, str, str], int]  # (team, priority band, horizon) -> mentions


class SlaClocks:
    """Open mentions' SLA clocks gathered a part at a time (the track stage reads a few thousand open mentions per
    timer round, so a large backlog does not hold the event loop for the whole pass), then forecast at once.

    Each part is read at a wall-clock time ``at`` (seconds) against a stream clock's ``now``: what is due
    ``due - now`` seconds after ``at`` lines up with the parts read at other moments and from partitions on other
    stream clocks. Per team, overdue mentions are only counted (answered first, they breach no more); those due
    within the longest horizon (and as much again, for a pass that takes time) are counted per band and
    ``DUE_BUCKET_SECONDS`` of due time, so the forecast costs the same for a backlog of a hundred or a million, and
    a mention counts as due at the start of its bucket (at most that much earlier than it is)."""

    def __init__(self, horizons: Mapping[str, float] = HORIZONS) -> None:
        self._horizons = dict(horizons)
        self._longest = max(horizons.values(), default=0.0)
        self._overdue: dict[str, int] = {}
        self._due: dict[str, dict[tuple[int, str], int]] = {}  # team -> (wall-clock due bucket, band) -> mentions

    def add_due(self, entries: Iterable[tuple[str, str, float]], now: float, at: float) -> int:
        """(team, band, SLA due time) of open, unanswered mentions, in seconds on a stream clock that reads ``now``
        at wall-clock ``at``. Returns how many were read."""
        overdue, by_team, keep, read = self._overdue, self._due, 2 * self._longest, 0
        for team, band, due in entries:
            read += 1
            left = due - now
            if left <= 0:
                overdue[team] = overdue.get(team, 0) + 1
            elif left <= keep:  # later ones come after every counted one in due order: they change no rank
                key = (int((at + left) // DUE_BUCKET_SECONDS), band)
                buckets = by_team.get(team)
                if buckets is None:
                    buckets = by_team[team] = {}
                buckets[key] = buckets.get(key, 0) + 1
        return read

    def forecast(self, answers_per_second: Mapping[str, float], at: float) -> Forecast:
        """At wall-clock ``at``: per team, band and horizon, the mentions that would breach (see the module)."""
        found: Forecast = {}
        for team in self._overdue.keys() | self._due.keys():
            rate = answers_per_second.get(team)
            if rate is None:
                continue
            rank = self._overdue.get(team, 0)  # answered first: every mention due later waits behind them
            for (bucket, band), count in sorted(self._due.get(team, {}).items()):
                left = bucket * DUE_BUCKET_SECONDS - at
                if left > self._longest:
                    break
                # Ranks rank+1 .. rank+count; the k-th answer comes k / rate seconds from now.
                late = 0 if left <= 0 else count - max(0, min(count, math.floor(rate * left) - rank))
                rank += count
                if late:
                    for label, ahead in self._horizons.items():
                        if left <= ahead:
                            key = (team, band, label)
                            found[key] = found.get(key, 0) + late
        return found


class AnswerRate:
    """First responses per team in one-minute buckets of event time, over the last ``window``."""

    def __init__(self, window: timedelta = WINDOW) -> None:
        self._window = window
        self._buckets: dict[str, dict[int, int]] = {}
        self._since: datetime | None = None  # when observing began (stream time): how much history there is

    def observe(self, now: datetime) -> bool:
        """The stream clock is at ``now``; the first call starts the observed span (and returns True)."""
        if self._since is None:
            self._since = now
            return True
        return False

    def add(self, team: str, at: datetime) -> None:
        self.observe(at)
        minute = int(at.timestamp()) // _BUCKET_SECONDS
        buckets = self._buckets.setdefault(team, {})
        buckets[minute] = buckets.get(minute, 0) + 1

    def prune(self, now: datetime) -> bool:
        """Forget buckets older than the window; True when anything was forgotten."""
        oldest = _oldest_minute(now, self._window)
        changed = False
        for team in list(self._buckets):
            buckets = self._buckets[team]
            for minute in [m for m in buckets if m < oldest]:
                del buckets[minute]
                changed = True
            if not buckets:
                del self._buckets[team]
        return changed

    def rates(self, now: datetime, teams: Iterable[str]) -> dict[str, float]:
        """Answers per second for each of ``teams`` (0.0 for none seen), or {} while under a minute was observed."""
        if self._since is None or now - self._since < MIN_OBSERVED:
            return {}
        oldest = _oldest_minute(now, self._window)
        span = min(self._window.total_seconds(), (now - self._since).total_seconds())
        span = min(span, now.timestamp() - oldest * _BUCKET_SECONDS)  # the buckets counted cover this much
        return {team: sum(n for m, n in self._buckets.get(team, {}).items() if m >= oldest) / span for team in teams}

    def to_json(self) -> dict[str, Any]:
        return {
            "since": None if self._since is None else self._since.isoformat(),
            "answers": {team: sorted(buckets.items()) for team, buckets in self._buckets.items()},
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], window: timedelta = WINDOW) -> AnswerRate:
        rate = cls(window)
        since = doc.get("since")
        rate._since = None if since is None else datetime.fromisoformat(since)
        rate._buckets = {team: {int(m): int(n) for m, n in pairs} for team, pairs in doc.get("answers", {}).items()}
        return rate


def merge_rates(rates: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Per-partition rates of one worker added up (a team's answers are spread over its partitions)."""
    total: dict[str, float] = {}
    for partition_rates in rates:
        for team, rate in partition_rates.items():
            total[team] = total.get(team, 0.0) + rate
    return total


def _oldest_minute(now: datetime, window: timedelta) -> int:
    return int((now - window).timestamp()) // _BUCKET_SECONDS + 1
