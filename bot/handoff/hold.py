"""The seed's hold rule, adapted to chat: a user waiting for an operator hears from us every
so often (HANDOFF_HOLD_NOTICE_SECONDS, default 120) with their place in the queue.

Notices spend the platform's reply quota (WeChat allows 5 messages per user message), so a
notice is only sent while at least RESERVED_FOR_OPERATOR messages would remain for the
operator's own replies; after that the user hears from the operator, not from the queue.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timedelta

from bot.handoff import queue
from bot.handoff.replies import reply_window, send_to_user
from bot.store.base import utcnow
from bot.store.database import session_scope

DEFAULT_EVERY_SECONDS = 120
RESERVED_FOR_OPERATOR = 2
NOTICE = "您前面还有{position}位,预计等待约{minutes}分钟。我们没有忘记您,请您继续稍候。"


def notice_interval() -> timedelta:
    return timedelta(
        seconds=float(os.environ.get("HANDOFF_HOLD_NOTICE_SECONDS", DEFAULT_EVERY_SECONDS))
    )


def _due(now: datetime) -> list[tuple[int, str, str]]:
    with session_scope() as session:
        notices = []
        for request in queue.due_hold_notices(session, notice_interval(), now):
            minutes = max(1, round(queue.estimated_wait_seconds(session, request) / 60))
            text = NOTICE.format(position=queue.position(session, request), minutes=minutes)
            notices.append((request.id, request.conversation.sender_id, text))
        return notices


def _sent(request_id: int, now: datetime) -> None:
    with session_scope() as session:
        queue.get_request(session, request_id).last_hold_notice_at = now


def _has_room(sender_id: str) -> bool:
    window = reply_window(sender_id)
    return window.open and (window.remaining is None or window.remaining > RESERVED_FOR_OPERATOR)


async def send_hold_notices(now: datetime | None = None) -> int:
    """Tell every user waiting longer than the interval where they stand; how many were told."""
    now = now or utcnow()
    told = 0
    for request_id, sender_id, text in await asyncio.to_thread(_due, now):
        # Marked first: a refused notice is not retried every poll.
        await asyncio.to_thread(_sent, request_id, now)
        if await asyncio.to_thread(_has_room, sender_id):
            deliveries = await send_to_user(sender_id, text)
            told += any(delivery.ok for delivery in deliveries)
    return told
