"""Storing a confirmed booking and closing the conversation with the script's last line."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.flows import FLOWS, KEPT_SLOTS, BookingFlow, booking_slots
from bot.hotline.clock import is_workday
from bot.nlu.chinese_time import reference_now
from bot.store.booking import create_booking
from bot.store.database import session_scope

logger = logging.getLogger(__name__)


def store_booking(flow: BookingFlow, tracker: Tracker) -> str:
    """Write the booking as `submitted`; returns its reference number."""
    details = {
        slot: tracker.get_slot(slot)
        for slot in flow.parser.SLOTS
        if slot != flow.confirm_slot and tracker.get_slot(slot) is not None
    }
    with session_scope() as session:
        booking = create_booking(
            session,
            kind=flow.kind,
            sender_id=tracker.sender_id,
            channel=tracker.get_latest_input_channel() or "unknown",
            details=details,
            contact_name=tracker.get_slot("person_name"),
            contact_phone=tracker.get_slot("phone"),
        )
        return booking.reference


def clear_booking_slots(flow: BookingFlow) -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in booking_slots(flow) if slot not in KEPT_SLOTS]


class SubmitBooking(Action, ABC):
    @property
    @abstractmethod
    def flow(self) -> BookingFlow:
        """The booking flow this action serves (a class attribute in each concrete action)."""

    def name(self) -> str:
        return f"action_submit_{self.flow.kind}_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        reference = await asyncio.to_thread(store_booking, self.flow, tracker)
        logger.info("stored %s booking %s", self.flow.kind, reference)
        dispatcher.utter_message(response="utter_booking_reference", reference=reference)
        self.closing(dispatcher)
        return clear_booking_slots(self.flow)

    def closing(self, dispatcher: CollectingDispatcher) -> None:
        dispatcher.utter_message(response=f"utter_{self.flow.kind}_submitted")


class ActionSubmitHotelBooking(SubmitBooking):
    flow = FLOWS["hotel"]


class ActionSubmitMeetingBooking(SubmitBooking):
    flow = FLOWS["meeting"]

    def closing(self, dispatcher: CollectingDispatcher) -> None:
        # Hotels' sales offices close on weekends and holidays: say so now, not on Monday.
        # (The clock's calendar also answers for years chinese-calendar does not know yet.)
        if not is_workday(reference_now().date()):
            dispatcher.utter_message(response="utter_meeting_non_working_day")
        super().closing(dispatcher)


class ActionSubmitFlightBooking(SubmitBooking):
    flow = FLOWS["flight"]
