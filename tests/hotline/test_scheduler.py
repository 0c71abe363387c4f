"""The scheduler runs chases, supervision and follow-ups when due, from the database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import ClassVar

import pytest
from sqlalchemy import select

from bot.channels import registry
from bot.channels.sender import ChannelSender, DeliveryRefused, ReplyWindow
from bot.hotline import workorders
from bot.hotline.clock import LOCAL, aware
from bot.hotline.scheduler import run_due
from bot.hotline.workorders import dispatch, find_order
from bot.store.conversation import note_inbound
from bot.store.database import session_scope
from bot.store.workorder import CallbackTask, ScheduledJob
from tests.hotline.test_workorders import NOW, file


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL)


def run(now: datetime) -> int:
    return asyncio.run(run_due(now))


def replied_order(sender: str = "wechat:o-1") -> str:
    number = file(sender).number
    with session_scope() as session:
        dispatch(session, number, actor="班长", now=NOW)
        workorders.accept(session, number, actor="住建局", now=NOW)
        workorders.reply(session, number, text="路灯已修复", actor="住建局", now=NOW)
    return number


def test_chase_then_supervise_the_dispatch_deadline(database):
    number = file().number
    assert run(at(2026, 11, 26, 10, 30)) == 0
    assert run(at(2026, 11, 26, 10, 46)) == 1
    with session_scope() as session:
        order = find_order(session, number)
        assert order.chased_at is not None and order.supervised_at is None
    run(at(2026, 11, 26, 11, 1))
    with session_scope() as session:
        history = workorders.order_history(session, number)
        assert history[-2:] == [
            "2026-11-26 10:46 催办:派单时限将至,请于2026-11-26 11:00前派单",
            "2026-11-26 11:01 督办:已超过派单时限2026-11-26 11:00仍未派单",
        ]


def test_finish_deadline_is_chased_a_working_day_ahead_and_stale_timers_do_nothing(database):
    number = file().number
    with session_scope() as session:
        dispatch(session, number, actor="班长", now=NOW)
    run(at(2026, 12, 1, 18, 1))  # the dispatch timers are stale now; the finish chase is due
    with session_scope() as session:
        order = find_order(session, number)
        assert [e.action for e in order.events] == ["create", "dispatch", "chase"]
        workorders.accept(session, number, actor="住建局", now=NOW)
        workorders.reply(session, number, text="已修复", actor="住建局", now=NOW)
    run(at(2026, 12, 3, 9, 0))  # past the finish deadline, but replied: no supervision
    with session_scope() as session:
        assert find_order(session, number).supervised_at is None


class FakeWeChatSender(ChannelSender):
    """The real window rules of a 48 h platform, with the platform's server out of reach."""

    channel: ClassVar[str] = "wechat"
    max_chars: ClassVar[int] = 500
    sent: ClassVar[list[tuple[str, str]]] = []

    def window_limits(self, window: ReplyWindow) -> tuple[timedelta | None, int | None]:
        return timedelta(hours=48), 5

    def check_window(self, window: ReplyWindow, now: datetime) -> None:
        age = window.age_seconds(now)
        if age is None or age > 48 * 3600:
            raise DeliveryRefused("48 h window closed")

    async def deliver(self, user_id: str, text: str, window: ReplyWindow) -> str | None:
        self.sent.append((user_id, text))
        return "msg-1"


@pytest.fixture
def wechat(monkeypatch: pytest.MonkeyPatch) -> type[FakeWeChatSender]:
    FakeWeChatSender.sent = []
    monkeypatch.setattr(registry, "sender_for", lambda channel: FakeWeChatSender())
    return FakeWeChatSender


def test_follow_up_in_chat_then_a_call_back_when_no_answer_comes(database, wechat):
    with session_scope() as session:
        note_inbound(session, sender_id="wechat:o-1", channel="wechat",
                     at=datetime.now(timezone.utc), service_line="hotline", reply_context={})  # fmt: skip
    number = replied_order()
    run(NOW)
    [(user, text)] = wechat.sent
    assert user == "o-1" and number in text and "路灯已修复" in text and "不满意" in text
    with session_scope() as session:
        assert workorders.pending_followup(session, "wechat:o-1").number == number
    run(at(2026, 11, 27, 18, 1))  # a working day without an answer
    with session_scope() as session:
        [task] = workorders.open_callbacks(session)
        assert task.order.number == number and "未在聊天中答复" in task.reason
        workorders.record_satisfaction(session, "wechat:o-1", "满意", now=NOW)
    with session_scope() as session:
        assert workorders.open_callbacks(session) == []


def test_a_closed_window_or_a_channel_that_cannot_push_means_a_phone_call(database, wechat):
    closed = replied_order("wechat:o-2")  # the citizen never wrote in this window
    run(NOW)
    with session_scope() as session:
        [task] = workorders.open_callbacks(session)
        assert task.order.number == closed and "48 h window closed" in task.reason
        assert find_order(session, closed).status == "follow_up"


def test_the_rest_channel_cannot_push_so_the_follow_up_is_a_call(database):
    with session_scope() as session:
        number = file().number
        order = find_order(session, number)
        order.channel = "rest"
    with session_scope() as session:
        dispatch(session, number, actor="班长", now=NOW)
        workorders.accept(session, number, actor="住建局", now=NOW)
        workorders.reply(session, number, text="已修复", actor="住建局", now=NOW)
    run(NOW)
    with session_scope() as session:
        [task] = session.execute(select(CallbackTask)).scalars().all()
        assert "不能主动发送" in task.reason


def test_a_failing_job_is_retried_later_and_others_still_run(database, monkeypatch):
    number = file().number

    def broken(order, deadline, now):
        raise RuntimeError("boom")

    monkeypatch.setattr(workorders, "chase", broken)
    assert run(at(2026, 11, 26, 11, 1)) == 2  # the chase failed, the supervision ran
    with session_scope() as session:
        job = session.execute(select(ScheduledJob).where(ScheduledJob.kind == "chase")).scalar_one()
        assert (job.status, job.attempts, job.last_error) == ("pending", 1, "RuntimeError: boom")
        assert aware(job.due_at) > at(2026, 11, 26, 11, 1)
        assert find_order(session, number).supervised_at is not None


def test_timers_are_not_run_before_their_time(database):
    file()
    assert run(NOW - timedelta(minutes=1)) == 0
