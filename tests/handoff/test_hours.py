"""Operators' shifts on the Chinese calendar: holidays and make-up working weekends."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.handoff.hours import next_shift_opens, on_shift

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-26T07:59", False),  # Thursday, before the shift
        ("2026-11-26T08:00", True),
        ("2026-11-26T21:59", True),
        ("2026-11-26T22:00", False),
        ("2026-10-01T08:30", False),  # National Day: rest-day hours start at 9
        ("2026-10-01T09:00", True),
        ("2026-10-01T18:30", False),
        ("2026-10-10T08:30", True),  # a Saturday worked to make up for the holiday
        ("2026-11-28T08:30", False),  # an ordinary Saturday
    ],
)
def test_travel_operators_shift(moment, expected):
    assert on_shift("travel", at(moment)) is expected


def test_the_hotline_is_staffed_round_the_clock():
    assert on_shift("hotline", at("2026-10-01T03:00"))


def test_the_next_shift_after_a_late_evening_is_the_next_morning():
    assert next_shift_opens("travel", at("2026-11-27T23:00")) == at("2026-11-28T09:00")
    assert next_shift_opens("travel", at("2026-11-26T06:00")) == at("2026-11-26T08:00")


def test_a_deployment_sets_its_own_hours(tmp_path, monkeypatch):
    hours = tmp_path / "hours.yml"
    hours.write_text('travel:\n  workday: ["09:00", "17:00"]\n', encoding="utf-8")
    monkeypatch.setenv("HANDOFF_HOURS_FILE", str(hours))
    assert not on_shift("travel", at("2026-11-26T08:30"))
    assert not on_shift("travel", at("2026-11-28T10:00"))  # no rest-day shift at all
