"""The 12345 hotline in chat: each category handled as the seed's part five prescribes.

Out-of-scope matters get guidance and no work order; simple consultations are answered from
the knowledge base; simple requests get the responsible unit's number (and can still become a
work order when the citizen asks); unreasonable suggestions are declined politely, recorded and
closed by the hotline (直办); complaints about staff attitude go to the county's unit or the
hotline's office; everything else is recorded in one go (asking only for what is missing),
read back, and becomes a work order with a number and a deadline on the working-day clock.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import IntegrityError

from bot.actions.conversation import previous_bot_action, record_handoff
from bot.actions.flows import FLOWS, booking_slots
from bot.hotline import intake, knowledge, texts, workorders
from bot.hotline.direct import handle_directly
from bot.hotline.router import Route, route
from bot.hotline.staff import for_staff_complaint
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
# Answered at once. A referral (简单诉求) also keeps the matter, in case the citizen then asks
# for a work order after all; every other answer forgets any earlier one's.
ANSWERED = SlotSet("hotline_next", "answered")
FORGET_REFERRAL = SlotSet("hotline_matter", None)
# "需要" is read as affirm; these words ask for the work order whatever the intent.
WANTS_RECORD = re.compile(r"登记|立案|工单|派单|转办|转交|帮我反映|记录")
STATUS_QUERY = re.compile(r"查|进度|进展|状态|到哪|怎么样了")
SHORT_REPLY = 30  # characters: a longer message is a new matter, not an answer to the offer


def _latest(tracker: Tracker) -> tuple[str, str | None]:
    message = tracker.latest_message or {}
    return message.get("text") or "", (message.get("intent") or {}).get("name")


def _referral_pending(tracker: Tracker) -> bool:
    """The bot's last turn gave a unit's number for a request, and offered a work order."""
    return (
        tracker.get_slot("hotline_next") == "answered"
        and bool(tracker.get_slot("hotline_matter"))
        and previous_bot_action(tracker) == "action_hotline_intake"
    )


def _record_referred_matter(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The citizen wants the work order after all: the hotline form, on the matter they gave."""
    dispatcher.utter_message(response="utter_hotline_will_record")
    matter = tracker.get_slot("hotline_matter")
    slots = intake.opening(matter, tracker.get_slot("person_name"), tracker.get_slot("phone"))
    return [SlotSet(slot, value) for slot, value in slots.items()] + [
        SlotSet("hotline_next", "form")
    ]


def _refer(
    dispatcher: CollectingDispatcher, text: str, proposal: Route, found: knowledge.KnowledgeAnswer
) -> list[EventType]:
    """A simple request: the answer and the unit's number, and the offer of a work order."""
    dispatcher.utter_message(response="utter_knowledge_answer", answer=found.answer)
    dispatcher.utter_message(
        response="utter_knowledge_contact", department=found.department, contact=found.contact
    )
    dispatcher.utter_message(text=texts.REFERRAL_OFFER.format(department=found.department))
    remembered = {
        "hotline_matter": text.strip(),
        "hotline_category": "request",
        "hotline_department": found.department,
        "hotline_urgent": False,
        "hotline_route_confidence": proposal.confidence,
        "staff_complaint": False,
    }
    return [SlotSet(slot, value) for slot, value in remembered.items()] + [ANSWERED]


def _settle_directly(
    tracker: Tracker, text: str, proposal: Route, category: str, handling: str
) -> str:
    """Record the matter as a work order the hotline closes itself (直办); its number."""
    with session_scope() as session:
        order = handle_directly(
            session,
            route=proposal,
            category=category,
            fields={
                "name": tracker.get_slot("person_name") or intake.NOT_GIVEN,
                "what": text.strip(),
                "contact": tracker.get_slot("phone"),
            },
            channel=tracker.get_latest_input_channel() or "unknown",
            sender_id=tracker.sender_id,
            handling=handling,
        )
        return order.number


class ActionHotlineIntake(Action):
    def name(self) -> str:
        return "action_hotline_intake"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text, intent = _latest(tracker)
        # "不满意,灯还是不亮" sounds like a new complaint, but it answers the follow-up question.
        if await _reply_to_followup(dispatcher, tracker.sender_id, text):
            return [ANSWERED, FORGET_REFERRAL]
        # "还是帮我登记一下吧" after a unit's number was given: the matter given then.
        if _referral_pending(tracker) and WANTS_RECORD.search(text) and len(text) <= SHORT_REPLY:
            return _record_referred_matter(dispatcher, tracker)
        proposal: Route = await asyncio.to_thread(route, text)
        category = INTENT_CATEGORY.get(intent or "", proposal.category)
        if proposal.scope:
            dispatcher.utter_message(
                response="utter_hotline_out_of_scope", guidance=proposal.guidance
            )
            dispatcher.utter_message(response="utter_hotline_closing")
            return [ANSWERED, FORGET_REFERRAL]
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
                return [ANSWERED, FORGET_REFERRAL]
        if category == "request" and not proposal.urgent:
            found = await asyncio.to_thread(knowledge.referral, text)
            if found is not None:
                return _refer(dispatcher, text, proposal, found)
        if category == "suggestion":
            declined = knowledge.unreasonable_suggestion(text)
            if declined is not None:
                dispatcher.utter_message(text=declined.answer)
                handling = texts.DIRECT_HANDLING.format(answer=declined.answer)
                number = await asyncio.to_thread(
                    _settle_directly, tracker, text, proposal, "suggestion", handling
                )
                dispatcher.utter_message(text=texts.SUGGESTION_RECORDED.format(number=number))
                dispatcher.utter_message(response="utter_hotline_closing_wish")
                return [ANSWERED, FORGET_REFERRAL]
        praises_a_unit = proposal.department and not proposal.needs_review
        if category == "praise" and PRAISES_HOTLINE.search(text) and not praises_a_unit:
            dispatcher.utter_message(response="utter_praise_hotline_thanks")
            await asyncio.to_thread(
                _settle_directly, tracker, text, proposal, "praise", texts.PRAISE_HANDLING
            )
            dispatcher.utter_message(response="utter_hotline_closing_wish")
            return [ANSWERED, FORGET_REFERRAL]
        staff_complaint = intake.is_staff_complaint(category, text)
        if staff_complaint:
            proposal = await asyncio.to_thread(for_staff_complaint, proposal, text)
        if proposal.urgent:
            await asyncio.to_thread(record_handoff, tracker, "urgent", True)
            dispatcher.utter_message(response="utter_hotline_urgent")
        dispatcher.utter_message(response="utter_hotline_will_record")
        slots = {
            **intake.opening(text, tracker.get_slot("person_name"), tracker.get_slot("phone")),
            "hotline_category": category,
            "hotline_department": proposal.department,
            "hotline_urgent": proposal.urgent,
            "hotline_route_confidence": proposal.confidence,
            "staff_complaint": staff_complaint,
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
    proposal = route(matter)  # the matter as confirmed, which the citizen may have edited
    fields = {
        "name": slot("caller_name"),
        "what": matter,
        "where": slot("hotline_place"),
        "when": slot("hotline_time"),
        "contact": slot("hotline_contact"),
    }
    if slot("staff_complaint"):
        # staff_name: what the citizen said of the staff member (name, number, description).
        fields |= {
            "staff_name": slot("staff_info"),
            "staff_number": intake.staff_number(slot("staff_info")),
            "staff_unit": proposal.department,
        }
        proposal = for_staff_complaint(proposal, matter)
    with session_scope() as session:
        return workorders.create_work_order(
            session,
            route=proposal,
            category=slot("hotline_category"),
            sender_id=tracker.sender_id,
            channel=tracker.get_latest_input_channel() or "unknown",
            fields=fields,
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
        # "登记工单" right after a unit's number was given asks for the order, not its status.
        wants_record = WANTS_RECORD.search(text) and not STATUS_QUERY.search(text)
        if wants_record and _referral_pending(tracker):
            return [*_record_referred_matter(dispatcher, tracker), FollowupAction("hotline_form")]
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
    question if one is pending, or to the offer of a work order after a unit's number was
    given, else thanks or the offer of what we can do."""

    def name(self) -> str:
        return "action_reply_outside_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text, intent = _latest(tracker)
        if await _reply_to_followup(dispatcher, tracker.sender_id, text):
            return []
        if _referral_pending(tracker):
            if intent == "affirm" or (intent != "deny" and WANTS_RECORD.search(text)):
                return [
                    *_record_referred_matter(dispatcher, tracker),
                    FollowupAction("hotline_form"),
                ]
            if intent in ("deny", "thank"):
                dispatcher.utter_message(response="utter_hotline_closing_wish")
                return [FORGET_REFERRAL]
        dispatcher.utter_message(
            response="utter_you_are_welcome" if intent == "thank" else "utter_how_can_i_help"
        )
        return []
