"""The meeting form's understanding of a 会议需求登记表 given in chat."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.submit import ActionSubmitMeetingBooking
from bot.booking import meeting


def test_an_opening_message_with_city_type_and_size(turn):
    ex = meeting.parse(turn("我们公司下个月想在青岛开个年会,大概80人,要投影和话筒"))
    assert ex.slots["city"] == "青岛"
    assert ex.slots["meeting_type"] == "年会"
    assert ex.slots["attendees"] == 80
    assert ex.slots["meeting_requirements"] == "要投影和话筒"


def test_meeting_over_several_days(turn):
    ex = meeting.parse(turn("12月18号到19号", asked="meeting_date"))
    assert ex.slots["meeting_date"] == "2026-12-18/2026-12-19"
    assert meeting.readback({"meeting_date": ex.slots["meeting_date"]})["date"] == (
        "12月18日(周五)至12月19日(周六)"
    )


def test_guest_rooms_or_none(turn):
    assert meeting.parse(turn("需要40间客房", asked="meeting_rooms")).slots["meeting_rooms"] == 40
    assert meeting.parse(turn("不需要住宿", asked="meeting_rooms")).slots["meeting_rooms"] == 0
    assert (
        meeting.parse(turn("不用", asked="meeting_rooms", intent="deny")).slots["meeting_rooms"]
        == 0
    )


def test_budget_in_the_customers_words(turn):
    ex = meeting.parse(turn("预算每人每天300元左右,含午餐"))
    assert ex.slots["meeting_budget"] == "预算每人每天300元左右"


def test_free_text_answer_when_asked(turn):
    ex = meeting.parse(turn("课桌式摆台,要横幅", asked="meeting_requirements"))
    assert ex.slots["meeting_requirements"] == "课桌式摆台,要横幅"
    assert (
        meeting.parse(turn("没有", asked="meeting_requirements")).slots["meeting_requirements"]
        == "无特别要求"
    )


def test_zero_attendees_is_refused(turn):
    ex = meeting.parse(turn("0人", asked="attendees"))
    assert "attendees" not in ex.slots
    assert [p.response for p in ex.problems] == ["utter_invalid_attendees"]


@pytest.mark.parametrize(
    ("now", "closed"),
    [
        ("2026-11-26T10:00", False),  # a Thursday
        ("2026-10-01T10:00", True),  # National Day, a Thursday
        ("2026-11-28T10:00", True),  # a Saturday
        # Past the years chinese-calendar knows: weekdays count as working days, and a
        # meeting booked then is still closed, not failed.
        ("2027-01-06T10:00", False),
        ("2027-01-09T10:00", True),
    ],
)
def test_a_meeting_booked_on_a_rest_day_is_told_the_sales_office_is_closed(
    now, closed, monkeypatch
):
    monkeypatch.setenv("BOT_NOW", now)
    dispatcher = CollectingDispatcher()
    ActionSubmitMeetingBooking().closing(dispatcher)
    said = [m["response"] for m in dispatcher.messages]
    expected = ["utter_meeting_non_working_day"] if closed else []
    assert said == [*expected, "utter_meeting_submitted"]
