"""Business days skip weekends and the table's holidays (Ontario, Canada, Viet Nam's Tết)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import Deadline
from workflow import deadlines
from workflow.deadlines import (
    add_business_days,
    add_hours,
    business_days_between,
    due_at,
    due_for_action,
    holidays_in,
    is_business_day,
)


def test_weekend_is_skipped():
    friday = datetime(2026, 11, 20, 15, 30)
    assert friday.weekday() == 4
    assert add_business_days(friday, 1, "CA", "ON") == datetime(2026, 11, 23, 15, 30)
    assert add_business_days(friday, 2, "CA", "ON") == datetime(2026, 11, 24, 15, 30)
    saturday = datetime(2026, 11, 21, 9)
    assert add_business_days(saturday, 1, "CA", "ON") == datetime(2026, 11, 23, 9)
    assert add_business_days(friday, 0, "CA", "ON") == friday


def test_ontario_christmas_and_boxing_day():
    on = holidays.country_holidays("CA", subdiv="ON", years=2026)
    assert date(2026, 12, 25) in on and date(2026, 12, 28) in on  # Boxing Day observed
    thursday = datetime(2026, 12, 24, 10)
    assert thursday.weekday() == 3
    # Fri 25 Christmas, Sat, Sun, Mon 28 Boxing Day (observed): Tue 29, Wed 30
    assert add_business_days(thursday, 1, "CA", "ON") == datetime(2026, 12, 29, 10)
    assert add_business_days(thursday, 2, "CA", "ON") == datetime(2026, 12, 30, 10)


def test_subdivision_matters():
    # Boxing Day and Family Day are Ontario holidays, not national ones
    thursday = datetime(2026, 12, 24, 10)
    assert add_business_days(thursday, 1, "CA", None) == datetime(2026, 12, 28, 10)
    friday = datetime(2026, 2, 13, 9)  # Monday 16 is Family Day in Ontario
    assert add_business_days(friday, 1, "CA", "ON") == datetime(2026, 2, 17, 9)
    assert add_business_days(friday, 1, "CA", None) == datetime(2026, 2, 16, 9)


def test_vietnam_tet_2027():
    vn = holidays.country_holidays("VN", years=2027)
    tet = sorted(d for d, name in vn.items() if "Lunar New Year" in name)
    # from the 29th of the last lunar month (Thu 4 Feb) to the 5th day of Tết (Wed 10 Feb)
    assert tet == [date(2027, 2, d) for d in range(4, 11)]
    wednesday = datetime(2027, 2, 3, 8)
    assert wednesday.weekday() == 2
    # Thu 4 .. Wed 10 are all holidays: the next business day is Thu 11
    assert add_business_days(wednesday, 1, "VN") == datetime(2027, 2, 11, 8)
    assert add_business_days(wednesday, 5, "VN") == datetime(2027, 2, 17, 8)
    assert business_days_between(wednesday, datetime(2027, 2, 11), "VN") == 1
    assert all(not is_business_day(date(2027, 2, d), "VN") for d in range(4, 11))
    assert holidays_in(2027, "VN") >= {date(2027, 2, d) for d in range(4, 11)}


def test_vietnam_declared_weekend_workday_counts():
    # holidays 0.109: Saturday 2026-08-22 is worked in exchange for Monday 31 August
    saturday = date(2026, 8, 22)
    assert saturday.weekday() == 5
    assert is_business_day(saturday, "VN")
    assert not is_business_day(date(2026, 8, 31), "VN")
    assert not is_business_day(saturday, "CA", "ON")


def test_no_country_means_weekends_only():
    assert add_business_days(datetime(2026, 12, 24), 1, None) == datetime(2026, 12, 25)


def test_unknown_country_and_bad_counts():
    with pytest.raises(ValueError, match="ZZ"):
        add_business_days(datetime(2026, 1, 5), 1, "ZZ")
    with pytest.raises(ValueError):
        add_business_days(datetime(2026, 1, 5), -1, "CA")
    with pytest.raises(TypeError):
        add_business_days(datetime(2026, 1, 5), 1.5, "CA")  # type: ignore[arg-type]


def test_hours_are_elapsed_time():
    assert add_hours(datetime(2026, 3, 1, 20), 12) == datetime(2026, 3, 2, 8)
    toronto = ZoneInfo("America/Toronto")
    # DST ends at 02:00 on 1 Nov 2026: 12 elapsed hours from 20:00 EDT is 07:00 EST
    start = datetime(2026, 10, 31, 20, tzinfo=toronto)
    due = add_hours(start, 12)
    assert due == datetime(2026, 11, 1, 7, tzinfo=toronto)
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=12)
    assert due.tzinfo is toronto
    with pytest.raises(ValueError):
        add_hours(start, -1)


def test_due_at_and_actions():
    start = datetime(2026, 12, 24, 10)
    assert due_at(start, business_days=2, country="CA", subdivision="ON") == datetime(
        2026, 12, 30, 10
    )
    assert due_at(start, hours=12, country="VN") == datetime(2026, 12, 24, 22)
    with pytest.raises(ValueError):
        due_at(start, business_days=1, hours=1, country="CA")
    with pytest.raises(ValueError):
        due_at(start, country="CA")
    now = datetime(2026, 12, 24, 11)
    action = Deadline(kind="emergency_protection", hours=12.0)
    assert due_for_action(action, trigger_time=start, now=now, country="VN") == datetime(
        2026, 12, 24, 22
    )
    from_now = Deadline(kind="x", hours=1.0, from_="now")
    assert due_for_action(from_now, trigger_time=start, now=now, country="VN") == datetime(
        2026, 12, 24, 12
    )


def test_calendars_are_cached():
    deadlines._calendar.cache_clear()
    add_business_days(datetime(2026, 6, 1), 20, "CA", "ON")
    info = deadlines._calendar.cache_info()
    assert info.misses == 1 and info.hits >= 19


@settings(max_examples=150, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)),
    n=st.integers(min_value=0, max_value=40),
    where=st.sampled_from([("CA", "ON"), ("CA", None), ("VN", None)]),
)
def test_between_inverts_add(start, n, where):
    country, subdivision = where
    due = add_business_days(start, n, country, subdivision)
    assert business_days_between(start, due, country, subdivision) == n
    assert business_days_between(due, start, country, subdivision) == -n
    if n:
        assert is_business_day(due, country, subdivision)
        assert due.time() == start.time()
