"""What an operator sends to a user: through the conversation's own channel, inside the
platform's reply window, recorded in the transcript and the delivery log whatever happens."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from bot.channels.registry import NO_PUSH, deliver, sender_for
from bot.channels.sender import Delivery, WindowState
from bot.handoff import live
from bot.handoff.norms import forbidden_phrases
from bot.handoff.queue import note_response, open_request_for
from bot.store.conversation import Message, find_conversation
from bot.store.database import session_scope
from bot.store.operator import Operator

__all__ = ["forbidden_phrases", "reply_window", "send_to_user"]


def _channel_of(sender_id: str) -> str:
    with session_scope() as session:
        conversation = find_conversation(session, sender_id)
        return conversation.channel if conversation is not None else "unknown"


def reply_window(sender_id: str) -> WindowState:
    """Whether a message can reach the user now, until when, and how many are left."""
    channel = _channel_of(sender_id)
    sender = sender_for(channel)
    if sender is None:
        return WindowState(False, reason=NO_PUSH.format(channel=channel))
    return sender.window_state(sender.current_window(sender_id), datetime.now(timezone.utc))


async def send_to_user(
    sender_id: str, text: str, *, operator_id: int | None = None, transcript: bool = True
) -> list[Delivery]:
    """Send `text`; each part's outcome is recorded, a refused one with the reason, and a
    delivered one in the transcript unless it is there already (`transcript=False`: the
    bot's own words, which Rasa's tracker records)."""
    channel = await asyncio.to_thread(_channel_of, sender_id)
    deliveries = await deliver(sender_id, channel, text)
    await asyncio.to_thread(_record, sender_id, deliveries, operator_id, transcript)
    return deliveries


def _record(
    sender_id: str, deliveries: list[Delivery], operator_id: int | None, transcript: bool
) -> None:
    """What the delivery log does not hold: the transcript, the first response, the news."""
    with session_scope() as session:
        conversation = find_conversation(session, sender_id)
        if conversation is None:
            return
        operator = session.get(Operator, operator_id) if operator_id is not None else None
        for delivery in deliveries:
            if delivery.ok and transcript:
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
