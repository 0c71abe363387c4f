"""What an operator sends to a user: through the conversation's own channel, inside the
platform's reply window, recorded in the transcript and the delivery log whatever happens."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from bot.channels.registry import sender_for
from bot.channels.sender import ChannelSender, Delivery, WindowState
from bot.handoff import live
from bot.handoff.norms import forbidden_phrases
from bot.handoff.queue import note_response, open_request_for
from bot.store.conversation import Message, find_conversation
from bot.store.database import session_scope
from bot.store.operator import Operator
from bot.store.outbound import record_outbound

__all__ = ["forbidden_phrases", "reply_window", "send_to_user"]

NO_PUSH = "该渠道({channel})不支持主动发送消息,用户下次发言时才能看到回复"


def _channel_of(sender_id: str) -> str:
    with session_scope() as session:
        conversation = find_conversation(session, sender_id)
        return conversation.channel if conversation is not None else "unknown"


def reply_window(sender_id: str) -> WindowState:
    """Whether a message can reach the user now, until when, and how many are left."""
    sender = sender_for(_channel_of(sender_id))
    if sender is None:
        return WindowState(False, reason=NO_PUSH.format(channel=_channel_of(sender_id)))
    return sender.window_state(sender.current_window(sender_id), datetime.now(timezone.utc))


async def send_to_user(
    sender_id: str, text: str, *, operator_id: int | None = None
) -> list[Delivery]:
    """Send `text`; each part's outcome is recorded, a refused one with the reason."""
    channel = await asyncio.to_thread(_channel_of, sender_id)
    sender: ChannelSender | None = await asyncio.to_thread(sender_for, channel)
    if sender is not None:
        deliveries = await sender.send(sender_id, text)
    else:
        deliveries = [Delivery("refused", text, reason=NO_PUSH.format(channel=channel))]
    await asyncio.to_thread(_record, sender_id, channel, deliveries, operator_id, sender is None)
    return deliveries


def _record(
    sender_id: str,
    channel: str,
    deliveries: list[Delivery],
    operator_id: int | None,
    unrecorded: bool,
) -> None:
    with session_scope() as session:
        conversation = find_conversation(session, sender_id)
        if conversation is None:
            return
        operator = session.get(Operator, operator_id) if operator_id is not None else None
        for delivery in deliveries:
            if unrecorded:  # a channel sender records its own attempts
                record_outbound(
                    session,
                    sender_id=sender_id,
                    channel=channel,
                    text=delivery.text,
                    status=delivery.status,
                    reason=delivery.reason,
                )
            if delivery.ok:
                session.add(
                    Message(
                        conversation_id=conversation.id,
                        direction="out",
                        text=delivery.text,
                        author=operator.username if operator else None,
                    )
                )
        request = open_request_for(session, sender_id)
        if operator is not None and request is not None and any(d.ok for d in deliveries):
            note_response(session, request)
        live.announce_conversation(session, sender_id)
