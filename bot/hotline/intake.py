"""What a citizen's messages say for a work order (工单): who, when, where, what, contact, and
for complaints about staff attitude the staff member. Pure functions of a `Turn`, like the
booking parsers, so one message can answer several questions."""

from __future__ import annotations

import re
from typing import Any

from bot.booking import fields
from bot.booking.turn import Extraction, Turn

SLOTS = [
    "hotline_matter",
    "hotline_place",
    "hotline_time",
    "staff_info",
    "caller_name",
    "hotline_contact",
    "hotline_confirmed",
]
CATEGORY_NAMES = {
    "suggestion": "建议",
    "request": "一般诉求",
    "help": "求助",
    "complaint": "投诉举报",
    "consult": "咨询",
    "praise": "表扬",
}
ANONYMOUS = "匿名"
NOT_GIVEN = "未留"

ANONYMOUS_WORDS = re.compile(r"匿名|不方便透露|不想留名|不留名|不愿透露|保密")
REFUSE_CONTACT = re.compile(r"不方便|不想留|不留|不给|保密|不愿意")
PLACE = re.compile(
    r"([\u4e00-\u9fa5A-Za-z0-9]{1,8}?)(?:大道|路|街|巷|小区|花园|社区|村|镇|乡|广场|公园|学校|"
    r"医院|市场|商场|车站|大厦|大桥|桥|工地|新区|区|县)"
    r"(?:\d+号|[东西南北]?门口?|附近|对面|旁边|\d+栋|\d+单元)?"
)
# Where a place name starts: after a verb, a time or a pronoun ("昨天在人民路", "我们小区").
NAME_BOUNDARY = re.compile(r"[在到去从于是有的了点天上们个说家]")
TIME_WORDS = re.compile(
    r"(?:昨天|前天|今天|今早|昨晚|上周|上个月|这几天|好几天|几天|一个多?月|半个月|几个月|一直|"
    r"每天|天天|最近|刚才|\d+[点号月日])[早晚上下中午凌晨半夜点时分多了\d一二三四五六七八九十两]{0,6}"
)
STAFF_ATTITUDE = re.compile(r"态度|刁难|骂人|推诿|不理人|爱答不理|甩脸")
STAFF_WORDS = re.compile(
    r"工作人员|窗口|办事员|民警|警察|医生|护士|老师|司机|城管|科长|所长|职员|客服"
)
STAFF_DETAIL = re.compile(
    r"(?:工号|编号|警号)\s*[:：]?\s*[A-Za-z0-9]+|姓[\u4e00-\u9fa5]的[\u4e00-\u9fa5]{0,4}"
)
STAFF_NUMBER = re.compile(
    r"(?:工号|编号|警号|胸牌号?)\s*(?:是|为)?\s*[:：]?\s*([A-Za-z]{0,3}-?\d[A-Za-z0-9-]*)"
    r"|^\s*([A-Za-z]{0,3}\d{2,}[A-Za-z0-9-]*)\s*$"  # a bare code, as the whole answer
)


def is_staff_complaint(category: str | None, text: str) -> bool:
    """Complaints about an official's attitude need the staff member named (seed, 投诉举报 ⑵)."""
    return category == "complaint" and bool(
        STAFF_ATTITUDE.search(text) and STAFF_WORDS.search(text)
    )


def staff_number(staff_info: str | None) -> str | None:
    """The staff number (工号/警号) in what the citizen said about the staff member."""
    found = STAFF_NUMBER.search(staff_info or "")
    return (found.group(1) or found.group(2)) if found else None


# A suggestion, a praise or an unanswered question has no scene: no place or time to ask for.
NO_SCENE = {"suggestion", "praise", "consult"}


def required_slots(slots: dict[str, Any]) -> list[str]:
    skip = set() if slots.get("staff_complaint") else {"staff_info"}
    if slots.get("hotline_category") in NO_SCENE:
        skip |= {"hotline_place", "hotline_time"}
    return [s for s in SLOTS if s not in skip]


def opening(text: str, known_name: str | None, known_phone: str | None) -> dict[str, Any]:
    """Slots the first message (and what the conversation already knows) fill at once."""
    slots: dict[str, Any] = {"hotline_matter": text.strip()}
    place = find_place(text)
    if place:
        slots["hotline_place"] = place
    when = TIME_WORDS.search(text)
    if when:
        slots["hotline_time"] = when.group(0)
    if known_name:
        slots["caller_name"] = known_name
    if known_phone:
        slots["hotline_contact"] = known_phone
    return slots


def find_place(text: str) -> str | None:
    """A named place ("滨江路阳光小区北门", "河东新区"); None for "我们小区门口" (no name)."""
    spans: list[tuple[int, int]] = []
    for match in PLACE.finditer(text):
        prefix = match.group(1)
        cut = max((i for i, c in enumerate(prefix) if NAME_BOUNDARY.match(c)), default=-1)
        start = match.start(1) + cut + 1
        if len(prefix) - cut - 1 < 2:
            continue
        if spans and spans[-1][1] == start:  # adjacent parts of one address
            spans[-1] = (spans[-1][0], match.end())
        else:
            spans.append((start, match.end()))
    return text[spans[0][0] : spans[0][1]] if spans else None


def parse(turn: Turn) -> Extraction:
    ex = Extraction()
    for slot in ("hotline_matter", "hotline_place", "hotline_time", "staff_info"):
        if turn.asked(slot):
            ex.set(slot, turn.clean)
    detail = STAFF_DETAIL.search(turn.text)
    if detail and not turn.asked("staff_info"):
        ex.set("staff_info", detail.group(0))
    _caller(turn, ex)
    _contact(turn, ex)
    fields.confirmation(turn, ex, "hotline_confirmed")
    return ex


def _caller(turn: Turn, ex: Extraction) -> None:
    if turn.asked("staff_info"):  # "姓刘" here names the staff member, not the caller
        return
    if ANONYMOUS_WORDS.search(turn.text):
        ex.set("caller_name", ANONYMOUS)
        return
    fields.person_name(turn, ex, slot="caller_name")


def _contact(turn: Turn, ex: Extraction) -> None:
    if turn.asked("hotline_contact") and REFUSE_CONTACT.search(turn.text):
        ex.set("hotline_contact", NOT_GIVEN)
        return
    fields.phone(turn, ex, slot="hotline_contact")
    if ex.slots.get("hotline_contact"):
        ex.set("phone", ex.slots["hotline_contact"])  # the conversation remembers it


def readback(slots: dict[str, Any]) -> dict[str, str]:
    return {
        "category": CATEGORY_NAMES.get(slots.get("hotline_category") or "", "一般诉求"),
        "matter": slots.get("hotline_matter") or "",
        "place": slots.get("hotline_place") or "",
        "time": slots.get("hotline_time") or "",
        "staff": slots.get("staff_info") or "—",
        "name": slots.get("caller_name") or "",
        "contact": slots.get("hotline_contact") or "",
        "department": slots.get("hotline_department") or "待班长分派",
    }
