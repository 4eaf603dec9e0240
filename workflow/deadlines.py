"""Due dates: business days that skip weekends and the table's public holidays, and clock hours.

A table's first-contact deadline of "2 business days" must not fall on Christmas Day in
Ontario or during Tết in Viet Nam, so business days come from the `holidays` library for the
table's country (and subdivision, e.g. ON). Weekend days the government declares working days
(Viet Nam swaps some) count as business days. Calendars are cached per (country,
subdivision, year). Pure Python: no database, no clock (callers pass the times). The deadline
rows (set, met, stopped, claimed by the sweep) are written in workflow/deadline_rows.py only.

Times are in the table's local time: a business day is a calendar date there. Clock hours are
elapsed time (an aware datetime keeps its zone; a DST change does not shorten a 12-hour clock).
The rules' callers hold UTC times: they pass the table's `timezone` to due_at, which counts
the business days on the table's own calendar (a Friday evening in Toronto is a Friday, not the
Saturday it already is in UTC) and returns the due time in the zone it was given.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

MAX_BUSINESS_DAYS = 3660  # ten years: beyond this a caller has a bug, not a deadline


@dataclass(frozen=True)
class _Calendar:
    holidays: frozenset[date]
    weekend: frozenset[int]
    weekend_workdays: frozenset[date]

    def is_business_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day.weekday() not in self.weekend or day in self.weekend_workdays


@functools.lru_cache(maxsize=512)
def _calendar(country: str | None, subdivision: str | None, year: int) -> _Calendar:
    if not country:
        return _Calendar(frozenset(), frozenset({5, 6}), frozenset())
    try:
        table = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    except NotImplementedError as error:
        raise ValueError(f"no holiday calendar for country {country!r}: {error}") from None
    weekend = frozenset(getattr(table, "weekend", {5, 6}))
    workdays = frozenset(d for d in getattr(table, "weekend_workdays", set()) if d.year == year)
    days = {d for d in table if d.year == year} | _statutory_extras(country, year)
    return _Calendar(frozenset(days), weekend, workdays)


def _statutory_extras(country: str, year: int) -> set[date]:
    """Days the law makes holidays that the library's public calendar leaves out.

    Canada's Holidays Act (R.S.C. 1985, c. H-5, s. 2): when July 1 is a Sunday, Monday July 2
    is Canada Day; `holidays` has it for some provinces but not for Ontario (e.g. 2029).
    """
    if country == "CA" and date(year, 7, 1).weekday() == 6:
        return {date(year, 7, 2)}
    return set()


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def is_business_day(
    day: date | datetime, country: str | None, subdivision: str | None = None
) -> bool:
    """True if `day` is neither a weekend day nor a public holiday of the country/subdivision."""
    day = _day(day)
    return _calendar(country, subdivision, day.year).is_business_day(day)


def holidays_in(year: int, country: str | None, subdivision: str | None = None) -> frozenset[date]:
    """The public holidays the calendar skips in `year` (for display and tests)."""
    return _calendar(country, subdivision, year).holidays


def add_business_days(
    start: datetime, n: int, country: str | None, subdivision: str | None = None
) -> datetime:
    """`start` moved forward by `n` business days, keeping the time of day.

    From a weekend day or holiday, the first business day after it counts as day 1. `n` = 0
    returns `start` unchanged.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("n must be a whole number of business days")
    if not 0 <= n <= MAX_BUSINESS_DAYS:
        raise ValueError(f"business days must be between 0 and {MAX_BUSINESS_DAYS}, got {n}")
    current = start
    remaining = n
    while remaining:
        current += timedelta(days=1)
        if is_business_day(current, country, subdivision):
            remaining -= 1
    return current


def add_hours(start: datetime, hours: float) -> datetime:
    """`start` plus `hours` of elapsed time (aware datetimes are added in UTC)."""
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise TypeError("hours must be a number")
    if hours < 0:
        raise ValueError("hours must not be negative")
    delta = timedelta(hours=hours)
    if start.tzinfo is not None and start.utcoffset() is not None:
        return (start.astimezone(UTC) + delta).astimezone(start.tzinfo)
    return start + delta


def business_days_between(
    a: date | datetime, b: date | datetime, country: str | None, subdivision: str | None = None
) -> int:
    """Business days after `a`'s date up to and including `b`'s date (negative if b < a).

    So `business_days_between(s, add_business_days(s, n, ...), ...) == n`.
    """
    first, last = _day(a), _day(b)
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    count = 0
    day = first + timedelta(days=1)
    while day <= last:
        if is_business_day(day, country, subdivision):
            count += 1
        day += timedelta(days=1)
    return sign * count


def due_at(
    start: datetime,
    *,
    business_days: int | None = None,
    hours: float | None = None,
    country: str | None,
    subdivision: str | None = None,
    timezone: str | None = None,
) -> datetime:
    """When a deadline set at `start` falls due: give exactly one of business_days or hours.

    With `timezone` (the table's), an aware `start` is counted in that zone's local time and
    the result is returned in `start`'s own zone.
    """
    if (business_days is None) == (hours is None):
        raise ValueError("give exactly one of business_days or hours")
    if business_days is not None:
        if timezone and start.tzinfo is not None:
            local = start.astimezone(ZoneInfo(timezone))
            due = add_business_days(local, business_days, country, subdivision)
            return due.astimezone(start.tzinfo)
        return add_business_days(start, business_days, country, subdivision)
    assert hours is not None
    return add_hours(start, hours)


def due_for_action(
    action: Any,
    *,
    trigger_time: datetime,
    now: datetime,
    country: str | None,
    subdivision: str | None = None,
    timezone: str | None = None,
) -> datetime:
    """The due time of a rule pack's deadline action (rules.model.Deadline, duck-typed).

    The action counts from `trigger_time` (the event that fired the rule) unless its
    `from_` is "now".
    """
    start = now if getattr(action, "from_", "trigger") == "now" else trigger_time
    return due_at(
        start,
        business_days=getattr(action, "business_days", None),
        hours=getattr(action, "hours", None),
        country=country,
        subdivision=subdivision,
        timezone=timezone,
    )

