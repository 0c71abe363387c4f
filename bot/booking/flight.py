"""Flight booking: real name, ID number, date, cities, one-way or return, and delivery."""

from __future__ import annotations

import re
from typing import Any

from bot.booking import fields
from bot.booking.gazetteer import cities
from bot.booking.stay import END_WORDS
from bot.booking.turn import Extraction, Turn

SLOTS = [
    "departure_city",
    "arrival_city",
    "flight_date",
    "trip_type",
    "return_date",
    "person_name",
    "id_number",
    "phone",
    "delivery",
    "delivery_address",
    "flight_confirmed",
]
ONE_WAY, ROUND_TRIP = "单程", "往返"
COURIER, E_TICKET = "送票上门(当天送票,付款给送票员)", "电子票(机场换登机牌,现场付款)"

ROUND_TRIP_WORDS = re.compile(r"往返|来回|返程|回程|还要回来|再回")
ONE_WAY_WORDS = re.compile(r"单程|不回|不用回|不要回程|只去|单飞")
COURIER_WORDS = re.compile(r"送票|送到|送过来|送上门|上门|快递|配送|第一种|^1$")
E_TICKET_WORDS = re.compile(r"电子票|电子客票|机场|自取|换登机牌|现场付|第二种|^2$")
ADDRESS = re.compile(r"(?:地址|送到|送至|寄到)[是:：]?\s*(?P<address>[^,，。]{4,60})")
# "济南飞上海", "从广州到成都", "北京-三亚": the city before the connector is the departure.
ROUTE_CONNECTOR = re.compile(r"^\s*(?:飞往|飞到|飞|到|去|至|→|->|-|—|～|~)\s*$")


def required_slots(slots: dict[str, Any]) -> list[str]:
    skip = set()
    if slots.get("trip_type") == ONE_WAY:
        skip.add("return_date")
    if slots.get("delivery") == E_TICKET:
        skip.add("delivery_address")
    return [s for s in SLOTS if s not in skip]


def parse(turn: Turn) -> Extraction:
    ex = Extraction()
    _cities(turn, ex)
    _trip_type(turn, ex)
    _dates(turn, ex)
    fields.person_name(turn, ex)
    fields.id_number(turn, ex)
    fields.phone(turn, ex)
    _delivery(turn, ex)
    fields.confirmation(turn, ex, "flight_confirmed")
    return ex


def _cities(turn: Turn, ex: Extraction) -> None:
    departure = turn.entity_values("departure_city")
    arrival = turn.entity_values("arrival_city")
    found = cities().find_all(turn.text)
    if len(found) >= 2 and ROUTE_CONNECTOR.match(turn.text[found[0][1] : found[1][0]]):
        departure, arrival = [found[0][2]], [found[1][2]]
    elif len(found) == 1 and not (departure or arrival):
        start, end, city = found[0]
        before, after = turn.text[max(0, start - 2) : start], turn.text[end : end + 2]
        if re.search(r"从", before) or re.match(r"出发|走|起飞", after):
            departure = [city]
        elif re.search(r"去|到|飞|往", before) or turn.asked("arrival_city"):
            arrival = [city]
        elif turn.asked("departure_city"):
            departure = [city]
    if departure and turn.may_change("departure_city"):
        ex.set("departure_city", departure[0])
    if arrival and turn.may_change("arrival_city"):
        ex.set("arrival_city", arrival[0])
    for slot in ("departure_city", "arrival_city"):
        if turn.asked(slot) and slot not in ex.slots:
            ex.reject("utter_unknown_city")
    ends = [ex.slots.get(slot, turn.slots.get(slot)) for slot in ("departure_city", "arrival_city")]
    if ends[0] and ends[0] == ends[1]:
        just_said = "arrival_city" if "arrival_city" in ex.slots else "departure_city"
        ex.set(just_said, None)
        ex.reject("utter_same_city")


def _trip_type(turn: Turn, ex: Extraction) -> None:
    if ONE_WAY_WORDS.search(turn.text):
        ex.set("trip_type", ONE_WAY)
        ex.set("return_date", None)
    elif ROUND_TRIP_WORDS.search(turn.text):
        ex.set("trip_type", ROUND_TRIP)
    elif turn.asked("trip_type"):
        ex.reject("utter_ask_trip_type_again")


def _dates(turn: Turn, ex: Extraction) -> None:
    """Departure day (with the hour when given) and the return day of a round trip."""
    for mention in turn.times():
        value = mention.value
        if fields.future_day(turn, ex, mention) is None:
            return
        after = turn.text[mention.end_char : mention.end_char + 4]
        if value.is_range:
            ex.set("flight_date", value.start)
            ex.set("return_date", value.end[:10])
            ex.set("trip_type", ROUND_TRIP)
        elif END_WORDS.search(after) or turn.asked("return_date"):
            ex.set("return_date", value.start[:10])
            ex.set("trip_type", ROUND_TRIP)
        else:
            ex.set("flight_date", value.start)
    departure = ex.slots.get("flight_date", turn.slots.get("flight_date"))
    back = ex.slots.get("return_date", turn.slots.get("return_date"))
    if departure and back and back < departure[:10]:
        ex.set("return_date", None)
        ex.reject("utter_invalid_return_before_departure")
    for slot in ("flight_date", "return_date"):
        if turn.asked(slot) and slot not in ex.slots and not ex.problems:
            ex.reject("utter_invalid_date")


def _delivery(turn: Turn, ex: Extraction) -> None:
    if COURIER_WORDS.search(turn.text):
        ex.set("delivery", COURIER)
    elif E_TICKET_WORDS.search(turn.text):
        ex.set("delivery", E_TICKET)
        ex.set("delivery_address", None)
    elif turn.asked("delivery"):
        ex.reject("utter_ask_delivery_again")
    match = ADDRESS.search(turn.text)
    if match:
        ex.set("delivery_address", match.group("address").strip())
    elif turn.asked("delivery_address"):
        if len(turn.clean) >= 4:
            ex.set("delivery_address", turn.clean)
        else:
            ex.reject("utter_invalid_address")


def readback(slots: dict[str, Any]) -> dict[str, str]:
    trip = slots.get("trip_type") or ""
    back = slots.get("return_date")
    return {
        "route": f"{slots.get('departure_city') or ''} → {slots.get('arrival_city') or ''}",
        "date": fields.format_day(slots["flight_date"]) if slots.get("flight_date") else "",
        "trip": f"{trip},{fields.format_day(back)}返回" if trip == ROUND_TRIP and back else trip,
        "name": slots.get("person_name") or "",
        "id_number": slots.get("id_number") or "",
        "phone": slots.get("phone") or "",
        "delivery": slots.get("delivery") or "",
        "address": slots.get("delivery_address") or "—",
    }
