"""A person takes over: the bot goes quiet, the user's messages are still recorded, and when
the operator hands back, the form continues where it was, with the operator's corrections."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from sqlalchemy import select

from bot.handoff import rasa_api
from bot.store.conversation import Message, find_conversation
from bot.store.database import session_scope
from bot.store.handoff import HandoffRequest
from tests.servers import said


def transcript(sender: str) -> list[str]:
    with session_scope() as session:
        conversation = find_conversation(session, sender)
        if conversation is None:
            return []
        rows = session.execute(
            select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
        ).scalars()
        return [row.text for row in rows]


def eventually(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


@pytest.fixture
def rasa(servers, monkeypatch):
    monkeypatch.setenv("RASA_URL", servers.rasa_url)


def test_the_bot_is_silent_while_a_person_owns_the_conversation_and_resumes_the_form(
    chat, store, rasa
):
    sender, send = chat
    send("我想订济南的酒店")
    assert said(send("没有,市中心,300以内"), "请问您是哪天入住?")
    queued = "\n".join(send("转人工"))
    assert "正在为您转接人工客服" in queued
    assert re.search(r"您前面还有\d+位,预计等待约\d+分钟", queued)
    with session_scope() as session:
        [request] = (
            session.execute(select(HandoffRequest).where(HandoffRequest.reason == "user_request"))
            .scalars()
            .all()[-1:]
        )
        assert request.category == "hotel" and request.status == "waiting"

    # Waiting for (or talking to) a person: no bot answers, every message recorded.
    assert send("人呢?我想改成青岛") == []
    assert eventually(lambda: "人呢?我想改成青岛" in transcript(sender))

    state = asyncio.run(rasa_api.conversation_state(sender))
    assert state["paused"] and state["paused_form"] == "hotel_form"
    assert state["slots"]["city"] == "济南"

    with pytest.raises(ValueError, match="没有这些字段"):
        asyncio.run(rasa_api.resume(sender, {"no_such_slot": 1}))
    texts = asyncio.run(rasa_api.resume(sender, {"city": "青岛"}))
    assert said(texts, "接下来由我继续为您办理", "请问您是哪天入住?")

    state = asyncio.run(rasa_api.conversation_state(sender))
    assert not state["paused"] and state["active_form"] == "hotel_form"
    assert state["slots"]["city"] == "青岛"
    assert said(send("下周五入住,住两晚,两间标准间"), "请问几位客人入住?")


def test_handing_back_outside_a_form_asks_what_else(chat, store, rasa):
    sender, send = chat
    send("你好")
    assert said(send("转人工"), "正在为您转接人工客服")
    texts = asyncio.run(rasa_api.resume(sender, {}))
    assert said(texts, "请问还有什么可以帮到您?")
    assert said(send("我想订酒店"), "请问您需要预订哪里的酒店?")
