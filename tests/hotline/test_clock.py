"""Deadlines in Chinese working days, across holidays and their make-up workdays."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.hotline import clock
from bot.hotline.clock import LOCAL, add_working_days, chase_time, end_of_day, is_workday


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL)


def test_national_day_2026_counts_the_make_up_saturday():
    # 1–7 October are holidays; Saturday 10 October is a make-up workday.
    dispatched = local(2026, 9, 30, 10, 0)
    assert add_working_days(dispatched, 3) == local(2026, 10, 10, 18, 0)
    assert add_working_days(dispatched, 4) == local(2026, 10, 12, 18, 0)  # Sunday 11th is off


def test_spring_festival_2026_skips_the_holiday_and_counts_both_make_up_saturdays():
    # 15–23 February are holidays; Saturdays 14 and 28 February are make-up workdays.
    dispatched = local(2026, 2, 13, 16, 30)
    assert add_working_days(dispatched, 3) == local(2026, 2, 25, 18, 0)  # 14th, 24th, 25th
    assert add_working_days(local(2026, 2, 27, 9, 0), 1) == local(2026, 2, 28, 18, 0)


def test_an_order_arriving_on_a_holiday_starts_counting_at_the_next_workday():
    assert add_working_days(local(2026, 10, 3, 11, 0), 1) == local(2026, 10, 8, 18, 0)


def test_chase_comes_at_close_of_business_the_working_day_before():
    dispatched = local(2026, 9, 30, 10, 0)
    due = add_working_days(dispatched, 3)  # Saturday 10 October
    assert chase_time(dispatched, due) == local(2026, 10, 9, 18, 0)
    # Across the holiday: the working day before Thursday 8 October is 30 September.
    due = add_working_days(dispatched, 1)
    assert chase_time(dispatched, due) == local(2026, 9, 30, 18, 0)


def test_short_deadlines_are_chased_three_quarters_of_the_way():
    created = local(2026, 11, 26, 10, 0)
    assert chase_time(created, created + timedelta(hours=1)) == local(2026, 11, 26, 10, 45)
    late = local(2026, 11, 26, 20, 0)  # after close of business: no whole day is left
    due = add_working_days(late, 1)
    assert chase_time(late, due) == late + (due - late) * 0.75


def test_urgent_matters_are_due_by_midnight_even_on_a_holiday():
    assert end_of_day(local(2026, 10, 2, 15, 0)) == local(2026, 10, 3, 0, 0)


def test_beyond_the_calendar_table_weekdays_count_and_a_warning_is_logged(caplog):
    # The warning is logged once per year and process: earlier tests may have had it already.
    clock._warn_no_calendar.cache_clear()
    with caplog.at_level(logging.WARNING, logger="bot.hotline.clock"):
        assert is_workday(datetime(2027, 1, 4).date())  # a Monday
        assert not is_workday(datetime(2027, 1, 9).date())  # a Saturday
        assert add_working_days(local(2027, 1, 8, 10, 0), 1) == local(2027, 1, 11, 18, 0)
    assert "2027" in caplog.text
