"""The hotline's working-day clock: deadlines counted in Chinese working days.

Working days come from `chinese_calendar` (statutory holidays and the make-up workdays on
weekends). Its table covers the years the State Council has announced, up to 2026 for
version 1.11; for a later year the clock falls back to Monday–Friday and logs a warning once
per year, so deadlines stay computable (possibly a few days off around that year's holidays)
until the package is upgraded.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

LOCAL = ZoneInfo("Asia/Shanghai")
# Departments work office hours: a deadline "within N working days" ends at close of business.
CLOSE_OF_BUSINESS = time(18, 0)
# A chase given with less than this much time left is too late to act on: below it, chase at
# three quarters of the way instead of a working day ahead (see chase_time).
CHASE_FRACTION = 0.75


@cache
def _warn_no_calendar(year: int) -> None:
    log.warning(
        "chinese_calendar has no holidays for %s: counting Monday-Friday as working days; "
        "upgrade chinese-calendar when the State Council publishes the year's schedule",
        year,
    )


def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_no_calendar(day.year)
        return day.weekday() < 5


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _close_of(day: date) -> datetime:
    return datetime.combine(day, CLOSE_OF_BUSINESS, tzinfo=LOCAL).astimezone(timezone.utc)


def add_working_days(start: datetime, days: int) -> datetime:
    """Close of business on the `days`-th working day after the day of `start` (local time):
    the day an order arrives does not count, as on the paper 交办单."""
    day = aware(start).astimezone(LOCAL).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
    return _close_of(day)


def end_of_day(moment: datetime) -> datetime:
    """Local midnight ending the day of `moment`: urgent matters (water, power, gas) are
    handled the same day, weekends and holidays included."""
    day = aware(moment).astimezone(LOCAL).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=LOCAL).astimezone(timezone.utc)


def chase_time(start: datetime, due: datetime) -> datetime:
    """When to chase (催办) a deadline: at close of business on the working day before the
    deadline's day, which leaves the department a whole working day to finish; when that
    would come before `start` (deadlines of a day or less), three quarters of the way."""
    start, due = aware(start), aware(due)
    day = due.astimezone(LOCAL).date() - timedelta(days=1)
    while not is_workday(day):
        day -= timedelta(days=1)
    chase = _close_of(day)
    if start < chase < due:
        return chase
    return start + (due - start) * CHASE_FRACTION
