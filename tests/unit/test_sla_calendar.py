"""Business-calendar arithmetic: weekends, holidays, time zones, DST days, midnight, 24x7."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.sla_calendar import (
    ALWAYS_OPEN,
    CLOSED,
    END_OF_DAY,
    OPEN,
    BusinessCalendar,
    add_business_seconds,
    business_seconds_between,
    segments,
)

HOUR = 3600.0
NINE_TO_FIVE = ((time(9), time(17)),)
WEEKDAYS_ONLY = {day: NINE_TO_FIVE for day in range(5)}


def office(zone: str = "UTC", holidays=(), hours=None) -> BusinessCalendar:
    return BusinessCalendar(
        timezone=zone, hours=WEEKDAYS_ONLY if hours is None else hours, holidays=frozenset(holidays)
    )


def local(zone: str, *parts) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone))


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_friday_afternoon_deadline_lands_on_monday():
    calendar = office()
    friday_4pm = utc(2026, 11, 20, 16)
    assert add_business_seconds(calendar, friday_4pm, 4 * HOUR) == utc(2026, 11, 23, 12)


def test_start_outside_hours_begins_counting_at_next_opening():
    calendar = office()
    saturday = utc(2026, 11, 21, 10)
    assert add_business_seconds(calendar, saturday, HOUR) == utc(2026, 11, 23, 10)


def test_weekend_contributes_no_business_time():
    calendar = office()
    assert business_seconds_between(calendar, utc(2026, 11, 20, 17), utc(2026, 11, 23, 9)) == 0
    assert business_seconds_between(calendar, utc(2026, 11, 20, 16), utc(2026, 11, 23, 10)) == 2 * HOUR


def test_holiday_is_skipped():
    calendar = office(holidays=[date(2026, 12, 25)])  # a Friday
    thursday_4pm = utc(2026, 12, 24, 16)
    assert add_business_seconds(calendar, thursday_4pm, 2 * HOUR) == utc(2026, 12, 28, 10)
    assert business_seconds_between(calendar, utc(2026, 12, 24, 0), utc(2026, 12, 29, 0)) == 16 * HOUR


def test_holiday_is_a_local_date_in_the_calendars_zone():
    # 2026-12-25 in Tokyo runs from 15:00 UTC on the 24th; business hours there are all on the holiday
    calendar = office("Asia/Tokyo", holidays=[date(2026, 12, 25)])
    assert business_seconds_between(calendar, utc(2026, 12, 24, 15), utc(2026, 12, 25, 15)) == 0


def test_working_hours_are_local_wall_clock_hours():
    calendar = office("America/New_York")
    monday_9am_new_york = local("America/New_York", 2026, 11, 23, 9)
    assert add_business_seconds(calendar, utc(2026, 11, 23, 12), HOUR) == monday_9am_new_york + timedelta(hours=1)


def test_several_intervals_a_day_skip_the_lunch_break():
    calendar = office(hours={0: ((time(9), time(12)), (time(13), time(17)))})
    monday_11am = utc(2026, 11, 23, 11)
    assert add_business_seconds(calendar, monday_11am, 2 * HOUR) == utc(2026, 11, 23, 14)
    assert [segment.kind for segment in segments(calendar, monday_11am, utc(2026, 11, 23, 14))] == [OPEN, CLOSED, OPEN]


def test_deadline_crosses_midnight_in_a_night_shift():
    night = {day: ((time(22), END_OF_DAY), (time(0), time(6))) for day in range(7)}
    calendar = office("Europe/Berlin", hours=night)
    start = local("Europe/Berlin", 2026, 11, 23, 23)
    due = add_business_seconds(calendar, start, 3 * HOUR)
    assert due == local("Europe/Berlin", 2026, 11, 24, 2)
    # the two intervals meet at midnight: one open segment, not two
    assert [segment.kind for segment in segments(calendar, start, due)] == [OPEN]


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23),  # spring forward
        ("Europe/Berlin", date(2026, 10, 25), 25),  # fall back
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
        ("America/New_York", date(2026, 11, 2), 24),
    ],
)
def test_a_whole_working_day_lasts_as_long_as_the_wall_clock_says(zone, day, hours):
    calendar = office(zone, hours={day.weekday(): ((time(0), END_OF_DAY),)})
    start = local(zone, day.year, day.month, day.day)
    assert business_seconds_between(calendar, start, start + timedelta(days=2)) == hours * HOUR


def test_spring_forward_shortens_an_interval_spanning_the_gap():
    # 01:00-05:00 on 2026-03-29 in Berlin skips 02:00-03:00: three real hours
    calendar = office("Europe/Berlin", hours={6: ((time(1), time(5)),)})
    sunday = local("Europe/Berlin", 2026, 3, 29)
    assert business_seconds_between(calendar, sunday, sunday + timedelta(days=1)) == 3 * HOUR
    assert add_business_seconds(calendar, sunday, 2 * HOUR) == local("Europe/Berlin", 2026, 3, 29, 4)


def test_fall_back_lengthens_an_interval_spanning_the_repeated_hour():
    calendar = office("America/New_York", hours={6: ((time(0, 30), time(3)),)})
    sunday = local("America/New_York", 2026, 11, 1)
    assert business_seconds_between(calendar, sunday, sunday + timedelta(days=1)) == 3.5 * HOUR


def test_nine_to_five_is_eight_real_hours_on_dst_days():
    for zone, sunday in (("Europe/Berlin", date(2026, 3, 29)), ("Europe/Berlin", date(2026, 10, 25))):
        calendar = office(zone, hours={6: NINE_TO_FIVE})
        start = local(zone, sunday.year, sunday.month, sunday.day)
        assert business_seconds_between(calendar, start, start + timedelta(days=1)) == 8 * HOUR
        assert add_business_seconds(calendar, start, 8 * HOUR) == local(zone, sunday.year, sunday.month, sunday.day, 17)


def test_twenty_four_seven_counts_wall_time():
    start = utc(2026, 11, 21, 23, 30)  # a Saturday night
    assert add_business_seconds(ALWAYS_OPEN, start, 72 * HOUR) == start + timedelta(hours=72)
    assert business_seconds_between(ALWAYS_OPEN, start, start + timedelta(minutes=90)) == 90 * 60
    assert [s.kind for s in segments(ALWAYS_OPEN, start, start + timedelta(hours=1))] == [OPEN]


def test_zero_seconds_later_is_now_even_outside_hours():
    saturday = utc(2026, 11, 21, 10)
    assert add_business_seconds(office(), saturday, 0) == saturday


def test_segments_cover_the_span_exactly_and_open_ones_sum_to_business_time():
    calendar = office("Europe/Berlin", holidays=[date(2026, 10, 26)])
    start, end = utc(2026, 10, 22, 14, 17), utc(2026, 10, 29, 8, 3)
    parts = segments(calendar, start, end)
    assert parts[0].start == start and parts[-1].end == end
    assert all(a.end == b.start and a.kind != b.kind for a, b in zip(parts, parts[1:], strict=False))
    open_seconds = sum(part.seconds for part in parts if part.kind == OPEN)
    assert open_seconds == business_seconds_between(calendar, start, end)
    assert {part.kind for part in parts} == {OPEN, CLOSED}


def test_add_then_measure_round_trips_across_a_month():
    calendar = office("America/New_York", holidays=[date(2026, 11, 26)])
    start = utc(2026, 10, 30, 20, 45)
    for hours in (1, 7.5, 8, 40, 123.25):
        due = add_business_seconds(calendar, start, hours * HOUR)
        assert business_seconds_between(calendar, start, due) == hours * HOUR


def test_calendar_without_working_time_has_no_deadline():
    with pytest.raises(ValueError):
        add_business_seconds(office(hours={}), utc(2026, 11, 23), HOUR)


def test_naive_instants_are_refused():
    with pytest.raises(ValueError):
        business_seconds_between(office(), datetime(2026, 11, 23), datetime(2026, 11, 24))
