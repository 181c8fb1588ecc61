"""Business-hours calendars: when a team is open, and SLA clocks that only run while it is.

A ``BusinessCalendar`` has an IANA time zone, weekly opening hours (several intervals a day allowed;
an interval whose end is not after its start, such as ``22:00-06:00``, runs overnight into the next
day) and holiday dates. Opening hours are local wall-clock times; every instant in and out is a
timezone-aware ``datetime`` (results are in UTC).

Semantics, precisely:

* An interval belongs to the weekday it starts on; an overnight interval's tail after midnight is
  open time of the following date.
* A holiday closes its whole local date, 00:00-24:00, whichever day's interval reaches into it (a
  Monday 22:00-06:00 shift before a Tuesday holiday is open 22:00-24:00 only, and a shift starting
  on a holiday is open from midnight, the next date).
* Local times are turned into instants per date, so DST is honoured: on the night clocks go back an
  ``00:00-03:00`` interval lasts four real hours, on the night they go forward two. A boundary is the
  first instant the local clock reads that time or later: an ambiguous time is its first occurrence,
  and a time that does not exist (in the spring-forward gap) is the instant the clock jumps past it.
* Durations count real elapsed open time (seconds), not wall-clock readings.

Per-date open intervals are computed once and memoised, so ``is_open`` and an SLA due time within a
few days cost a few microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_data

__all__ = [
    "ALWAYS",
    "ALWAYS_NAME",
    "WEEKDAYS",
    "BusinessCalendar",
    "format_duration",
    "parse_days",
    "parse_duration",
    "parse_interval",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_NAME = "always"
DAY_MINUTES = 24 * 60
# How far ahead next_open/add_business_time look for open time before giving up (a calendar whose
# weekly hours are all empty is refused at construction, so only absurd durations get this far).
MAX_SEARCH_DAYS = 366 * 20
_CACHE_LIMIT = 4096  # memoised dates per calendar (about 11 years); cleared when exceeded

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)

Interval = tuple[int, int]  # (start minute, end minute) local; end <= start means overnight into the next day


# --- parsing helpers (shared with the rules loader; they raise ValueError with a readable message) ---

_INTERVAL_RE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_DURATION_RE = re.compile(r"(\d+)\s*([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_interval(text: str) -> Interval:
    """``"09:00-17:30"`` -> (540, 1050); ``"22:00-06:00"`` (overnight) -> (1320, 360); ``24:00`` only as an end."""
    match = _INTERVAL_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"interval '{text}' must look like 09:00-17:00 (24-hour HH:MM-HH:MM)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59:
        raise ValueError(f"interval '{text}': start {h1:02d}:{m1:02d} is not a time of day (00:00-23:59)")
    if m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise ValueError(f"interval '{text}': end {h2:02d}:{m2:02d} is not a time of day (00:00-24:00)")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ValueError(f"interval '{text}' is empty; for a whole day write 00:00-24:00")
    return start, end


def parse_days(key: str) -> tuple[int, ...]:
    """``"mon"`` -> (0,); ``"mon-fri"`` -> (0, 1, 2, 3, 4); ``"fri-mon"`` wraps: (4, 5, 6, 0); ``"daily"`` = mon-sun."""
    text = key.strip().lower()
    if text == "daily":
        return tuple(range(7))
    first, sep, last = text.partition("-")
    for part in (first, last) if sep else (first,):
        if part not in WEEKDAYS:
            raise ValueError(
                f"unknown day '{part}' in '{key}': use {', '.join(WEEKDAYS)}, a range like mon-fri, or daily"
            )
    a = WEEKDAYS.index(first)
    if not sep:
        return (a,)
    b = WEEKDAYS.index(last)
    if a == b:
        raise ValueError(f"day range '{key}' starts and ends on the same day; write '{first}'")
    return tuple((a + i) % 7 for i in range((b - a) % 7 + 1))


def parse_duration(text: str) -> timedelta:
    """``"15m"``, ``"1h"``, ``"1h30m"``, ``"2d"``, ``"1w"``, ``"45s"``, ``"0m"`` -> timedelta (units s m h d w)."""
    compact = text.strip().lower()
    pos = 0
    seconds = 0
    units: list[str] = []
    for match in _DURATION_RE.finditer(compact):
        if match.start() != pos:
            break
        unit = match.group(2)
        if unit in units:
            raise ValueError(f"duration '{text}' repeats the unit '{unit}'")
        units.append(unit)
        seconds += int(match.group(1)) * _UNIT_SECONDS[unit]
        pos = match.end()
        while pos < len(compact) and compact[pos] == " ":
            pos += 1
    if not units or pos != len(compact):
        raise ValueError(f"duration '{text}' must look like 15m, 4h, 1h30m or 2d (units: s, m, h, d, w)")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The inverse of parse_duration for whole seconds: 5400 s -> '1h30m'."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _to_us(t: datetime) -> int:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"datetime {t.isoformat()} must be timezone-aware")
    return (t - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    out: list[list[int]] = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return tuple((s, e) for s, e in out)


@dataclass(frozen=True, slots=True)
class PublicHolidays:
    """A country's public holidays (ISO 3166 code, optional subdivision), from the ``holidays`` library, which
    computes any year on demand: no list to renew."""

    country: str
    subdivision: str | None = None

    def calendar(self) -> holiday_data.HolidayBase:
        """Raises ValueError for a country or subdivision the library does not know."""
        try:
            return holiday_data.country_holidays(self.country, subdiv=self.subdivision)
        except NotImplementedError as exc:
            raise ValueError(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Opening hours in a time zone. Build with ``BusinessCalendar.weekly(...)`` or use ``ALWAYS``.

    ``hours[d]`` (d = 0 for Monday) are the intervals that start on that weekday, in local minutes;
    an interval (start, end) with end <= start runs overnight. ``holidays`` (the file's own dates) and the
    ``public_holidays`` of a country are closed all day.
    """

    name: str
    timezone: str
    hours: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = frozenset()
    public_holidays: PublicHolidays | None = None
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _public: holiday_data.HolidayBase | None = field(init=False, repr=False, compare=False)
    always_open: bool = field(init=False, repr=False, compare=False)
    # Local minutes that are open on each weekday: own intervals, plus overnight tails from the day before.
    _day_minutes: tuple[tuple[Interval, ...], ...] = field(init=False, repr=False, compare=False)
    _cache: dict[date, tuple[Interval, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.hours) != len(WEEKDAYS):
            raise ValueError(f"calendar '{self.name}': hours needs 7 weekdays, got {len(self.hours)}")
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{self.timezone}'") from exc
        per_day: list[list[Interval]] = [[] for _ in WEEKDAYS]
        for day, intervals in enumerate(self.hours):
            for start, end in intervals:
                if not (0 <= start < DAY_MINUTES and 0 <= end <= DAY_MINUTES) or start == end:
                    raise ValueError(f"calendar '{self.name}': bad interval ({start}, {end}) on {WEEKDAYS[day]}")
                if end > start:
                    per_day[day].append((start, end))
                else:  # overnight: until midnight today, then the tail tomorrow
                    per_day[day].append((start, DAY_MINUTES))
                    if end > 0:
                        per_day[(day + 1) % 7].append((0, end))
        day_minutes = tuple(_merge(intervals) for intervals in per_day)
        if not any(day_minutes):
            raise ValueError(f"calendar '{self.name}' has no opening hours")
        always = (
            not self.holidays and self.public_holidays is None and all(m == ((0, DAY_MINUTES),) for m in day_minutes)
        )
        object.__setattr__(self, "_public", self.public_holidays.calendar() if self.public_holidays else None)
        object.__setattr__(self, "zone", zone)
        object.__setattr__(self, "always_open", always)
        object.__setattr__(self, "_day_minutes", day_minutes)
        object.__setattr__(self, "_cache", {})

    @classmethod
    def weekly(
        cls,
        name: str,
        timezone: str,
        hours: Mapping[str, Sequence[str] | str],
        holidays: Iterable[date | str] = (),
    ) -> BusinessCalendar:
        """From the rules-file spelling: ``{"mon-fri": ["09:00-17:00"], "sat": ["10:00-14:00"]}``.

        Raises ValueError (bad day, interval, date, time zone, a day given twice, no opening hours).
        """
        week: list[list[Interval] | None] = [None] * 7
        for key, spec in hours.items():
            items = [spec] if isinstance(spec, str) else list(spec)
            intervals = [parse_interval(item) for item in items]
            for day in parse_days(key):
                if week[day] is not None:
                    raise ValueError(f"{WEEKDAYS[day]} is given twice in the hours of calendar '{name}'")
                week[day] = list(intervals)
        days = set()
        for item in holidays:
            days.add(item if isinstance(item, date) else date.fromisoformat(item))
        return cls(name, timezone, tuple(tuple(d or ()) for d in week), frozenset(days))

    # --- queries -----------------------------------------------------------------------------

    def is_open(self, t: datetime) -> bool:
        if self.always_open:
            _to_us(t)  # still refuse naive datetimes
            return True
        us = _to_us(t)
        day = t.astimezone(self.zone).date()
        return any(start <= us < end for start, end in self._intervals(day))

    def next_open(self, t: datetime) -> datetime:
        """``t`` (in UTC) when open, else the next instant the calendar opens."""
        us = _to_us(t)
        if self.always_open:
            return _from_us(us)
        for start, end in self._walk(t):
            if end > us:
                return _from_us(max(start, us))
        raise ValueError(f"calendar '{self.name}' does not open within {MAX_SEARCH_DAYS} days of {t.isoformat()}")

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant (UTC) when ``duration`` of open time has elapsed since ``start``.

        The clock starts at ``start`` when open, else at the next opening; a zero duration gives that
        opening itself. A due time landing exactly on a closing instant is that closing instant.
        """
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        if self.always_open:  # elapsed time: add in UTC (adding to a zoned datetime would add wall-clock time)
            _to_us(start)  # refuses naive datetimes
            return start.astimezone(UTC) + duration
        us = _to_us(start)
        remaining = duration // _US
        for open_us, close_us in self._walk(start):
            if close_us <= us:
                continue
            begin = max(open_us, us)
            if remaining <= close_us - begin:
                return _from_us(begin + remaining)
            remaining -= close_us - begin
        raise ValueError(f"calendar '{self.name}': {duration} of open time is more than {MAX_SEARCH_DAYS} days away")

    def business_seconds_between(self, a: datetime, b: datetime) -> float:
        """Open seconds in [a, b); negative when b is before a."""
        ua, ub = _to_us(a), _to_us(b)
        if ub < ua:
            return -self.business_seconds_between(b, a)
        if self.always_open:
            return (ub - ua) / 1e6
        total = 0
        for open_us, close_us in self._walk(a):
            if open_us >= ub:
                break
            if close_us > ua:
                total += min(close_us, ub) - max(open_us, ua)
        return total / 1e6

    # --- internals ---------------------------------------------------------------------------

    def _walk(self, t: datetime) -> Iterable[Interval]:
        """Open intervals (epoch µs) from the local date of ``t`` on, in order, for at most MAX_SEARCH_DAYS."""
        day = t.astimezone(self.zone).date()
        for _ in range(MAX_SEARCH_DAYS):
            yield from self._intervals(day)
            day += _ONE_DAY

    def _intervals(self, day: date) -> tuple[Interval, ...]:
        """The open intervals of a local date as epoch microseconds (memoised)."""
        found = self._cache.get(day)
        if found is not None:
            return found
        if day in self.holidays or (self._public is not None and day in self._public):
            result: tuple[Interval, ...] = ()
        else:
            spans = []
            for start, end in self._day_minutes[day.weekday()]:
                a, b = self._local_us(day, start), self._local_us(day, end)
                if b > a:  # both ends in the same DST gap leave nothing
                    spans.append((a, b))
            result = tuple(spans)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[day] = result
        return result

    def _local_us(self, day: date, minute: int) -> int:
        """The first instant at which the local clock reads ``minute`` of ``day`` or later (epoch µs).

        An ambiguous time (clocks going back) is its first occurrence; a time that does not exist
        (clocks going forward) is the transition instant, when the clock jumps past it.
        """
        if minute == DAY_MINUTES:
            day, minute = day + _ONE_DAY, 0
        wall = datetime.combine(day, time(minute // 60, minute % 60))
        first = wall.replace(tzinfo=self.zone)  # fold=0: the earlier offset
        us = _to_us(first)
        if first.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) == wall:
            return us
        # In a gap: fold=1 maps it before the transition, fold=0 after; find the transition between them.
        lo = _to_us(wall.replace(tzinfo=self.zone, fold=1)) // 1_000_000
        hi = us // 1_000_000
        after = _from_us(hi * 1_000_000).astimezone(self.zone).utcoffset()
        while lo + 1 < hi:  # invariant: lo before the transition, hi at or after it (to the second)
            mid = (lo + hi) // 2
            if _from_us(mid * 1_000_000).astimezone(self.zone).utcoffset() == after:
                hi = mid
            else:
                lo = mid
        return hi * 1_000_000


ALWAYS = BusinessCalendar(ALWAYS_NAME, "UTC", tuple(((0, DAY_MINUTES),) for _ in WEEKDAYS))
"""Open 24/7: SLA clocks run in plain elapsed time. Built in as the calendar named 'always'."""


def holiday_warnings(calendars: Iterable[BusinessCalendar], today: date, months: int = 12) -> list[str]:
    """Calendars whose own holiday list ends within ``months``: after its last date every holiday is a
    working day. A calendar with ``public_holidays`` is covered for any year; one with no holidays at all
    is taken to mean it has none."""
    horizon = today + timedelta(days=round(months * 30.44))
    return [
        f"calendar '{calendar.name}': its holidays end on {max(calendar.holidays).isoformat()}, within {months} "
        "months; list the next ones or set public_holidays: {country: XX, subdivision: YY}"
        for calendar in calendars
        if calendar.holidays and calendar.public_holidays is None and max(calendar.holidays) < horizon
    ]
