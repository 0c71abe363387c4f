"""回访 in chat: the department's reply goes to the citizen with the satisfaction question;
when chat cannot reach them, or they do not answer in time, an operator phones instead."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.channels.registry import deliver
from bot.hotline import texts, workorders
from bot.hotline.clock import add_working_days, aware
from bot.store.workorder import CallbackTask, WorkOrder

# The seed allows 3 working days for 回访; waiting one for a chat answer leaves the operator
# two to phone.
CHAT_ANSWER_WORKING_DAYS = 1


async def ask_for_verdict(session: Session, order: WorkOrder, now: datetime) -> None:
    text = texts.FOLLOWUP_QUESTION.format(
        number=order.number, department=order.department or "承办单位", reply=order.reply
    )
    deliveries = await deliver(order.sender_id, order.channel, text)
    refusal = next((d.reason or d.status for d in deliveries if not d.ok), None)
    if refusal is not None:
        reason = texts.FOLLOWUP_NO_CHAT.format(channel=order.channel, reason=refusal)
        workorders.mark_followed_up(session, order, now, callback_reason=reason)
        return
    workorders.mark_followed_up(session, order, now)
    answer_by = min(add_working_days(now, CHAT_ANSWER_WORKING_DAYS), aware(order.followup_due))
    workorders.schedule(session, order, "followup_timeout", answer_by)


def no_answer(session: Session, order: WorkOrder, now: datetime) -> None:
    """The chat answer window passed without a verdict: phone, unless a call is already due."""
    waiting = session.execute(
        select(CallbackTask.id).where(
            CallbackTask.order_id == order.id, CallbackTask.status == "open"
        )
    ).first()
    if waiting is None:
        workorders.call_back(session, order, texts.FOLLOWUP_NO_ANSWER, now)
