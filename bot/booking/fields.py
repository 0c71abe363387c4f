"""Fields more than one booking form asks for: names, mobiles, ID numbers, dates, head counts."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.booking.gazetteer import cities
from bot.booking.numbers import NUMERAL, parse_count
from bot.booking.turn import Extraction, Turn
from bot.nlu.chinese_time import TimeMention
from bot.nlu.identifiers import extract_id_numbers, extract_phones

NO_HOTEL = "不指定"
HOTEL_FILLERS = re.compile(r"^(?:有的?|有|就|订|住|想住|要|指定)+[,，\s]*|(?:吧|啊|呀|哈|的)$")
NAME_PATTERNS = [
    re.compile(
        r"(?:我叫|名字叫|名字是|姓名[是:：]?|真实姓名[是:：]?|乘机人[是:：]?|联系人[是:：]?|客人叫|我是)\s*(?P<name>[\u4e00-\u9fa5·]{2,8})"
    ),
    re.compile(r"(?:免贵姓|我姓|姓)(?P<name>[\u4e00-\u9fa5]{1,2})(?=$|[,，。\s]|先生|女士|小姐)"),
]
BARE_NAME = re.compile(r"^[\u4e00-\u9fa5]{1,4}(?:·[\u4e00-\u9fa5]{1,10})?$")
NAME_FILLERS = re.compile(r"^(?:我叫|叫|是|我是|姓名|名字)|(?:吧|啊|呀|哈|的)$")
HEADCOUNT = re.compile(rf"(?P<n>{NUMERAL})\s*(?:个人|人|位|名|口人|个大人)(?!民币)")
# Words that end a phrase but are not part of a name answer ("张三,谢谢").
NAME_STOPWORDS = {"没有", "不用", "不知道", "可以", "好的", "谢谢", "不对", "对的", "是的"}


def person_name(turn: Turn, ex: Extraction, slot: str = "person_name") -> None:
    """A name from the NLU entity, a "我叫…" phrase, or a bare answer to the name question."""
    for pattern in NAME_PATTERNS:
        match = pattern.search(turn.text)
        if match:
            ex.set(slot, NAME_FILLERS.sub("", match.group("name")) or match.group("name"))
            return
    names = turn.entity_values("person_name")
    if names:
        ex.set(slot, names[0])
        return
    if not turn.asked(slot):
        return
    answer = NAME_FILLERS.sub("", re.split(r"[,，。\s]", turn.clean)[0])
    if BARE_NAME.match(answer) and answer not in NAME_STOPWORDS:
        ex.set(slot, answer)
    else:
        ex.reject("utter_invalid_name")


def phone(turn: Turn, ex: Extraction, slot: str = "phone") -> None:
    """A mainland mobile number; anything that looks like an attempt but is not one is refused."""
    for match in extract_phones(turn.text):
        if match.valid:
            ex.set(slot, match.value)
            return
    attempts = extract_phones(turn.text)
    if attempts:
        ex.reject("utter_invalid_phone", number=attempts[0].text)
    elif turn.asked(slot):
        ex.reject("utter_invalid_phone", number=turn.clean[:20])


ID_PROBLEMS = {
    "check_digit": "utter_invalid_id_check_digit",
    "birth_date": "utter_invalid_id_birth_date",
    "region": "utter_invalid_id_region",
    "length": "utter_invalid_id_length",
}


def id_number(turn: Turn, ex: Extraction, slot: str = "id_number") -> None:
    """An 18-character resident ID with a valid GB 11643 check digit."""
    matches = extract_id_numbers(turn.text)
    for match in matches:
        if match.valid:
            ex.set(slot, match.value)
            return
    if matches:
        ex.reject(ID_PROBLEMS.get(matches[0].problem or "", "utter_invalid_id_length"))
    elif turn.asked(slot) and re.search(r"\d{6,}", turn.text):
        ex.reject("utter_invalid_id_length")


def headcount(text: str) -> int | None:
    match = HEADCOUNT.search(text)
    return parse_count(match.group("n")) if match else None


# Dates without a year resolve to the future ("4月1日" in November is next April), but one
# that lands this far ahead was almost surely meant for a day that has just passed.
FAR_AHEAD_DAYS = 300


def future_day(turn: Turn, ex: Extraction, mention: TimeMention) -> date | None:
    """The first day a mention names, refused when it has already passed."""
    day = date.fromisoformat(mention.value.start[:10])
    explicit_year = bool(re.search(r"年|\d{4}", mention.text))
    too_far = (day - turn.today).days > FAR_AHEAD_DAYS and not explicit_year
    if day < turn.today or too_far:
        ex.reject("utter_invalid_date_past", date=f"{day.month}月{day.day}日")
        return None
    return day


WEEKDAYS = "一二三四五六日"


def format_day(iso: str) -> str:
    """ "2026-12-04" → "12月4日(周五)", the way an operator reads dates back on the phone."""
    day = date.fromisoformat(iso[:10])
    text = f"{day.month}月{day.day}日(周{WEEKDAYS[day.weekday()]})"
    return f"{text} {iso[11:16]}" if len(iso) > 10 else text


def nights_between(checkin: str, checkout: str) -> int:
    return (date.fromisoformat(checkout[:10]) - date.fromisoformat(checkin[:10])).days


def add_days(iso: str, days: int) -> str:
    return (date.fromisoformat(iso[:10]) + timedelta(days=days)).isoformat()


def yes_no(turn: Turn, ex: Extraction, slot: str) -> None:
    answer = turn.answered_yes()
    if answer is None:
        ex.reject("utter_please_answer_yes_no")
    else:
        ex.set(slot, answer)


def city(turn: Turn, ex: Extraction, slot: str = "city") -> None:
    if not turn.may_change(slot):
        return
    found = turn.entity_values("city") or [c for _, _, c in cities().find_all(turn.text)]
    if found:
        ex.set(slot, found[0])
    elif turn.asked(slot):
        ex.reject("utter_unknown_city")


def hotel_name(turn: Turn, ex: Extraction) -> None:
    names = turn.entity_values("hotel_name")
    if names:
        ex.set("hotel_name", names[0])
        return
    if not turn.asked("hotel_name"):
        return
    if turn.says_nothing_more() or turn.answered_yes() is False:
        ex.set("hotel_name", NO_HOTEL)
        # "没有,市中心300以内的" answers the next question too.
        rest = re.split(r"[,，。\s]", turn.clean, maxsplit=1)[1:]
        if rest and rest[0].strip():
            ex.set("hotel_preference", rest[0].strip())
    else:
        ex.set("hotel_name", HOTEL_FILLERS.sub("", turn.clean) or turn.clean)


def confirmation(turn: Turn, ex: Extraction, slot: str) -> None:
    """The answer to the read-back. Any change in the same message means reading back again."""
    if not turn.asked(slot):
        return
    answer = turn.answered_yes()
    if any(key != slot for key in ex.slots) or ex.problems:
        ex.set(slot, None)
    elif answer is True:
        ex.set(slot, True)
    elif answer is False:
        ex.set(slot, None)
        ex.reject("utter_ask_what_to_change")
    else:
        ex.set(slot, None)
        ex.reject("utter_please_answer_yes_no")
