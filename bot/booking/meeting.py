"""Meeting-venue booking: the fields of the seed's 会议需求登记表, parsed from chat turns."""

from __future__ import annotations

import re
from typing import Any

from bot.booking import fields
from bot.booking.fields import NO_HOTEL
from bot.booking.numbers import NUMERAL, parse_count
from bot.booking.turn import Extraction, Turn

SLOTS = [
    "city",
    "hotel_name",
    "meeting_type",
    "meeting_date",
    "attendees",
    "meeting_rooms",
    "meeting_requirements",
    "meeting_budget",
    "person_name",
    "phone",
    "meeting_confirmed",
]

MEETING_TYPE = re.compile(
    r"(?:产品|新品|学术|技术|销售|员工|年终|年度|工作|业务|客户|经销商|行业|项目|商务|公司)?"
    r"(?:培训会?|年会|研讨会|发布会|座谈会|交流会|表彰会|订货会|招商会|董事会|股东会|"
    r"学术会议?|论坛|峰会|推介会|答谢会|沙龙|商务会议?|工作会议?|团建)"
)
REQUIREMENT_WORDS = re.compile(
    r"投影|话筒|麦克风|音响|LED|大屏|横幅|茶歇|课桌|剧院式|圆桌|U型|同传|签到|鲜花|桌签|白板"
)
BUDGET = re.compile(
    rf"(?:预算|标准|人均|每人|一人)[^,，。;；]{{0,12}}?(?:\d+|{NUMERAL})\s*(?:元|块|万|千)[^,，。;；]{{0,6}}"
)
GUEST_ROOMS = re.compile(
    rf"(?:客房|住宿|房间)\s*(?P<a>{NUMERAL})\s*间|(?P<b>{NUMERAL})\s*间(?:客房|房|住宿)"
)
NO_GUEST_ROOMS = re.compile(r"不(?:需要|用|要)(?:住宿|客房|住|订房)|不住")


def required_slots(slots: dict[str, Any]) -> list[str]:
    return list(SLOTS)


def parse(turn: Turn) -> Extraction:
    ex = Extraction()
    fields.city(turn, ex)
    fields.hotel_name(turn, ex)
    _meeting_type(turn, ex)
    _meeting_date(turn, ex)
    _attendees(turn, ex)
    _guest_rooms(turn, ex)
    _free_text(turn, ex, "meeting_requirements", REQUIREMENT_WORDS, "无特别要求")
    _free_text(turn, ex, "meeting_budget", BUDGET, "未定")
    fields.person_name(turn, ex)
    fields.phone(turn, ex)
    fields.confirmation(turn, ex, "meeting_confirmed")
    return ex


def _meeting_type(turn: Turn, ex: Extraction) -> None:
    match = MEETING_TYPE.search(turn.text)
    if match:
        ex.set("meeting_type", match.group(0))
    elif turn.asked("meeting_type"):
        ex.set("meeting_type", turn.clean)


def _meeting_date(turn: Turn, ex: Extraction) -> None:
    """One day ("12月3日") or several ("12月3日到5日"), stored as an ISO date or interval."""
    for mention in turn.times():
        day = fields.future_day(turn, ex, mention)
        if day is None:
            return
        value = mention.value
        ex.set(
            "meeting_date",
            f"{value.start[:10]}/{value.end[:10]}" if value.is_range else value.start[:10],
        )
        return
    if turn.asked("meeting_date"):
        ex.reject("utter_invalid_date")


def _attendees(turn: Turn, ex: Extraction) -> None:
    count = fields.headcount(turn.text)
    if count is None and turn.asked("attendees"):
        bare = re.fullmatch(rf"(?:大概|大约|约)?(?P<n>{NUMERAL})(?:个|左右)?", turn.clean)
        count = parse_count(bare.group("n")) if bare else None
        if count is None:
            ex.reject("utter_invalid_attendees")
            return
    if count is not None:
        if count < 1:
            ex.reject("utter_invalid_attendees")
        else:
            ex.set("attendees", count)


def _guest_rooms(turn: Turn, ex: Extraction) -> None:
    if NO_GUEST_ROOMS.search(turn.text):
        ex.set("meeting_rooms", 0)
        return
    match = GUEST_ROOMS.search(turn.text)
    if match:
        ex.set("meeting_rooms", parse_count(match.group("a") or match.group("b")))
    elif turn.asked("meeting_rooms"):
        bare = re.search(rf"(?P<n>{NUMERAL})\s*(?:间|个)?", turn.clean)
        if turn.answered_yes() is False or turn.says_nothing_more():
            ex.set("meeting_rooms", 0)
        elif bare and parse_count(bare.group("n")) is not None:
            ex.set("meeting_rooms", parse_count(bare.group("n")))
        else:
            ex.reject("utter_invalid_meeting_rooms")


def _free_text(turn: Turn, ex: Extraction, slot: str, pattern: re.Pattern[str], none: str) -> None:
    """A field people describe in their own words: the clauses that mention it, or the answer."""
    if turn.asked(slot):
        ex.set(slot, none if turn.says_nothing_more() else turn.clean)
        return
    clauses = [c for c in re.split(r"[,，。;；!！]", turn.text) if pattern.search(c)]
    if clauses:
        ex.set(slot, ",".join(c.strip() for c in clauses))


def readback(slots: dict[str, Any]) -> dict[str, str]:
    dates = (slots.get("meeting_date") or "").split("/")
    hotel = slots.get("hotel_name")
    rooms = slots.get("meeting_rooms")
    return {
        "city": slots.get("city") or "",
        "hotel": hotel if hotel and hotel != NO_HOTEL else "不指定,请为我推荐",
        "meeting_type": slots.get("meeting_type") or "",
        "date": "至".join(fields.format_day(d) for d in dates if d),
        "attendees": str(slots.get("attendees") or ""),
        "rooms": f"{rooms}间" if rooms else "不需要",
        "requirements": slots.get("meeting_requirements") or "无特别要求",
        "budget": slots.get("meeting_budget") or "未定",
        "name": slots.get("person_name") or "",
        "phone": slots.get("phone") or "",
    }
