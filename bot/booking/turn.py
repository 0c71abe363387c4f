"""What a form parser sees of one user message, and what it gives back.

The parsers in this package are pure functions of a `Turn`, so the same understanding runs in
the action server, in tests and on the command line without Rasa.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.nlu.chinese_time import TimeMention, find_times, reference_now

AFFIRM_WORDS = re.compile(r"^(对|是|好|嗯|行|可以|确认|没问题|正确|需要|要|ok|OK|yes|Y|y)")
DENY_WORDS = re.compile(r"^(不|没|别|无|错|否|no|No|N$)")
NOTHING_WORDS = re.compile(
    r"^(没有|无|不用|没了|没啥|没什么|都行|随便|无所谓|不需要|暂时没有|没要求)"
)


@dataclass(frozen=True)
class Problem:
    """A value the user gave that cannot be accepted: the response that says why, with its args."""

    response: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Turn:
    text: str
    intent: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    requested_slot: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    now: datetime = field(default_factory=reference_now)

    @property
    def clean(self) -> str:
        """The text without surrounding blanks and trailing punctuation, for bare answers."""
        return self.text.strip().strip("。.!！~～，,、 ")

    def entity_values(self, name: str) -> list[str]:
        return [str(e["value"]) for e in self.entities if e.get("entity") == name]

    def times(self) -> list[TimeMention]:
        return find_times(self.text, self.now)

    @property
    def today(self) -> date:
        return self.now.date()

    def answered_yes(self) -> bool | None:
        """Yes/no to the question just asked: from the intent, else from the first word."""
        if self.intent == "affirm":
            return True
        if self.intent == "deny":
            return False
        if DENY_WORDS.match(self.clean):
            return False
        if AFFIRM_WORDS.match(self.clean):
            return True
        return None

    def says_nothing_more(self) -> bool:
        """ "没有" / "不用" / "随便": the user has nothing to add for the field asked."""
        return bool(NOTHING_WORDS.match(self.clean))

    def asked(self, slot: str) -> bool:
        return self.requested_slot == slot

    def may_change(self, slot: str) -> bool:
        """Whether a passing mention may set `slot`: it is empty, asked for, or being
        corrected at the read-back. A city inside an address must not move the booking."""
        return (
            self.slots.get(slot) is None
            or self.asked(slot)
            or bool(self.requested_slot and self.requested_slot.endswith("_confirmed"))
        )


@dataclass
class Extraction:
    """Slot values found in a turn, and the problems to tell the user about."""

    slots: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def set(self, slot: str, value: Any) -> None:
        self.slots[slot] = value

    def reject(self, response: str, **args: Any) -> None:
        self.problems.append(Problem(response, args))
