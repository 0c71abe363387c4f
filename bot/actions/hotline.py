"""The 12345 hotline in chat: each category handled as the seed's part five prescribes.

Out-of-scope matters get guidance and no work order; simple consultations are answered from
the knowledge base; everything else is recorded in one go (asking only for what is missing),
read back, and becomes a work order with a number and a deadline on the working-day clock.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import IntegrityError

from bot.actions.conversation import record_handoff
from bot.actions.flows import FLOWS, booking_slots
from bot.hotline import intake, knowledge, workorders
from bot.hotline.router import Route, route
from bot.store.database import session_scope

INTENT_CATEGORY = {
    "hotline_suggestion": "suggestion",
    "hotline_request": "request",
    "hotline_help": "help",
    "hotline_complaint": "complaint",
    "hotline_consult": "consult",
    "hotline_praise": "praise",
}
# Praise of the hotline itself is recorded and handled directly (直办), not dispatched.
PRAISES_HOTLINE = re.compile(r"热线|话务员|接线员|客服|你们的服务")
ORDER_NUMBER = re.compile(r"GD\d{8}-\d{4}", re.IGNORECASE)
VERDICTS = ("不满意", "基本满意", "满意")
ANSWERED = SlotSet("hotline_next", "answered")


def _latest(tracker: Tracker) -> tuple[str, str | None]:
    message = tracker.latest_message or {}
    return message.get("text") or "", (message.get("intent") or {}).get("name")


class ActionHotlineIntake(Action):
    def name(self) -> str:
        return "action_hotline_intake"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text, intent = _latest(tracker)
        # "不满意,灯还是不亮" sounds like a new complaint, but it answers the follow-up question.
        if await _reply_to_followup(dispatcher, tracker.sender_id, text):
            return [ANSWERED]
        proposal: Route = await asyncio.to_thread(route, text)
        category = INTENT_CATEGORY.get(intent or "", proposal.category)
        if proposal.scope:
            dispatcher.utter_message(
                response="utter_hotline_out_of_scope", guidance=proposal.guidance
            )
            dispatcher.utter_message(response="utter_hotline_closing")
            return []
        if category == "consult":
            found = knowledge.answer(text)
            if found is not None:
                dispatcher.utter_message(response="utter_knowledge_answer", answer=found.answer)
                if found.department and found.contact:
                    dispatcher.utter_message(
                        response="utter_knowledge_contact",
                        department=found.department,
                        contact=found.contact,
                    )
                dispatcher.utter_message(response="utter_hotline_closing_wish")
                return [ANSWERED]
        praises_a_unit = proposal.department and not proposal.needs_review
        if category == "praise" and PRAISES_HOTLINE.search(text) and not praises_a_unit:
            dispatcher.utter_message(response="utter_praise_hotline_thanks")
            await asyncio.to_thread(record_handoff, tracker, "praise_hotline")
            dispatcher.utter_message(response="utter_hotline_closing_wish")
            return [ANSWERED]
        if proposal.urgent:
            await asyncio.to_thread(record_handoff, tracker, "urgent")
            dispatcher.utter_message(response="utter_hotline_urgent")
        dispatcher.utter_message(response="utter_hotline_will_record")
        slots = {
            **intake.opening(text, tracker.get_slot("person_name"), tracker.get_slot("phone")),
            "hotline_category": category,
            "hotline_department": proposal.department,
            "hotline_urgent": proposal.urgent,
            "hotline_route_confidence": proposal.confidence,
            "staff_complaint": intake.is_staff_complaint(category, text),
        }
        # The rules start the hotline form on this slot.
        return [SlotSet(slot, value) for slot, value in slots.items()] + [
            SlotSet("hotline_next", "form")
        ]


# Two citizens confirming at the same moment can be given the same day's next number; the
# unique constraint refuses the second, which simply takes the number after.
NUMBER_ATTEMPTS = 5


def _create(tracker: Tracker) -> workorders.CreatedOrder:
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            return _create_once(tracker)
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _create_once(tracker: Tracker) -> workorders.CreatedOrder:
    slot = tracker.get_slot
    matter = slot("hotline_matter") or ""
    with session_scope() as session:
        return workorders.create_work_order(
            session,
            route=route(matter),  # the matter as confirmed, which the citizen may have edited
            category=slot("hotline_category"),
            sender_id=tracker.sender_id,
            channel=tracker.get_latest_input_channel() or "unknown",
            fields={
                "name": slot("caller_name"),
                "what": matter,
                "where": slot("hotline_place"),
                "when": slot("hotline_time"),
                "contact": slot("hotline_contact"),
                "staff_name": slot("staff_info"),
            },
        )


class ActionSubmitWorkOrder(Action):
    def name(self) -> str:
        return "action_submit_work_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order = await asyncio.to_thread(_create, tracker)
        if order.bound_to:
            dispatcher.utter_message(
                response="utter_work_order_bound", number=order.number, bound_to=order.bound_to
            )
        elif order.urgent:
            dispatcher.utter_message(
                response="utter_work_order_created_urgent", number=order.number
            )
        else:
            dispatcher.utter_message(
                response="utter_work_order_created",
                number=order.number,
                department=order.department or "相关承办单位",
                days=workorders.FINISH_WORKING_DAYS[order.category],
            )
        dispatcher.utter_message(response="utter_hotline_closing_report")
        kept = {"person_name", "phone", "service_line"}
        forget = [s for s in booking_slots(FLOWS["hotline"]) if s not in kept]
        forget += ["hotline_next", "hotline_category", "hotline_department", "hotline_urgent",
                   "hotline_route_confidence", "staff_complaint"]  # fmt: skip
        name = tracker.get_slot("caller_name")
        events: list[dict[str, Any]] = [SlotSet(slot, None) for slot in forget]
        if name and name != intake.ANONYMOUS:
            events.append(SlotSet("person_name", name))
        return events


def _status_lines(sender_id: str, text: str) -> list[dict[str, Any]]:
    """What to tell the citizen about their orders: one message per order, newest first."""
    with session_scope() as session:
        number = ORDER_NUMBER.search(text)
        if number:
            try:
                orders = [workorders.find_order(session, number.group(0))]
            except workorders.OrderNotFound:
                return [{"response": "utter_work_order_not_found", "number": number.group(0)}]
        else:
            orders = workorders.orders_of(session, sender_id, limit=3)
        return [
            {
                "response": "utter_work_order_status",
                "summary": workorders.order_summary(order),
                "history": "\n".join(workorders.order_history(session, order.number)),
            }
            for order in orders
        ]


class ActionCheckWorkOrder(Action):
    """ "我的工单" or a work order number: the order's status and history."""

    def name(self) -> str:
        return "action_check_work_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text, _ = _latest(tracker)
        messages = await asyncio.to_thread(_status_lines, tracker.sender_id, text)
        if not messages:
            dispatcher.utter_message(response="utter_no_work_orders")
        for message in messages:
            dispatcher.utter_message(**message)
        return []


def _answer_followup(sender_id: str, text: str) -> tuple[str, str] | None:
    verdict = next((v for v in VERDICTS if v in text), None)
    if verdict is None:
        return None
    with session_scope() as session:
        try:
            order = workorders.record_satisfaction(session, sender_id, verdict)
        except workorders.NoPendingFollowUp:
            return None
        return verdict, order.number


async def _reply_to_followup(dispatcher: CollectingDispatcher, sender_id: str, text: str) -> bool:
    """Record the citizen's verdict if a follow-up question awaits one; whether it did."""
    answered = await asyncio.to_thread(_answer_followup, sender_id, text)
    if answered is None:
        return False
    verdict, number = answered
    if verdict == "不满意":
        dispatcher.utter_message(response="utter_followup_reopened", number=number)
    else:
        dispatcher.utter_message(response="utter_followup_thanks")
    return True


class ActionReplyOutsideForm(Action):
    """A yes, a no, a value or thanks with no form running: the answer to a follow-up (回访)
    question if one is pending, else thanks or the offer of what we can do."""

    def name(self) -> str:
        return "action_reply_outside_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text, intent = _latest(tracker)
        if await _reply_to_followup(dispatcher, tracker.sender_id, text):
            return []
        dispatcher.utter_message(
            response="utter_you_are_welcome" if intent == "thank" else "utter_how_can_i_help"
        )
        return []
