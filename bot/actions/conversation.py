"""Actions around the forms: session start, cancelling, not understanding, asking for a human."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.flows import FLOW_BY_FORM, FLOWS
from bot.actions.submit import clear_booking_slots
from bot.store.database import session_scope
from bot.store.handoff import request_handoff

SERVICE_LINES = ("travel", "hotline")
DEFAULT_SERVICE_LINE = "travel"


class ActionSessionStart(Action):
    """Starts a session and takes the service line from the channel's metadata."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        metadata = tracker.get_slot("session_started_metadata") or {}
        line = metadata.get("service_line")
        if line not in SERVICE_LINES:
            line = tracker.get_slot("service_line") or DEFAULT_SERVICE_LINE
        # Carry the caller's name and mobile into the new session: never ask twice.
        kept = [
            SlotSet(slot, tracker.get_slot(slot))
            for slot in ("person_name", "phone")
            if tracker.get_slot(slot) is not None
        ]
        return [
            SessionStarted(),
            SlotSet("service_line", line),
            *kept,
            ActionExecuted("action_listen"),
        ]


def record_handoff(tracker: Tracker, reason: str) -> int:
    summary = {
        slot: value
        for slot, value in tracker.slots.items()
        if value is not None and slot not in ("requested_slot", "session_started_metadata")
    }
    with session_scope() as session:
        request = request_handoff(
            session,
            sender_id=tracker.sender_id,
            channel=tracker.get_latest_input_channel() or "unknown",
            reason=reason,
            summary=f"{(tracker.latest_message or {}).get('text') or ''}\n{summary}",
        )
        return request.id


class ActionHumanHandoff(Action):
    """Records the request for an operator, with everything collected so far."""

    def name(self) -> str:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        await asyncio.to_thread(record_handoff, tracker, "user_request")
        dispatcher.utter_message(response="utter_handoff")
        return [ActiveLoop(None), SlotSet("requested_slot", None)]


class ActionRecordHotlineRequest(Action):
    """A hotline matter raised in the middle of a booking: recorded for an operator, and the
    booking goes on (outside a booking, `action_hotline_intake` handles it in full)."""

    def name(self) -> str:
        return "action_record_hotline_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or "hotline"
        await asyncio.to_thread(record_handoff, tracker, intent)
        # Mid-booking the conversation goes on, so no closing line yet.
        during_form = bool(tracker.active_loop.get("name"))
        dispatcher.utter_message(
            response="utter_hotline_recorded_during_form"
            if during_form
            else "utter_hotline_recorded"
        )
        return []


class ActionCancelBooking(Action):
    """ "算了,不订了": stop the form, forget its fields, close politely."""

    def name(self) -> str:
        return "action_cancel_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        flow = FLOW_BY_FORM.get(tracker.active_loop.get("name") or "")
        dispatcher.utter_message(response="utter_booking_cancelled")
        events: list[dict[str, Any]] = [ActiveLoop(None), SlotSet("requested_slot", None)]
        for each in [flow] if flow else FLOWS.values():
            events += clear_booking_slots(each)
        return events


class ActionRephrase(Action):
    """Not understood, or nothing we handle: say so; the second time in a row, hand over to a
    person, as the service norms ask when the bot fails twice."""

    def name(self) -> str:
        return "action_rephrase"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if _previous_bot_action(tracker) == self.name():
            await asyncio.to_thread(record_handoff, tracker, "not_understood")
            dispatcher.utter_message(response="utter_handoff_not_understood")
            return []
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        dispatcher.utter_message(
            response="utter_out_of_scope" if intent == "out_of_scope" else "utter_rephrase"
        )
        return []


def _previous_bot_action(tracker: Tracker) -> str | None:
    """The last action the bot ran before the current user message, listening aside."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                continue
            seen_user = True
        elif seen_user and event.get("event") == "action":
            name = event.get("name")
            if name not in ("action_listen", None):
                return name
    return None
