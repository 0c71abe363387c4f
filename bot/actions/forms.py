"""Form validation: each turn is parsed as a whole, so one message can fill several fields."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.conversation import record_handoff
from bot.actions.flows import FLOWS, BookingFlow, turn_from

# Intents after which an unparsed answer is not an error: the question is simply asked again.
PLEASANTRIES = {"greet", "thank", "affirm"}
# Intents that leave the form: the validation rejects the turn so that the rules take over.
INTERRUPTIONS = {"stop", "human_handoff", "EXTERNAL_hand_back"}
# Answers in a row the form could not read before a person is called in.
FAILURES_BEFORE_HANDOFF = 3


class BookingFormValidation(FormValidationAction):
    @property
    @abstractmethod
    def flow(self) -> BookingFlow:
        """The booking flow this action serves (a class attribute in each concrete action)."""

    def name(self) -> str:
        return f"validate_{self.flow.form}"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return self.flow.parser.required_slots(tracker.slots)

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        turn = turn_from(tracker)
        if turn.intent in INTERRUPTIONS:
            return []
        extraction = self.flow.parser.parse(turn)
        if turn.intent in self.flow.asides and not extraction.slots:
            return []
        for problem in extraction.problems:
            dispatcher.utter_message(response=problem.response, **problem.args)
        values: dict[str, Any] = dict(extraction.slots)
        requested = turn.requested_slot
        failures = 0
        if requested and requested not in values:
            nothing_found = not extraction.problems and not extraction.slots
            if nothing_found and turn.intent not in PLEASANTRIES:
                failures = int(tracker.get_slot("failed_turns") or 0) + 1
                await self._not_understood(dispatcher, tracker, failures)
            # Setting the requested slot (to nothing) keeps the form asking instead of
            # rejecting, so a misunderstood answer never drops the booking.
            values[requested] = None
        if failures or tracker.get_slot("failed_turns"):
            values["failed_turns"] = failures % FAILURES_BEFORE_HANDOFF
        return [SlotSet(slot, value) for slot, value in values.items()]

    async def _not_understood(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, failures: int
    ) -> None:
        """Re-ask; after several misses in a row, also queue the conversation for a person
        (the bot keeps asking until one takes it over: nobody is left waiting in silence)."""
        if failures < FAILURES_BEFORE_HANDOFF:
            dispatcher.utter_message(response="utter_not_understood")
            return
        await asyncio.to_thread(record_handoff, tracker, "form_not_understood")
        dispatcher.utter_message(response="utter_handoff_form_failed")

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # The parser validated each value as it found it; pass the turn's values through.
        return [SlotSet(slot, value) for slot, value in tracker.slots_to_validate().items()]


class ValidateHotelForm(BookingFormValidation):
    flow = FLOWS["hotel"]


class ValidateMeetingForm(BookingFormValidation):
    flow = FLOWS["meeting"]


class ValidateFlightForm(BookingFormValidation):
    flow = FLOWS["flight"]


class ValidateHotlineForm(BookingFormValidation):
    flow = FLOWS["hotline"]
