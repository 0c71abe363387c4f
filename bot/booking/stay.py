"""Dates of a stay or an event: which mention is the start, which the end, how many nights."""

from __future__ import annotations

import re

from bot.booking.fields import add_days, future_day, nights_between
from bot.booking.numbers import NUMERAL, parse_count
from bot.booking.turn import Extraction, Turn

NIGHTS = re.compile(rf"(?:住|待|呆)?\s*(?P<n>{NUMERAL})\s*(?:晚|个晚上|夜|天)")
END_WORDS = re.compile(r"退房|离店|走|离开|回来|返回|结束|截止")
DATE_WORDS = re.compile(r"[月号日]|今天|明天|后天|周|星期|礼拜|节|元旦|春节|国庆|五一|\d+[./]\d+")


def stay_dates(turn: Turn, ex: Extraction, start_slot: str, end_slot: str) -> None:
    """Fill start and end dates (and the end from "住两晚") from the day mentions of a turn."""
    days = [m for m in turn.times() if m.value.grain == "day" or DATE_WORDS.search(m.text)]
    start = turn.slots.get(start_slot)
    for mention in days:
        value = mention.value
        if value.is_range:
            first = future_day(turn, ex, mention)
            if first is None:
                return
            ex.set(start_slot, value.start[:10])
            ex.set(end_slot, value.end[:10])
            start = value.start[:10]
            continue
        after = turn.text[mention.end_char : mention.end_char + 4]
        is_end = bool(END_WORDS.search(after)) or (turn.asked(end_slot) and start is not None)
        if future_day(turn, ex, mention) is None:
            return
        if is_end:
            ex.set(end_slot, value.start[:10])
        else:
            ex.set(start_slot, value.start[:10])
            start = value.start[:10]
    nights = _nights(turn)
    if nights is not None and nights < 1:
        ex.reject("utter_invalid_nights")
        nights = None
    if nights is not None:
        ex.set("nights", nights)
    # A length of stay said now, or earlier, gives the end once the start is known.
    nights = nights or turn.slots.get("nights")
    if (
        start
        and nights
        and end_slot not in ex.slots
        and (start_slot in ex.slots or "nights" in ex.slots)
    ):
        ex.set(end_slot, add_days(start, int(nights)))
    _check_order(turn, ex, start_slot, end_slot)


def _nights(turn: Turn) -> int | None:
    match = NIGHTS.search(turn.text)
    if match and not re.match(r"[号日月]", turn.text[match.end() : match.end() + 1]):
        return parse_count(match.group("n"))
    return None


def _check_order(turn: Turn, ex: Extraction, start_slot: str, end_slot: str) -> None:
    start = ex.slots.get(start_slot, turn.slots.get(start_slot))
    end = ex.slots.get(end_slot, turn.slots.get(end_slot))
    if start and end and nights_between(start, end) < 1:
        ex.set(end_slot, None)
        ex.reject("utter_invalid_end_before_start")
