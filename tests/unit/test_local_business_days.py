"""The clocks, counted on the table's own calendar: a review of the edge cases.

Business days are local calendar days with the same local time of day (so across a DST
change the UTC time moves by an hour); clock hours are real elapsed hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from rules import Deadline
from workflow.deadlines import add_business_days, due_at, due_for_action, holidays_in

TORONTO = ZoneInfo("America/Toronto")
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")


def _due(local: datetime, n: int, country: str, subdivision: str | None, tz: str) -> datetime:
    """What the rules' caller does: a UTC `now`, the table's zone; the due time read locally."""
    due = due_at(local.astimezone(UTC), business_days=n, country=country,
                 subdivision=subdivision, timezone=tz)
    assert due.tzinfo is UTC
    return due.astimezone(local.tzinfo)


def test_friday_evening_in_toronto_is_a_friday():
    # 21:00 EST on Friday is already Saturday 02:00 in UTC: counted in UTC, the due time
    # came out Monday 21:00 local, one business day early.
    friday = datetime(2026, 11, 20, 21, tzinfo=TORONTO)
    assert _due(friday, 2, "CA", "ON", "America/Toronto") == datetime(
        2026, 11, 24, 21, tzinfo=TORONTO)


def test_early_morning_in_viet_nam_is_already_the_next_day():
    # 06:00 on Thu 4 Feb 2027 (a Tết day) is Wed 3 Feb 23:00 UTC: counted in UTC, the support
    # plan came out a day late (Thu 18 Feb). Tết runs Thu 4 - Wed 10 Feb.
    thursday = datetime(2027, 2, 4, 6, tzinfo=SAIGON)
    assert _due(thursday, 5, "VN", None, "Asia/Ho_Chi_Minh") == datetime(
        2027, 2, 17, 6, tzinfo=SAIGON)


def test_business_days_keep_the_local_time_across_dst():
    # Spring forward on Sun 14 Mar 2027, fall back on Sun 7 Nov 2027 (America/Toronto)
    spring = datetime(2027, 3, 12, 10, tzinfo=TORONTO)
    assert _due(spring, 2, "CA", "ON", "America/Toronto") == datetime(
        2027, 3, 16, 10, tzinfo=TORONTO)
    fall = datetime(2027, 11, 5, 10, tzinfo=TORONTO)
    assert _due(fall, 2, "CA", "ON", "America/Toronto") == datetime(
        2027, 11, 9, 10, tzinfo=TORONTO)


def test_twelve_hours_are_twelve_real_hours_across_dst():
    start = datetime(2027, 3, 13, 20, tzinfo=TORONTO).astimezone(UTC)
    due = due_at(start, hours=12, country="CA", subdivision="ON", timezone="America/Toronto")
    assert due - start == timedelta(hours=12)
    assert due.astimezone(TORONTO) == datetime(2027, 3, 14, 9, tzinfo=TORONTO)


def test_midnight_and_the_holiday_eve():
    # exactly midnight starting Friday: the day is Friday, due Tuesday 00:00 local
    midnight = datetime(2026, 11, 20, 0, tzinfo=TORONTO)
    assert _due(midnight, 2, "CA", "ON", "America/Toronto") == datetime(
        2026, 11, 24, 0, tzinfo=TORONTO)
    # the evening before Family Day (Mon 15 Feb 2027) and before Good Friday (26 Mar 2027)
    assert _due(datetime(2027, 2, 12, 22, tzinfo=TORONTO), 2, "CA", "ON",
                "America/Toronto") == datetime(2027, 2, 17, 22, tzinfo=TORONTO)
    assert _due(datetime(2027, 3, 25, 22, tzinfo=TORONTO), 2, "CA", "ON",
                "America/Toronto") == datetime(2027, 3, 30, 22, tzinfo=TORONTO)
    # Christmas on a Saturday (2027): Mon 27 and Tue 28 are the observed days
    assert _due(datetime(2027, 12, 24, 20, tzinfo=TORONTO), 2, "CA", "ON",
                "America/Toronto") == datetime(2027, 12, 30, 20, tzinfo=TORONTO)


def test_canada_day_on_a_sunday_is_kept_on_the_monday():
    # Holidays Act s. 2: 1 July 2029 is a Sunday, so Monday 2 July is Canada Day; the
    # holidays library's Ontario calendar did not have it.
    assert date(2029, 7, 2) in holidays_in(2029, "CA", "ON")
    assert add_business_days(datetime(2029, 6, 29, 17), 2, "CA", "ON") == datetime(
        2029, 7, 4, 17)
    assert date(2028, 7, 3) not in holidays_in(2028, "CA", "ON")  # a Saturday: not moved


def test_due_for_action_passes_the_zone():
    friday = datetime(2026, 11, 20, 21, tzinfo=TORONTO).astimezone(UTC)
    action = Deadline(kind="first_contact", business_days=2)
    due = due_for_action(action, trigger_time=friday, now=friday, country="CA",
                         subdivision="ON", timezone="America/Toronto")
    assert due.astimezone(TORONTO) == datetime(2026, 11, 24, 21, tzinfo=TORONTO)
