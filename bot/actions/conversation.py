"""Actions around the forms: session start, cancelling, not understanding, asking for a human."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    EventType,
    FollowupAction,
    SessionStarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.flows import FLOW_BY_FORM, FLOWS
from bot.actions.submit import clear_booking_slots
from bot.handoff import queue
from bot.handoff.hours import next_shift_opens, on_shift
from bot.nlu.chinese_time import reference_now
from bot.service_lines import DEFAULT_SERVICE_LINE, known_service_line
from bot.store.database import session_scope


@dataclass(frozen=True)
class Escalation:
    in_hours: bool
    position: int | None = None
    wait_minutes: int | None = None
    opens_at: datetime | None = None


class ActionSessionStart(Action):
    """Starts a session and takes the service line from the channel's metadata."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        metadata = tracker.get_slot("session_started_metadata") or {}
        line = known_service_line(metadata.get("service_line"))
        if line is None:
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


def _summary(tracker: Tracker) -> str:
    collected = {
        slot: value
        for slot, value in tracker.slots.items()
        if value is not None and slot not in ("requested_slot", "session_started_metadata")
    }
    return f"{(tracker.latest_message or {}).get('text') or ''}\n{collected}"


def _category(tracker: Tracker) -> str | None:
    form = tracker.active_loop.get("name")
    if form in FLOW_BY_FORM:
        return FLOW_BY_FORM[form].kind
    return tracker.get_slot("hotline_category")


def record_handoff(tracker: Tracker, reason: str, urgent: bool = False) -> Escalation:
    """Queue the conversation for an operator (or file it for the next shift)."""
    line = tracker.get_slot("service_line") or DEFAULT_SERVICE_LINE
    now = reference_now()  # the clock, or BOT_NOW in tests and evaluations
    in_hours = on_shift(line, now)
    with session_scope() as session:
        request = queue.escalate(
            session,
            sender_id=tracker.sender_id,
            channel=tracker.get_latest_input_channel() or "unknown",
            reason=reason,
            summary=_summary(tracker),
            service_line=line,
            category=_category(tracker),
            urgent=urgent,
            in_hours=in_hours,
        )
        if not in_hours:
            return Escalation(False, opens_at=next_shift_opens(line, now))
        return Escalation(
            True,
            position=queue.position(session, request),
            wait_minutes=max(1, round(queue.estimated_wait_seconds(session, request) / 60)),
        )


def hand_over(
    dispatcher: CollectingDispatcher, tracker: Tracker, escalation: Escalation
) -> list[EventType]:
    """Tell the user where they stand. On shift, the bot goes quiet (Rasa's pause) until an
    operator hands the conversation back, remembering the form to continue then. Off shift,
    the bot carries on with the form so the next shift finds the request complete."""
    form = tracker.active_loop.get("name")
    if not escalation.in_hours:
        opens = escalation.opens_at
        dispatcher.utter_message(
            response="utter_handoff_out_of_hours",
            opens=f"{opens:%m月%d日 %H:%M}" if opens else "下一个工作日",
        )
        return [FollowupAction(form)] if form else []
    dispatcher.utter_message(
        response="utter_handoff_queued",
        position=escalation.position,
        wait_minutes=escalation.wait_minutes,
    )
    # The form stops with the bot; the hand-back starts it again where it was. Rasa stops
    # predicting once paused, so the listen it would have predicted is recorded here: the
    # hand-back's rule starts from a listening bot.
    return [
        SlotSet("paused_form", form),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        ConversationPaused(),
        ActionExecuted("action_listen"),
    ]


class ActionHumanHandoff(Action):
    """Queues the conversation for an operator, with everything collected so far."""

    def name(self) -> str:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        escalation = await asyncio.to_thread(record_handoff, tracker, "user_request")
        dispatcher.utter_message(response="utter_handoff")
        return hand_over(dispatcher, tracker, escalation)


class ActionHandBack(Action):
    """An operator returned the conversation (EXTERNAL_hand_back, sent by the console):
    continue the form the handoff paused, with the operator's corrections already set."""

    def name(self) -> str:
        return "action_hand_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # A form still running was queued without pausing (it kept failing to understand).
        form = tracker.get_slot("paused_form") or tracker.active_loop.get("name")
        if not form:
            dispatcher.utter_message(response="utter_handed_back")
            return []
        dispatcher.utter_message(response="utter_handed_back_to_form")
        return [SlotSet("paused_form", None), FollowupAction(form)]


class ActionMediaReceived(Action):
    """A picture or voice the bot cannot read: queued for a person to look at, while the bot
    carries on (it pauses only once an operator takes the conversation)."""

    def name(self) -> str:
        return "action_media_received"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        await asyncio.to_thread(record_handoff, tracker, "share_media")
        dispatcher.utter_message(response="utter_media_received")
        return []


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
        if previous_bot_action(tracker) == self.name():
            escalation = await asyncio.to_thread(record_handoff, tracker, "not_understood")
            dispatcher.utter_message(response="utter_handoff_not_understood")
            return hand_over(dispatcher, tracker, escalation)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        dispatcher.utter_message(
            response="utter_out_of_scope" if intent == "out_of_scope" else "utter_rephrase"
        )
        return []


def previous_bot_action(tracker: Tracker) -> str | None:
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
