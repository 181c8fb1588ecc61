"""Business-hours calendars: open/closed, SLA clocks in open time, time zones, DST, holidays."""

from __future__ import annotations

import random
import time as wallclock
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from streams.routing.calendar import (
    ALWAYS,
    BusinessCalendar,
    PublicHolidays,
    format_duration,
    holiday_warnings,
    parse_days,
    parse_duration,
    parse_interval,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
KOLKATA = ZoneInfo("Asia/Kolkata")
H = timedelta(hours=1)
M = timedelta(minutes=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


# 2026-11-23 is a Monday (GMT: London is UTC+0 in November).
OFFICE = BusinessCalendar.weekly(
    "office", "Europe/London", {"mon-fri": ["09:00-18:00"]}, holidays=["2026-12-25", date(2026, 12, 28)]
)
NIGHTS = BusinessCalendar.weekly("nights", "UTC", {"mon-fri": ["22:00-06:00"]})
SPLIT = BusinessCalendar.weekly("split", "UTC", {"mon-fri": ["09:00-12:00", "13:00-17:00"]})


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("1h", 3600), ("4h", 14400), ("2d", 172800), ("1w", 604800), ("1h30m", 5400), ("45s", 45),
     ("0m", 0), (" 2h 15m ", 8100)],
)  # fmt: skip
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "15", "m", "1.5h", "1y", "-1h", "1h1h", "h1", "1h x", "fifteen minutes"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    for text in ("15m", "1h30m", "2d", "1w1d", "45s", "0s"):
        assert format_duration(parse_duration(text)) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:00-17:30", (540, 1050)), ("22:00-06:00", (1320, 360)), ("00:00-24:00", (0, 1440)), ("9:05-9:10", (545, 550)),
     ("18:00-00:00", (1080, 0))],
)  # fmt: skip
def test_parse_interval(text: str, expected: tuple[int, int]) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("9-17", "must look like 09:00-17:00"), ("24:00-02:00", "start 24:00"), ("09:00-25:00", "end 25:00"),
     ("09:60-10:00", "start 09:60"), ("09:00-09:00", "is empty"), ("00:00-00:00", "is empty")],
)  # fmt: skip
def test_parse_interval_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_interval(text)


def test_parse_days() -> None:
    assert parse_days("mon") == (0,)
    assert parse_days("mon-fri") == (0, 1, 2, 3, 4)
    assert parse_days("fri-mon") == (4, 5, 6, 0)
    assert parse_days("daily") == tuple(range(7))
    assert parse_days("Sat-Sun") == (5, 6)
    for bad in ("monday", "mon-", "mon-mon", "weekdays"):
        with pytest.raises(ValueError, match="day"):
            parse_days(bad)


def test_weekly_refuses_bad_definitions() -> None:
    with pytest.raises(ValueError, match="tue is given twice"):
        BusinessCalendar.weekly("x", "UTC", {"mon-fri": ["09:00-17:00"], "tue": ["10:00-11:00"]})
    with pytest.raises(ValueError, match="no opening hours"):
        BusinessCalendar.weekly("x", "UTC", {"mon": []})
    with pytest.raises(ValueError, match="unknown time zone 'Europe/Londn'"):
        BusinessCalendar.weekly("x", "Europe/Londn", {"mon": ["09:00-17:00"]})


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 11, 23, 10)
    for cal in (OFFICE, ALWAYS):
        with pytest.raises(ValueError, match="timezone-aware"):
            cal.is_open(naive)
        with pytest.raises(ValueError, match="timezone-aware"):
            cal.add_business_time(naive, H)


# --- office hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        (utc(2026, 11, 23, 10), 4 * H, utc(2026, 11, 23, 14)),  # inside hours
        (utc(2026, 11, 23, 16), 4 * H, utc(2026, 11, 24, 11)),  # 2h Monday + 2h Tuesday
        (utc(2026, 11, 23, 7), H, utc(2026, 11, 23, 10)),  # before opening: the clock starts at 09:00
        (utc(2026, 11, 27, 19), H, utc(2026, 11, 30, 10)),  # Friday evening -> Monday
        (utc(2026, 11, 28, 12), 30 * M, utc(2026, 11, 30, 9, 30)),  # Saturday -> Monday
        (utc(2026, 11, 23, 17), H, utc(2026, 11, 23, 18)),  # ends exactly at closing: that instant
        (utc(2026, 11, 23, 10, 15), timedelta(0), utc(2026, 11, 23, 10, 15)),  # zero, open: now
        (utc(2026, 11, 23, 20), timedelta(0), utc(2026, 11, 24, 9)),  # zero, closed: the next opening
        (utc(2026, 11, 23, 9), 9 * H * 5, utc(2026, 11, 27, 18)),  # exactly one working week
        (utc(2026, 11, 23, 9), 9 * H * 5 + M, utc(2026, 11, 30, 9, 1)),  # ... and a minute
        # Holidays: Friday 25th and Monday 28th closed; a Thursday 17:00 start gets 1h, then Tuesday.
        (utc(2026, 12, 24, 17), 4 * H, utc(2026, 12, 29, 12)),
        (utc(2026, 12, 25, 10), H, utc(2026, 12, 29, 10)),
    ],
)
def test_office_hours_due_times(start: datetime, duration: timedelta, due: datetime) -> None:
    assert OFFICE.add_business_time(start, duration) == due
    assert OFFICE.add_business_time(start, duration).tzinfo is UTC


def test_is_open_and_next_open() -> None:
    assert OFFICE.is_open(utc(2026, 11, 23, 9))  # opening instant is open
    assert not OFFICE.is_open(utc(2026, 11, 23, 18))  # closing instant is closed
    assert not OFFICE.is_open(utc(2026, 11, 28, 12))  # Saturday
    assert not OFFICE.is_open(utc(2026, 12, 25, 12))  # holiday
    assert OFFICE.next_open(utc(2026, 11, 23, 12)) == utc(2026, 11, 23, 12)
    assert OFFICE.next_open(utc(2026, 12, 24, 18, 30)) == utc(2026, 12, 29, 9)
    # A different zone in, UTC out.
    assert OFFICE.next_open(local(NEW_YORK, 2026, 11, 22, 20)) == utc(2026, 11, 23, 9)


def test_business_seconds_between() -> None:
    assert OFFICE.business_seconds_between(utc(2026, 11, 27, 17), utc(2026, 11, 30, 10)) == 7200
    assert OFFICE.business_seconds_between(utc(2026, 11, 30, 10), utc(2026, 11, 27, 17)) == -7200
    assert OFFICE.business_seconds_between(utc(2026, 11, 28), utc(2026, 11, 29)) == 0
    assert OFFICE.business_seconds_between(utc(2026, 12, 24), utc(2027, 1, 1)) == 4 * 9 * 3600  # 24th, 29th, 30th, 31st
    assert ALWAYS.business_seconds_between(utc(2026, 1, 1), utc(2026, 1, 2)) == 86400


def test_multiple_intervals_per_day() -> None:
    assert SPLIT.add_business_time(utc(2026, 11, 23, 11), 2 * H) == utc(2026, 11, 23, 14)
    assert not SPLIT.is_open(utc(2026, 11, 23, 12, 30))
    assert SPLIT.next_open(utc(2026, 11, 23, 12, 30)) == utc(2026, 11, 23, 13)
    assert SPLIT.business_seconds_between(utc(2026, 11, 23), utc(2026, 11, 24)) == 7 * 3600


# --- overnight intervals -----------------------------------------------------------------------


def test_overnight_interval_belongs_to_the_day_it_starts() -> None:
    # mon-fri 22:00-06:00: open Monday night ... Saturday 06:00; Sunday and Monday mornings closed.
    assert NIGHTS.is_open(utc(2026, 11, 28, 3))  # Saturday 03:00: Friday's shift
    assert not NIGHTS.is_open(utc(2026, 11, 29, 3))  # Sunday 03:00
    assert not NIGHTS.is_open(utc(2026, 11, 23, 3))  # Monday 03:00: Sunday had no shift
    assert NIGHTS.is_open(utc(2026, 11, 24, 3))  # Tuesday 03:00
    assert not NIGHTS.is_open(utc(2026, 11, 24, 6))  # closing instant


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        (utc(2026, 11, 23, 23), 5 * H, utc(2026, 11, 24, 4)),  # across midnight, one shift
        (utc(2026, 11, 27, 22), 10 * H, utc(2026, 12, 1, 0)),  # Friday's 8h, then Monday 22:00 + 2h
        (utc(2026, 11, 23, 12), H, utc(2026, 11, 23, 23)),  # daytime: the clock starts at 22:00
    ],
)
def test_overnight_due_times(start: datetime, duration: timedelta, due: datetime) -> None:
    assert NIGHTS.add_business_time(start, duration) == due


def test_holiday_closes_the_tail_of_an_overnight_shift() -> None:
    cal = BusinessCalendar.weekly("n", "UTC", {"mon-fri": ["22:00-06:00"]}, holidays=["2026-11-24"])
    assert cal.is_open(utc(2026, 11, 23, 23))  # Monday 23:00
    assert not cal.is_open(utc(2026, 11, 24, 2))  # Tuesday (holiday) 02:00
    assert not cal.is_open(utc(2026, 11, 24, 23))  # Tuesday's own shift starts on the holiday ...
    assert cal.is_open(utc(2026, 11, 25, 2))  # ... its tail, on Wednesday, is open
    assert cal.add_business_time(utc(2026, 11, 23, 23), 2 * H) == utc(2026, 11, 25, 1)


# --- time zones --------------------------------------------------------------------------------


def test_new_york_hours() -> None:
    cal = BusinessCalendar.weekly("ny", "America/New_York", {"mon-fri": ["09:00-17:00"]})
    # Monday 08:00 EST = 13:00Z: opens at 14:00Z; 1h later 15:00Z.
    assert cal.add_business_time(utc(2026, 11, 23, 13), H) == utc(2026, 11, 23, 15)
    assert not cal.is_open(utc(2026, 11, 23, 22, 30))  # 17:30 EST
    assert cal.is_open(utc(2026, 11, 23, 21, 30))  # 16:30 EST


def test_tokyo_local_date_is_not_the_utc_date() -> None:
    cal = BusinessCalendar.weekly("tokyo", "Asia/Tokyo", {"mon-fri": ["09:00-18:00"]})
    assert not cal.is_open(utc(2026, 11, 22, 23, 30))  # Monday 08:30 JST, Sunday in UTC
    assert cal.is_open(utc(2026, 11, 23, 0, 30))  # Monday 09:30 JST
    assert cal.is_open(local(TOKYO, 2026, 11, 27, 17, 59))  # Friday 17:59 JST
    # Monday 17:00 JST (08:00Z) + 2h: 1h Monday, then Tuesday 09:00 JST (00:00Z) + 1h.
    assert cal.add_business_time(utc(2026, 11, 23, 8), 2 * H) == utc(2026, 11, 24, 1)


def test_kolkata_half_hour_offset() -> None:
    cal = BusinessCalendar.weekly("in", "Asia/Kolkata", {"mon-sat": ["10:00-19:00"]}, holidays=["2026-11-24"])
    # Monday 09:00 IST (03:30Z): opens 10:00 IST (04:30Z), + 1h = 05:30Z.
    assert cal.add_business_time(local(KOLKATA, 2026, 11, 23, 9), H) == utc(2026, 11, 23, 5, 30)
    # Monday 18:30 IST + 1h: 30 min Monday, holiday Tuesday, 30 min Wednesday from 10:00 IST.
    assert cal.add_business_time(local(KOLKATA, 2026, 11, 23, 18, 30), H) == utc(2026, 11, 25, 5)


# --- DST ---------------------------------------------------------------------------------------


def test_office_opening_follows_british_summer_time() -> None:
    # Friday 27 March 2026 17:00 GMT + 2h: 1h Friday, and Monday 30th opens at 09:00 BST = 08:00Z.
    assert OFFICE.add_business_time(utc(2026, 3, 27, 17), 2 * H) == utc(2026, 3, 30, 9)
    assert OFFICE.is_open(utc(2026, 3, 30, 8))
    assert not OFFICE.is_open(utc(2026, 3, 27, 8))  # 08:00 GMT the Friday before
    # And back in October: Monday 26th opens at 09:00 GMT = 09:00Z.
    assert OFFICE.next_open(utc(2026, 10, 24, 12)) == utc(2026, 10, 26, 9)
    assert OFFICE.next_open(utc(2026, 10, 23, 12)) == utc(2026, 10, 23, 12)
    assert not OFFICE.is_open(utc(2026, 10, 23, 17, 30))  # 18:30 BST


def test_night_clocks_go_back_or_forward_count_real_time() -> None:
    early = BusinessCalendar.weekly("early", "Europe/London", {"daily": ["00:00-03:00"]})
    autumn = local(LONDON, 2026, 10, 25)
    spring = local(LONDON, 2026, 3, 29)
    assert early.business_seconds_between(autumn, autumn + 12 * H) == 4 * 3600  # 01:00-02:00 happens twice
    assert early.business_seconds_between(spring, spring + 12 * H) == 2 * 3600  # 01:00-02:00 never happens
    assert early.add_business_time(autumn, 3 * H + 30 * M) == utc(2026, 10, 25, 2, 30)  # 02:30 GMT
    # Spring: only 2h that night, the last 30 min on Monday from 00:00 BST (Sunday 23:00Z).
    assert early.add_business_time(spring, 2 * H + 30 * M) == utc(2026, 3, 29, 23, 30)


def test_opening_inside_the_spring_gap_is_when_the_clock_jumps_past_it() -> None:
    cal = BusinessCalendar.weekly("gap", "Europe/London", {"daily": ["01:30-05:00"]})
    assert not cal.is_open(utc(2026, 3, 29, 0, 59))  # 00:59 GMT
    assert cal.is_open(utc(2026, 3, 29, 1))  # 02:00 BST: 01:30 has been passed
    assert not cal.is_open(utc(2026, 3, 29, 4))  # 05:00 BST
    assert cal.is_open(utc(2026, 3, 28, 1, 30))  # a normal day
    assert not cal.is_open(utc(2026, 3, 28, 1, 29))


def test_us_dst_weekend() -> None:
    cal = BusinessCalendar.weekly("ny", "America/New_York", {"mon-fri": ["09:00-17:00"]})
    assert cal.next_open(utc(2026, 3, 7, 12)) == utc(2026, 3, 9, 13)  # 09:00 EDT
    assert cal.add_business_time(utc(2026, 3, 6, 21), 2 * H) == utc(2026, 3, 9, 14)  # Fri 16:00 EST + 2h


# --- the built-in 24/7 calendar ------------------------------------------------------------------


def test_always() -> None:
    start = local(TOKYO, 2026, 11, 28, 3)  # a Saturday night somewhere
    assert ALWAYS.is_open(start)
    assert ALWAYS.add_business_time(start, 15 * M) == utc(2026, 11, 27, 18, 15)
    assert ALWAYS.add_business_time(start, 15 * M).tzinfo is UTC
    assert ALWAYS.next_open(start) == start
    daily = BusinessCalendar.weekly("daily", "Europe/London", {"daily": ["00:00-24:00"]})
    assert daily.add_business_time(local(LONDON, 2026, 10, 25), 24 * H) == utc(2026, 10, 25, 23)  # 25h day


# --- against a wall-clock reference ------------------------------------------------------------

ODD = BusinessCalendar.weekly(
    "odd",
    "America/New_York",
    {"mon": ["08:00-12:00", "13:30-23:00"], "tue-thu": ["22:00-04:00"], "fri": ["09:00-24:00"], "sun": ["12:00-13:00"]},
    holidays=["2026-11-26", "2027-01-01"],
)


def _reference_is_open(t: datetime) -> bool:
    """Open per the local wall clock: today's intervals, or yesterday's overnight tail; holidays closed."""
    wall = t.astimezone(NEW_YORK)
    if wall.date() in ODD.holidays:
        return False
    minute = wall.hour * 60 + wall.minute
    today, yesterday = ODD.hours[wall.weekday()], ODD.hours[(wall.weekday() - 1) % 7]
    if any(s <= minute < (e if e > s else 1440) for s, e in today):
        return True
    return any(e <= s and minute < e for s, e in yesterday)


def test_agrees_with_a_wall_clock_reference() -> None:
    rng = random.Random(7)
    base = utc(2026, 11, 1)
    for _ in range(3000):
        t = base + timedelta(minutes=rng.randrange(70 * 24 * 60))  # Nov-Jan: no DST change near an edge
        assert ODD.is_open(t) == _reference_is_open(t), t


def test_due_times_agree_with_counting_open_minutes() -> None:
    rng = random.Random(11)
    base = utc(2026, 11, 20)
    for _ in range(60):
        start = base + timedelta(minutes=rng.randrange(30 * 24 * 60))
        minutes = rng.randrange(0, 900)
        due = ODD.add_business_time(start, timedelta(minutes=minutes))
        if minutes == 0:
            assert due == ODD.next_open(start)
        else:
            t, counted = start, 0
            while counted < minutes:  # the due time is the end of the minutes-th open minute
                counted += _reference_is_open(t)
                t += M
            assert due == t, (start, minutes)
        assert ODD.business_seconds_between(start, due) == minutes * 60


def test_fast_enough_per_mention() -> None:
    starts = [utc(2026, 11, 23) + timedelta(minutes=37 * i) for i in range(2000)]
    for t in starts:  # warm the per-day memo, as a running stage would be
        OFFICE.add_business_time(t, 4 * H)
    began = wallclock.perf_counter()
    for t in starts:
        OFFICE.is_open(t)
        OFFICE.add_business_time(t, 4 * H)
    per_call = (wallclock.perf_counter() - began) / (2 * len(starts))
    assert per_call < 100e-6, f"{per_call * 1e6:.1f} µs per call"


def test_public_holidays_come_from_the_holidays_library_for_any_year() -> None:
    office = BusinessCalendar.weekly("uk", "Europe/London", {"mon-fri": ["09:00-17:00"]})
    england = BusinessCalendar(office.name, office.timezone, office.hours, frozenset(), PublicHolidays("GB", "ENG"))
    easter_monday_2031 = datetime(2031, 4, 14, 12, 0, tzinfo=UTC)
    assert office.is_open(easter_monday_2031)
    assert not england.is_open(easter_monday_2031)
    assert england.is_open(easter_monday_2031 + timedelta(days=1))


def test_an_unknown_country_or_subdivision_is_refused() -> None:
    with pytest.raises(ValueError, match="not available"):
        PublicHolidays("XX").calendar()
    with pytest.raises(ValueError, match="subdivision"):
        PublicHolidays("GB", "ZZZ").calendar()


def test_a_hand_made_holiday_list_that_runs_out_within_a_year_is_warned_about() -> None:
    today = date(2026, 12, 7)
    short = BusinessCalendar.weekly("short", "Europe/Madrid", {"mon-fri": ["09:00-17:00"]}, ["2027-01-06"])
    long = BusinessCalendar.weekly("long", "Europe/Madrid", {"mon-fri": ["09:00-17:00"]}, ["2028-01-06"])
    public = BusinessCalendar(short.name, short.timezone, short.hours, short.holidays, PublicHolidays("ES", "MD"))
    none = BusinessCalendar.weekly("none", "UTC", {"daily": ["00:00-24:00"]})
    [warning] = holiday_warnings([short, long, public, none], today)
    assert warning.startswith("calendar 'short': its holidays end on 2027-01-06")
