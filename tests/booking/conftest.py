from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from bot.booking.turn import Turn
from bot.nlu.chinese_time import SHANGHAI

# A Thursday; the Chinese calendar makes it an ordinary working day.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def turn() -> Callable[..., Turn]:
    def make(text: str, asked: str | None = None, intent: str | None = None, **slots: Any) -> Turn:
        return Turn(text=text, intent=intent, requested_slot=asked, slots=slots, now=NOW)

    return make
