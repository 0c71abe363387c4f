"""An operator's reply goes out on the user's channel, or says why it cannot; both recorded."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.channels.sender import ReplyWindow
from bot.channels.webchat import pushes
from bot.channels.wechat import WeChatSender
from bot.handoff import queue
from bot.handoff.replies import reply_window, send_to_user
from bot.store.conversation import Message, get_or_create_conversation
from bot.store.database import session_scope
from bot.store.operator import Operator
from bot.store.outbound import OutboundMessage


def conversation(sender: str, channel: str) -> None:
    with session_scope() as session:
        get_or_create_conversation(session, sender, channel)


def operator() -> int:
    with session_scope() as session:
        person = Operator(username="lujing", display_name="路静", password_hash="x")
        session.add(person)
        session.flush()
        return person.id


@pytest.mark.asyncio
async def test_a_reply_to_the_web_chat_reaches_its_page(database):
    conversation("web-1", "webchat")
    with session_scope() as session:
        request_id = queue.escalate(
            session, sender_id="web-1", channel="webchat", reason="user_request"
        ).id
    person = operator()
    with session_scope() as session:
        queue.claim(session, request_id, person)
    [delivery] = await send_to_user("web-1", "您好,我是人工客服路静,请讲。", operator_id=person)
    assert delivery.ok
    [push] = pushes("web-1", after=0)
    assert push["text"] == "您好,我是人工客服路静,请讲。"
    assert pushes("web-1", after=push["id"]) == []
    with session_scope() as session:
        [message] = session.execute(select(Message)).scalars()
        assert (message.direction, message.author) == ("out", "lujing")
        assert queue.get_request(session, request_id).first_response_at is not None


@pytest.mark.asyncio
async def test_a_channel_that_cannot_push_refuses_with_a_reason_and_keeps_the_text(database):
    conversation("rest-1", "rest")
    assert not reply_window("rest-1").open
    [delivery] = await send_to_user("rest-1", "您好,请问还在吗?")
    assert delivery.status == "refused" and "不能主动发送" in delivery.reason
    with session_scope() as session:
        [kept] = session.execute(select(OutboundMessage)).scalars()
        assert (kept.text, kept.status) == ("您好,请问还在吗?", "refused")
        assert session.execute(select(Message)).scalars().all() == []


def test_the_wechat_window_says_when_it_closes_and_what_is_left():
    sender = WeChatSender.__new__(WeChatSender)  # window rules need no API client
    now = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
    last = now - timedelta(hours=47, minutes=55)
    state = sender.window_state(ReplyWindow(last, 3), now)
    assert state.open and state.remaining == 2
    assert state.closes_at == last + timedelta(hours=48)
    assert state.warning(now) == "回复窗口将在 5 分钟后关闭"
    closed = sender.window_state(ReplyWindow(now - timedelta(hours=49), 0), now)
    assert not closed.open and "48小时" in closed.reason
    used = sender.window_state(ReplyWindow(now - timedelta(hours=1), 5), now)
    assert not used.open and used.remaining == 0
