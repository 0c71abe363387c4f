"""Greetings by service line, hand-off to a person, and hotline matters before their flows."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.database import session_scope
from bot.store.handoff import HandoffRequest
from tests.conversations.conftest import open_chat
from tests.servers import said


def handoffs_of(sender: str) -> list[tuple[str, str]]:
    with session_scope() as session:
        rows = session.execute(select(HandoffRequest)).scalars()
        return [(r.reason, r.summary or "") for r in rows if r.conversation.sender_id == sender]


def test_the_hotline_account_greets_as_the_hotline(servers):
    _, send = open_chat(servers, line="hotline")
    assert said(send("你好"), "您好!市长热线,请问有什么可以帮到您?")


def test_asking_for_a_person_mid_form_records_what_was_collected(chat, store):
    sender, send = chat
    send("我要订酒店")
    send("济南")
    assert said(send("转人工"), "转接人工客服")
    [(reason, summary)] = handoffs_of(sender)
    assert reason == "user_request" and "济南" in summary


def test_not_understood_twice_in_a_row_goes_to_a_person(chat, store):
    sender, send = chat
    first = send("asdfgh qwerty")
    assert said(first, "请您换个说法") or said(first, "暂时无法为您解答")
    assert said(send("zxcvb uiop"), "正在为您转接人工客服", "您前面还有")
    assert [reason for reason, _ in handoffs_of(sender)] == ["not_understood"]
