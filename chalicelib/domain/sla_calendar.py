"""Business-calendar arithmetic: how much working time lies between two instants, and which instant
lies a given amount of working time after another. Pure: no storage, no clock.

A calendar is a time zone, working hours per weekday as local wall-clock intervals (several a day,
or none), and holidays (local dates); or simply 24x7. Working hours are turned into UTC intervals one
local day at a time through ``zoneinfo``, so a working day that contains a DST change is as long as
the wall clock says: 09:00-17:00 is 8 hours on the day clocks go forward, 00:00-24:00 is 23 or 25.
A wall-clock time that does not exist (02:30 on spring-forward night) is read with the offset in
force before the change (``fold=0``), i.e. as the moment the clock shows 03:30; an ambiguous one
(fall-back night) as its first occurrence.

(Checked the registry for a library: ``businesstimedelta`` is pytz-based and unmaintained since
2019, ``business-duration`` returns durations only; neither splits a span into segments.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
END_OF_DAY = time.max  # stands for "24:00" (the next local midnight) as an interval's end
# How far ahead a deadline is looked for: a calendar whose every day is a holiday has no future.
MAX_SEARCH_DAYS = 3 * 366
OPEN = "open"
CLOSED = "closed"


@dataclass(frozen=True)
class BusinessCalendar:
    """When the clock runs. ``hours[weekday]`` (0 = Monday) holds non-overlapping local
    (start, end) times, in any order; an end of ``END_OF_DAY`` means midnight at the end of that day."""

    timezone: str = "UTC"
    hours: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


ALWAYS_OPEN = BusinessCalendar(always_open=True)


@dataclass(frozen=True)
class Segment:
    kind: str  # OPEN or CLOSED
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def open_intervals(calendar: BusinessCalendar, start: datetime, end: datetime | None = None) -> Iterator[tuple]:
    """The calendar's open (working) intervals in UTC, in order, clipped to [start, end); without
    ``end`` they go on for ``MAX_SEARCH_DAYS``."""
    start = _utc(start)
    end = _utc(end) if end is not None else None
    if calendar.always_open:
        yield start, end or start + timedelta(days=MAX_SEARCH_DAYS)
        return
    zone = calendar.zone
    # a local day can begin up to a day before the UTC instant's date (offsets reach ±14 h)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = (end.astimezone(zone).date() if end else day + timedelta(days=MAX_SEARCH_DAYS)) + timedelta(days=1)
    while day <= last_day:
        for opens, closes in _day_intervals(calendar, day, zone):
            if end is not None and opens >= end:
                return
            if closes <= start:
                continue
            yield max(opens, start), min(closes, end) if end is not None else closes
        day += timedelta(days=1)


def _day_intervals(calendar: BusinessCalendar, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    if day in calendar.holidays:
        return []
    intervals = []
    for opens, closes in sorted(calendar.hours.get(day.weekday(), ())):
        utc_open = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
        if closes == END_OF_DAY:
            utc_close = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        else:
            utc_close = datetime.combine(day, closes, tzinfo=zone).astimezone(UTC)
        if utc_close > utc_open:  # an interval swallowed whole by a DST gap is no interval
            intervals.append((utc_open, utc_close))
    return intervals


def business_seconds_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Working seconds in [start, end); 0 when ``end`` is not after ``start``."""
    if _utc(end) <= _utc(start):
        return 0.0
    total = timedelta()
    for opens, closes in open_intervals(calendar, start, end):
        total += closes - opens
    return total.total_seconds()


def add_business_seconds(calendar: BusinessCalendar, start: datetime, seconds: float) -> datetime:
    """The instant at which ``seconds`` of working time have passed since ``start``. With zero
    seconds that is ``start`` itself, even outside working hours. Raises ValueError when the
    calendar has no working time left within ``MAX_SEARCH_DAYS``."""
    start = _utc(start)
    remaining = timedelta(seconds=seconds)
    if remaining <= timedelta():
        return start
    for opens, closes in open_intervals(calendar, start):
        if closes - opens >= remaining:
            return opens + remaining
        remaining -= closes - opens
    raise ValueError(f"the calendar has no working time within {MAX_SEARCH_DAYS} days")


def segments(calendar: BusinessCalendar, start: datetime, end: datetime) -> list[Segment]:
    """[start, end) split into alternating OPEN and CLOSED segments that cover it exactly."""
    start, end = _utc(start), _utc(end)
    result: list[Segment] = []
    cursor = start
    for opens, closes in open_intervals(calendar, start, end):
        if opens > cursor:
            result.append(Segment(CLOSED, cursor, opens))
        if result and result[-1].kind == OPEN and result[-1].end == opens:  # back-to-back intervals
            result[-1] = Segment(OPEN, result[-1].start, closes)
        else:
            result.append(Segment(OPEN, opens, closes))
        cursor = closes
    if cursor < end:
        result.append(Segment(CLOSED, cursor, end))
    return result


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("business-calendar instants need a time zone")
    return moment.astimezone(UTC)
