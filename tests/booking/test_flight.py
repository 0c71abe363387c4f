"""The flight form: route, dates, real name, GB 11643 ID number and delivery."""

from __future__ import annotations

import pytest

from bot.booking import flight
from bot.nlu.identifiers import id_check_digit

# Month 13, but a correct check digit: only the birth date is wrong.
BAD_BIRTH_DATE = "11010519491331002" + id_check_digit("11010519491331002")


def test_route_and_date_in_one_request(turn):
    ex = flight.parse(turn("订一张12月3号北京飞上海的机票"))
    assert (ex.slots["departure_city"], ex.slots["arrival_city"]) == ("北京", "上海")
    assert ex.slots["flight_date"] == "2026-12-03"


def test_departure_time_is_kept_with_the_date(turn):
    ex = flight.parse(turn("明天上午9点从广州到成都"))
    assert ex.slots["flight_date"] == "2026-11-27T09:00"
    assert (ex.slots["departure_city"], ex.slots["arrival_city"]) == ("广州", "成都")


def test_round_trip_with_return_day(turn):
    ex = flight.parse(turn("往返,5号回来", asked="trip_type", flight_date="2026-12-03"))
    assert ex.slots["trip_type"] == flight.ROUND_TRIP
    assert ex.slots["return_date"] == "2026-12-05"


def test_one_way_skips_the_return_date(turn):
    ex = flight.parse(turn("单程", asked="trip_type"))
    assert ex.slots["trip_type"] == flight.ONE_WAY
    assert "return_date" not in flight.required_slots({"trip_type": flight.ONE_WAY})


def test_return_before_departure_is_refused(turn):
    ex = flight.parse(turn("12月1号回来", asked="return_date", flight_date="2026-12-03"))
    assert ex.slots.get("return_date") is None
    assert "utter_invalid_return_before_departure" in [p.response for p in ex.problems]


def test_valid_id_number(turn):
    ex = flight.parse(turn("身份证11010519491231002x", asked="id_number"))
    assert ex.slots["id_number"] == "11010519491231002X"


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("110105194912310021", "utter_invalid_id_check_digit"),
        (BAD_BIRTH_DATE, "utter_invalid_id_birth_date"),
        ("1101051949123100", "utter_invalid_id_length"),
    ],
)
def test_invalid_id_numbers_say_what_is_wrong(turn, text, response):
    ex = flight.parse(turn(text, asked="id_number"))
    assert "id_number" not in ex.slots
    assert [p.response for p in ex.problems] == [response]


def test_courier_delivery_with_address_and_e_ticket(turn):
    ex = flight.parse(turn("送票,地址是历下区泉城路1号", asked="delivery"))
    assert ex.slots["delivery"] == flight.COURIER
    assert ex.slots["delivery_address"] == "历下区泉城路1号"
    e_ticket = flight.parse(turn("2", asked="delivery"))
    assert e_ticket.slots["delivery"] == flight.E_TICKET
    assert "delivery_address" not in flight.required_slots({"delivery": flight.E_TICKET})


def test_a_city_in_the_address_does_not_change_the_route(turn):
    ex = flight.parse(
        turn(
            "朝阳区建国路88号",
            asked="delivery_address",
            departure_city="北京",
            arrival_city="上海",
        )
    )
    assert "departure_city" not in ex.slots and "arrival_city" not in ex.slots
    assert ex.slots["delivery_address"] == "朝阳区建国路88号"


def test_same_city_both_ends_is_refused(turn):
    ex = flight.parse(turn("上海", asked="arrival_city", departure_city="上海"))
    assert ex.slots.get("arrival_city") is None
    assert "utter_same_city" in [p.response for p in ex.problems]
