"""Hotel booking: the fields of the phone script (接电话必留信息), parsed from chat turns."""

from __future__ import annotations

import re
from typing import Any

from bot.booking import fields
from bot.booking.fields import NO_HOTEL
from bot.booking.gazetteer import room_types
from bot.booking.numbers import NUMERAL, parse_count
from bot.booking.stay import stay_dates
from bot.booking.turn import Extraction, Turn

# The script's order: where → which hotel → wishes → dates → rooms/guests → … → name → mobile.
SLOTS = [
    "city",
    "hotel_name",
    "hotel_preference",
    "checkin_date",
    "checkout_date",
    "rooms",
    "guests",
    "arrival_time",
    "breakfast",
    "guest_requests",
    "hold_free",
    "person_name",
    "phone",
    "hotel_confirmed",
]
MAX_ROOMS = 30

UNIT = r"(?:间|个|套)"
ROOM_COUNT = re.compile(rf"(?P<n>{NUMERAL})\s*{UNIT}(?:房间?|客房)?")
ARRIVAL_HINT = re.compile(r"到|前|入住|左右|之前|以前|抵达")
BREAKFAST_NO = re.compile(
    r"不(?:要|含|用|需要|带)早|无早|不要早餐|不需要早餐|不用早餐|早餐不要|不吃早"
)
BREAKFAST_YES = re.compile(r"(?P<kind>[单双两三])早|含早|带早|[要需有]早餐|早餐要")


def required_slots(slots: dict[str, Any]) -> list[str]:
    """Location and price wishes are asked only when the traveller names no hotel."""
    hotel = slots.get("hotel_name")
    return [s for s in SLOTS if not (s == "hotel_preference" and hotel and hotel != NO_HOTEL)]


def parse(turn: Turn) -> Extraction:
    ex = Extraction()
    fields.city(turn, ex)
    fields.hotel_name(turn, ex)
    if turn.asked("hotel_preference"):
        ex.set("hotel_preference", "无特别要求" if turn.says_nothing_more() else turn.clean)
    stay_dates(turn, ex, "checkin_date", "checkout_date")
    _rooms(turn, ex)
    _guests(turn, ex)
    _arrival(turn, ex)
    _breakfast(turn, ex)
    if turn.asked("guest_requests"):
        ex.set("guest_requests", "无" if turn.says_nothing_more() else turn.clean)
    if turn.asked("hold_free"):
        fields.yes_no(turn, ex, "hold_free")
    fields.person_name(turn, ex)
    fields.phone(turn, ex)
    fields.confirmation(turn, ex, "hotel_confirmed")
    return ex


def _rooms(turn: Turn, ex: Extraction) -> None:
    """Room types with counts: "两间标准间", "大床房一间", "标间2个,大床1间", "不对,是三间"."""
    types = room_types().find_all(turn.text) or [
        (-1, -1, v) for v in turn.entity_values("room_type")
    ]
    counts = [
        (m.start(), m.end(), parse_count(m.group("n"))) for m in ROOM_COUNT.finditer(turn.text)
    ]
    counts = [c for c in counts if not _is_date_or_headcount(turn.text, c)]
    if any(n == 0 for _, _, n in counts):
        ex.reject("utter_invalid_room_count")
        return
    if any(n is not None and n > MAX_ROOMS for _, _, n in counts):
        ex.reject("utter_too_many_rooms", limit=MAX_ROOMS)
        return
    if types:
        rooms = [
            {"type": kind, "count": _count_near(start, end, counts)} for start, end, kind in types
        ]
        pending = turn.slots.get("pending_room_count")
        if len(rooms) == 1 and rooms[0]["count"] is None:
            rooms[0]["count"] = (counts[0][2] if counts else None) or pending or 1
        for room in rooms:
            room["count"] = room["count"] or 1
        ex.set("rooms", rooms)
        ex.set("pending_room_count", None)
    elif counts:
        current = turn.slots.get("rooms") or []
        if len(current) == 1:  # a correction of the only room type: "不对,是三间"
            ex.set("rooms", [{"type": current[0]["type"], "count": counts[0][2]}])
        else:
            ex.set("pending_room_count", counts[0][2])
            if turn.asked("rooms") or not current:
                ex.reject("utter_ask_room_type_for_count", count=counts[0][2])
    elif turn.asked("rooms"):
        ex.reject("utter_unknown_room_type")


def _count_near(start: int, end: int, counts: list[tuple[int, int, int | None]]) -> int | None:
    """The count written right after ("大床房两间") or right before ("两间大床房") a room type."""
    for c_start, _, n in counts:
        if 0 <= c_start - end <= 1:
            return n
    for _, c_end, n in counts:
        if c_end == start:
            return n
    return None


def _is_date_or_headcount(text: str, count: tuple[int, int, int | None]) -> bool:
    after = text[count[1] : count[1] + 1]
    return after in "人位晚号日月天" and after != ""


def _guests(turn: Turn, ex: Extraction) -> None:
    guests = fields.headcount(turn.text)
    if guests is None and turn.asked("guests"):
        bare = re.fullmatch(rf"(?:就)?(?P<n>{NUMERAL})(?:个)?", turn.clean)
        guests = parse_count(bare.group("n")) if bare else None
        if guests is None and re.search(r"就?我一个|我自己|一个人", turn.text):
            guests = 1
        if guests is None:
            ex.reject("utter_invalid_guests")
            return
    if guests is not None:
        if guests < 1:
            ex.reject("utter_invalid_guests")
        else:
            ex.set("guests", guests)


def _arrival(turn: Turn, ex: Extraction) -> None:
    for mention in turn.times():
        if mention.value.grain != "minute":
            continue
        context = turn.text[mention.start_char : mention.end_char + 3]
        if turn.asked("arrival_time") or ARRIVAL_HINT.search(context):
            ex.set("arrival_time", mention.value.start[11:16])
            return
    if turn.asked("arrival_time"):
        if re.search(r"不确定|说不好|不一定|不知道|都行", turn.text):
            ex.set("arrival_time", "未定")
        else:
            ex.reject("utter_invalid_arrival_time")


def _breakfast(turn: Turn, ex: Extraction) -> None:
    if BREAKFAST_NO.search(turn.text):
        ex.set("breakfast", "不含早餐")
        return
    match = BREAKFAST_YES.search(turn.text)
    if match:
        kind = {"单": "单早", "双": "双早", "两": "双早", "三": "三早"}.get(
            match.group("kind") or ""
        )
        ex.set("breakfast", f"含早餐({kind})" if kind else "含早餐")
        return
    if turn.asked("breakfast"):
        answer = turn.answered_yes()
        if answer is not None:
            ex.set("breakfast", "含早餐" if answer else "不含早餐")
        elif re.search(r"都行|无所谓|随便", turn.text):
            ex.set("breakfast", "无所谓")
        else:
            ex.reject("utter_not_understood")


def readback(slots: dict[str, Any]) -> dict[str, str]:
    """The values the read-back message shows, formatted the way an operator says them."""
    checkin, checkout = slots.get("checkin_date"), slots.get("checkout_date")
    hotel = slots.get("hotel_name")
    return {
        "city": slots.get("city") or "",
        "hotel": hotel
        if hotel and hotel != NO_HOTEL
        else f"不指定({slots.get('hotel_preference') or '无特别要求'})",
        "checkin": fields.format_day(checkin) if checkin else "",
        "checkout": fields.format_day(checkout) if checkout else "",
        "nights": str(fields.nights_between(checkin, checkout)) if checkin and checkout else "",
        "rooms": format_rooms(slots.get("rooms") or []),
        "guests": str(slots.get("guests") or ""),
        "arrival_time": slots.get("arrival_time") or "",
        "breakfast": slots.get("breakfast") or "",
        "requests": slots.get("guest_requests") or "无",
        "hold": "需要" if slots.get("hold_free") else "不需要",
        "name": slots.get("person_name") or "",
        "phone": slots.get("phone") or "",
    }


def format_rooms(rooms: list[dict[str, Any]]) -> str:
    return "、".join(f"{r['type']}{r['count']}间" for r in rooms)
