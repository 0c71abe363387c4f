"""The hold rule in chat: a waiting user hears their place in the queue every so often."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.channels.webchat import pushes
from bot.handoff import queue
from bot.handoff.hold import send_hold_notices
from bot.store.base import utcnow
from bot.store.database import session_scope


def waiting(sender: str, channel: str = "webchat") -> None:
    with session_scope() as session:
        queue.escalate(session, sender_id=sender, channel=channel, reason="user_request")


@pytest.mark.asyncio
async def test_a_waiting_user_is_told_their_place_once_per_interval(database, monkeypatch):
    monkeypatch.setenv("HANDOFF_HOLD_NOTICE_SECONDS", "120")
    waiting("web-first")
    waiting("web-second")
    now = utcnow()
    assert await send_hold_notices(now) == 0  # nobody has waited two minutes yet
    later = now + timedelta(minutes=2, seconds=1)
    assert await send_hold_notices(later) == 2
    [notice] = pushes("web-second", after=0)
    assert notice["text"].startswith("您前面还有2位,预计等待约")
    assert "我们没有忘记您" in notice["text"]
    assert await send_hold_notices(later + timedelta(seconds=30)) == 0
    assert await send_hold_notices(later + timedelta(minutes=2)) == 2


@pytest.mark.asyncio
async def test_claimed_requests_get_no_hold_notices(database):
    waiting("web-claimed")
    with session_scope() as session:
        [request] = queue.waiting(session)
        request.status = "claimed"
    assert await send_hold_notices(utcnow() + timedelta(hours=1)) == 0
