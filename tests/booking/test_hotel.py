"""The hotel form's understanding of what travellers type."""

from __future__ import annotations

import pytest

from bot.booking import hotel


def test_one_message_answers_dates_nights_and_rooms(turn):
    ex = hotel.parse(turn("下周五入住,住两晚,两间标准间", asked="checkin_date"))
    assert ex.slots["checkin_date"] == "2026-12-04"
    assert ex.slots["checkout_date"] == "2026-12-06"
    assert ex.slots["rooms"] == [{"type": "标准间", "count": 2}]
    assert ex.problems == []


def test_several_room_types_each_with_its_count(turn):
    ex = hotel.parse(turn("大床房一间,标间两间", asked="rooms"))
    assert ex.slots["rooms"] == [{"type": "大床房", "count": 1}, {"type": "标准间", "count": 2}]


def test_range_with_check_in_and_check_out_words(turn):
    ex = hotel.parse(turn("12月3号入住,5号退房", asked="checkin_date"))
    assert (ex.slots["checkin_date"], ex.slots["checkout_date"]) == ("2026-12-03", "2026-12-05")


def test_dotted_range_as_in_the_seed_confirmation(turn):
    ex = hotel.parse(turn("4.1—4.3", asked="checkin_date"))
    assert (ex.slots["checkin_date"], ex.slots["checkout_date"]) == ("2027-04-01", "2027-04-03")


def test_nights_given_before_check_in_fill_check_out_later(turn):
    first = hotel.parse(turn("住三晚", asked="checkout_date"))
    later = hotel.parse(turn("12月10号", asked="checkin_date", nights=first.slots["nights"]))
    assert later.slots["checkout_date"] == "2026-12-13"


def test_correcting_the_room_count_keeps_the_room_type(turn):
    ex = hotel.parse(
        turn("不对,是三间", asked="hotel_confirmed", rooms=[{"type": "大床房", "count": 2}])
    )
    assert ex.slots["rooms"] == [{"type": "大床房", "count": 3}]
    assert ex.slots["hotel_confirmed"] is None  # read back again, not confirmed


def test_count_without_type_asks_for_the_type_and_remembers_the_count(turn):
    ex = hotel.parse(turn("两间", asked="rooms"))
    assert ex.slots["pending_room_count"] == 2
    assert [p.response for p in ex.problems] == ["utter_ask_room_type_for_count"]
    then = hotel.parse(turn("大床房", asked="rooms", pending_room_count=2))
    assert then.slots["rooms"] == [{"type": "大床房", "count": 2}]


@pytest.mark.parametrize("text", ["0间", "零间标准间"])
def test_zero_rooms_is_refused(turn, text):
    ex = hotel.parse(turn(text, asked="rooms"))
    assert "rooms" not in ex.slots
    assert [p.response for p in ex.problems] == ["utter_invalid_room_count"]


def test_check_out_not_after_check_in_is_refused(turn):
    ex = hotel.parse(turn("12月3号退房", asked="checkout_date", checkin_date="2026-12-05"))
    assert ex.slots.get("checkout_date") is None
    assert "utter_invalid_end_before_start" in [p.response for p in ex.problems]


@pytest.mark.parametrize("text", ["昨天", "2026年11月1日", "11月20号"])
def test_a_day_that_has_passed_is_refused(turn, text):
    ex = hotel.parse(turn(text, asked="checkin_date"))
    assert "checkin_date" not in ex.slots
    assert [p.response for p in ex.problems] == ["utter_invalid_date_past"]


def test_an_explicit_year_far_ahead_is_accepted(turn):
    ex = hotel.parse(turn("2027年11月20日入住", asked="checkin_date"))
    assert ex.slots["checkin_date"] == "2027-11-20"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("18:00前", "18:00"), ("晚上八点左右", "20:00"), ("下午两点半到", "14:30")],
)
def test_latest_arrival_time(turn, text, expected):
    assert hotel.parse(turn(text, asked="arrival_time")).slots["arrival_time"] == expected


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("不要早餐", None, "不含早餐"),
        ("含双早", None, "含早餐(双早)"),
        ("要", "affirm", "含早餐"),
        ("不用了", "deny", "不含早餐"),
    ],
)
def test_breakfast(turn, text, intent, expected):
    assert hotel.parse(turn(text, asked="breakfast", intent=intent)).slots["breakfast"] == expected


def test_no_hotel_in_mind_with_wishes_in_the_same_breath(turn):
    ex = hotel.parse(turn("没有,市中心300以内的", asked="hotel_name"))
    assert ex.slots["hotel_name"] == hotel.NO_HOTEL
    assert ex.slots["hotel_preference"] == "市中心300以内的"
    assert "hotel_preference" in hotel.required_slots({"hotel_name": hotel.NO_HOTEL})
    assert "hotel_preference" not in hotel.required_slots({"hotel_name": "如家"})


def test_guests_from_a_bare_number_when_asked(turn):
    assert hotel.parse(turn("3", asked="guests")).slots["guests"] == 3
    assert hotel.parse(turn("就我一个", asked="guests")).slots["guests"] == 1


@pytest.mark.parametrize("text", ["12345678901", "1381234567"])
def test_a_number_that_is_not_a_mobile_is_refused(turn, text):
    ex = hotel.parse(turn(text, asked="phone"))
    assert "phone" not in ex.slots
    assert [p.response for p in ex.problems] == ["utter_invalid_phone"]


def test_name_and_mobile_in_one_message(turn):
    ex = hotel.parse(turn("我叫王秀英,电话138 1234 5678", asked="person_name"))
    assert ex.slots["person_name"] == "王秀英"
    assert ex.slots["phone"] == "13812345678"


def test_a_city_inside_later_answers_does_not_move_the_booking(turn):
    ex = hotel.parse(turn("离济南西站近一点", asked="guest_requests", city="青岛"))
    assert "city" not in ex.slots
    assert ex.slots["guest_requests"] == "离济南西站近一点"


def test_readback_formats_what_an_operator_would_say():
    values = hotel.readback(
        {
            "city": "济南",
            "hotel_name": "舜耕山庄",
            "checkin_date": "2026-12-04",
            "checkout_date": "2026-12-06",
            "rooms": [{"type": "商务大床房", "count": 2}],
            "hold_free": True,
        }
    )
    assert values["checkin"] == "12月4日(周五)"
    assert values["nights"] == "2"
    assert values["rooms"] == "商务大床房2间"
    assert values["hold"] == "需要"
