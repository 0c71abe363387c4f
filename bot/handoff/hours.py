"""Whether operators are on shift now, from bot/handoff/hours.yml (HANDOFF_HOURS_FILE
points elsewhere), with the Chinese holiday calendar deciding which days are rest days."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path

import yaml

from bot.hotline.clock import LOCAL, aware, is_workday

DEFAULT_FILE = Path(__file__).with_name("hours.yml")


@dataclass(frozen=True)
class Shift:
    opens: time
    closes: time | None  # None: until midnight ("24:00")

    def covers(self, moment: time) -> bool:
        return self.opens <= moment and (self.closes is None or moment < self.closes)

    @property
    def label(self) -> str:
        return f"{self.opens:%H:%M}-{'24:00' if self.closes is None else f'{self.closes:%H:%M}'}"


def _time(text: str) -> time | None:
    return None if text == "24:00" else time.fromisoformat(text)


@cache
def _schedule(path: str) -> dict[str, dict[str, Shift]]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return {
        line: {
            kind: Shift(_time(span[0]) or time(0), _time(span[1])) for kind, span in days.items()
        }
        for line, days in raw.items()
    }


def _shifts(service_line: str) -> dict[str, Shift]:
    schedule = _schedule(os.environ.get("HANDOFF_HOURS_FILE") or str(DEFAULT_FILE))
    return schedule.get(service_line) or schedule.get("travel") or {}


def _shift_on(service_line: str, moment: datetime) -> Shift | None:
    local = aware(moment).astimezone(LOCAL)
    return _shifts(service_line).get("workday" if is_workday(local.date()) else "rest_day")


def on_shift(service_line: str, moment: datetime) -> bool:
    shift = _shift_on(service_line, moment)
    return shift is not None and shift.covers(aware(moment).astimezone(LOCAL).time())


def next_shift_opens(service_line: str, moment: datetime) -> datetime | None:
    """When the next shift starts after `moment` (within two weeks), for telling the user."""
    local = aware(moment).astimezone(LOCAL)
    for offset in range(15):
        day = (local + timedelta(days=offset)).date()
        shift = _shifts(service_line).get("workday" if is_workday(day) else "rest_day")
        if shift is None:
            continue
        opens = datetime.combine(day, shift.opens, tzinfo=LOCAL)
        if opens > local:
            return opens
    return None
