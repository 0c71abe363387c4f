"""The three booking flows as the actions see them: form name, parser module, slots."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from rasa_sdk import Tracker

from bot.booking import flight, hotel, meeting
from bot.booking.turn import Turn
from bot.hotline import intake
from bot.nlu.chinese_time import reference_now

# Slots a parser fills on the side, which no form asks for.
HELPER_SLOTS = ("nights", "pending_room_count")
# Kept after a booking ends so the next booking in the conversation does not ask again.
KEPT_SLOTS = ("person_name", "phone", "service_line")


# Something else said mid-booking: unless the message also answers the form, the rules reply
# to it and the form then asks its question again.
BOOKING_ASIDES = frozenset(
    {
        "out_of_scope",
        "share_media",
        "hotline_suggestion",
        "hotline_request",
        "hotline_help",
        "hotline_complaint",
        "hotline_consult",
        "hotline_praise",
    }
)


@dataclass(frozen=True)
class BookingFlow:
    """A form, the parser that reads its answers, and the intents that are asides in it."""

    kind: str
    form: str
    parser: ModuleType
    asides: frozenset[str] = BOOKING_ASIDES

    @property
    def confirm_slot(self) -> str:
        return f"{self.kind}_confirmed"


FLOWS = {
    "hotel": BookingFlow("hotel", "hotel_form", hotel),
    "meeting": BookingFlow("meeting", "meeting_form", meeting),
    "flight": BookingFlow("flight", "flight_form", flight),
    # A citizen describing the matter often sounds like a new hotline message: not an aside.
    "hotline": BookingFlow("hotline", "hotline_form", intake, frozenset({"out_of_scope"})),
}
FLOW_BY_FORM = {flow.form: flow for flow in FLOWS.values()}


def turn_from(tracker: Tracker) -> Turn:
    message: dict[str, Any] = tracker.latest_message or {}
    return Turn(
        text=message.get("text") or "",
        intent=(message.get("intent") or {}).get("name"),
        entities=message.get("entities") or [],
        requested_slot=tracker.get_slot("requested_slot"),
        slots=dict(tracker.slots),
        now=reference_now(),
    )


def booking_slots(flow: BookingFlow) -> list[str]:
    """Every slot a flow may fill, for storing and for clearing afterwards."""
    return [*flow.parser.SLOTS, *HELPER_SLOTS]
