"""The recorder's held writes: a turn's transcript and its passive reply's record, together."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot.store.conversation import Conversation, conversation_id
from bot.store.database import get_engine, session_scope
from bot.store.outbound import OutboundMessage, record_outbound
from bot.store.recorder import ConversationRecorder, RecordingFailed

SENDER = "wechat:o-held"


def turn(text: str, reply: str) -> list[dict]:
    return [
        {"event": "user", "timestamp": 1764207000.0, "text": text, "input_channel": "wechat"},
        {"event": "bot", "timestamp": 1764207001.0, "text": reply},
    ]


def passive(texts: list[str]):
    return partial(
        record_outbound, sender_id=SENDER, channel="wechat", texts=texts, status="passive"
    )


def transcript() -> list[str]:
    with session_scope() as session:
        found = session.execute(
            select(Conversation).where(Conversation.sender_id == SENDER)
        ).scalar_one_or_none()
        return [] if found is None else [m.text for m in found.messages]


def outbound() -> list[str]:
    with session_scope() as session:
        return list(session.execute(select(OutboundMessage.text)).scalars())


@contextmanager
def counted_commits(database: str) -> Iterator[list[None]]:
    commits: list[None] = []

    def count(_connection) -> None:
        commits.append(None)

    engine = get_engine(database)
    event.listen(engine, "commit", count)
    try:
        yield commits
    finally:
        event.remove(engine, "commit", count)


def test_a_turn_and_its_passive_reply_are_stored_in_one_transaction(database):
    recorder = ConversationRecorder()

    async def bot_task(commits: list[None]) -> None:
        with recorder.together():
            recorder.record(SENDER, turn("我要订酒店", "请问您要预订哪个城市的酒店?"))
            await asyncio.sleep(0.1)  # time enough for the writer: it must not see the turn yet
            assert transcript() == []
            commits.clear()  # that look was one
            recorder.submit(passive(["请问您要预订哪个城市的酒店?"]))

    with counted_commits(database) as commits:
        asyncio.run(bot_task(commits))
        recorder.flush()
    assert transcript() == ["我要订酒店", "请问您要预订哪个城市的酒店?"]
    assert outbound() == ["请问您要预订哪个城市的酒店?"]
    assert len(commits) == 1


def test_a_turn_and_its_passive_reply_look_their_conversation_up_once(database):
    recorder = ConversationRecorder()
    recorder.record(SENDER, turn("你好", "您好,请问有什么可以帮您?"))  # the conversation exists
    recorder.flush()
    lookups: list[str] = []

    def look(_conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "conversations" in statement:
            lookups.append(statement)

    async def bot_task() -> None:
        with recorder.together():
            recorder.record(SENDER, turn("我要订酒店", "请问您要预订哪个城市的酒店?"))
            recorder.submit(passive(["请问您要预订哪个城市的酒店?"]))

    engine = get_engine(database)
    event.listen(engine, "before_cursor_execute", look)
    try:
        asyncio.run(bot_task())
        recorder.flush()
    finally:
        event.remove(engine, "before_cursor_execute", look)
    assert len(lookups) == 1
    assert outbound() == ["请问您要预订哪个城市的酒店?"]


def test_a_conversation_created_in_a_rolled_back_transaction_is_created_again(database):
    with session_scope() as session:
        conversation_id(session, SENDER, "wechat")
        session.rollback()  # as a failed batch is
        again = conversation_id(session, SENDER, "wechat")
        session.commit()
    with session_scope() as session:
        assert session.get(Conversation, again).sender_id == SENDER


def test_waiting_for_the_writes_inside_the_block_does_not_wait_for_itself(database):
    recorder = ConversationRecorder()

    async def bot_task() -> list[str]:
        with recorder.together():
            recorder.record(SENDER, turn("济南", "请问您哪天入住?"))
            await asyncio.wait_for(asyncio.wrap_future(recorder.written()), timeout=5)
            return transcript()

    assert asyncio.run(bot_task()) == ["济南", "请问您哪天入住?"]


def test_a_task_started_inside_the_block_that_writes_after_it_loses_nothing(database):
    recorder = ConversationRecorder()

    async def bot_task() -> None:
        block_over = asyncio.Event()

        async def send_the_rest() -> None:  # as a passive reply's overflow is sent
            await block_over.wait()
            recorder.submit(passive(["第二段"]))

        with recorder.together():
            recorder.record(SENDER, turn("我要订酒店", "第一段"))
            rest = asyncio.ensure_future(send_the_rest())
            recorder.submit(passive(["第一段"]))
        await asyncio.to_thread(recorder.flush)  # what the block held is stored
        block_over.set()
        await asyncio.wait_for(rest, timeout=5)

    asyncio.run(bot_task())
    recorder.flush()
    assert transcript() == ["我要订酒店", "第一段"]
    assert outbound() == ["第一段", "第二段"]


def test_a_failing_write_held_with_a_turn_does_not_lose_the_turn(database):
    recorder = ConversationRecorder()

    def broken(session: Session) -> None:
        raise ValueError("a bug in one write")

    async def bot_task():
        with recorder.together():
            recorder.record(SENDER, turn("路灯坏了", "请问在哪条路?"))
            return recorder.submit(broken)

    failed = asyncio.run(bot_task())
    recorder.flush()
    with pytest.raises(RecordingFailed):
        failed.result(timeout=5)
    assert transcript() == ["路灯坏了", "请问在哪条路?"]
