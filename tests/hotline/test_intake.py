"""What a citizen's messages give a work order: asked only for what is missing."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.booking.turn import Turn
from bot.hotline import intake
from bot.nlu.chinese_time import SHANGHAI

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)


def turn(text: str, asked: str | None = None, **slots) -> Turn:
    return Turn(text=text, requested_slot=asked, slots=slots, now=NOW)


@pytest.mark.parametrize(
    ("text", "place", "time"),
    [
        ("滨江路阳光小区北门的路灯坏了一个多月了", "滨江路阳光小区北门", "一个多月了"),
        ("昨天晚上十点人民路有人烧垃圾", "人民路", "昨天晚上十点"),
        ("建议在河东新区多设几个公交站", "河东新区", None),
        ("城北菜市场门口井盖丢了", "城北菜市场门口", None),
    ],
)
def test_the_first_message_gives_place_and_time_when_it_names_them(text, place, time):
    slots = intake.opening(text, None, None)
    assert slots["hotline_matter"] == text
    assert slots.get("hotline_place") == place
    assert slots.get("hotline_time") == time


def test_an_unnamed_place_is_asked_for():
    assert "hotline_place" not in intake.opening("我们小区门口的路灯坏了好几天了", None, None)


def test_name_and_phone_already_known_are_not_asked_again():
    slots = intake.opening("路灯坏了", "张三", "13812345678")
    assert (slots["caller_name"], slots["hotline_contact"]) == ("张三", "13812345678")


def test_anonymity_and_a_refused_contact_are_recorded_as_such():
    assert intake.parse(turn("匿名吧", asked="caller_name")).slots["caller_name"] == "匿名"
    ex = intake.parse(turn("不方便留电话", asked="hotline_contact"))
    assert ex.slots["hotline_contact"] == intake.NOT_GIVEN


def test_a_valid_contact_number_is_remembered_for_the_conversation():
    ex = intake.parse(turn("13912345678", asked="hotline_contact"))
    assert ex.slots["hotline_contact"] == ex.slots["phone"] == "13912345678"


def test_a_staff_attitude_complaint_asks_for_the_staff_member():
    text = "社保局窗口的工作人员态度很差,问两句就不耐烦"
    assert intake.is_staff_complaint("complaint", text)
    assert "staff_info" in intake.required_slots({"staff_complaint": True})
    assert "staff_info" not in intake.required_slots({"staff_complaint": False})
    ex = intake.parse(turn("工号A1023,姓刘", asked="caller_name"))
    assert ex.slots["staff_info"] == "工号A1023"


def test_suggestions_and_praise_have_no_scene_to_ask_about():
    required = intake.required_slots({"hotline_category": "suggestion"})
    assert "hotline_place" not in required and "hotline_time" not in required
