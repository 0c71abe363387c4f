"""The weather note the evening before check-in: a persisted timer run by the scheduler, with
the forecast from the fake QWeather and the message through the fake WeChat API."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.booking.lifecycle import WEATHER_CARE, confirm_booking
from bot.channels.registry import NO_PUSH as NO_PUSH_TEMPLATE
from bot.hotline.clock import LOCAL, aware
from bot.hotline.scheduler import run_due
from bot.store.base import utcnow
from bot.store.booking import Booking
from bot.store.database import session_scope
from bot.store.workorder import ScheduledJob
from tests.booking.fake_weather import FakeQWeather
from tests.booking.test_lifecycle import book, confirm, logged, traveller_wrote, wechat_account
from tests.channels.fake_wechat import FakeWeChatAPI
from tests.scheduler_process import crash_then_restart

EVENING_BEFORE = datetime(2026, 12, 3, 18, 0, tzinfo=LOCAL)  # check-in is on 2026-12-04
NOTE = "康飞:出行关怀:济南明日小雨,8-18度,感谢您的预定,祝您旅途愉快。"

NO_PUSH = NO_PUSH_TEMPLATE.format(channel="rest")


@pytest.fixture
def wechat(database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeChatAPI]:
    with wechat_account(monkeypatch) as api:
        yield api


@pytest.fixture
def qweather(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeQWeather]:
    with FakeQWeather() as api:
        for name, value in api.env().items():
            monkeypatch.setenv(name, value)
        yield api


def run(now: datetime) -> int:
    return asyncio.run(run_due(now))


def the_job() -> ScheduledJob:
    with session_scope() as session:
        return session.execute(
            select(ScheduledJob).where(ScheduledJob.kind == WEATHER_CARE)
        ).scalar_one()


def confirmed_booking(api: FakeWeChatAPI) -> tuple[str, int]:
    sender_id = traveller_wrote(api)
    booking_id = book(sender_id)
    confirm(booking_id)
    return sender_id, booking_id


def test_the_note_goes_out_the_evening_before_check_in_and_only_once(wechat, qweather):
    sender_id, _ = confirmed_booking(wechat)
    openid = sender_id.split(":")[1]
    assert run(EVENING_BEFORE - timedelta(minutes=1)) == 0
    assert run(EVENING_BEFORE) == 1
    assert wechat.sent_to(openid)[-1] == NOTE
    job = the_job()
    assert (job.status, job.outcome) == ("done", "sent")
    assert run(EVENING_BEFORE + timedelta(hours=1)) == 0  # done: never again
    assert wechat.sent_to(openid).count(NOTE) == 1


def test_a_cancelled_booking_gets_no_note(wechat, qweather):
    sender_id, booking_id = confirmed_booking(wechat)
    with session_scope() as session:
        session.execute(update(Booking).where(Booking.id == booking_id).values(status="cancelled"))
    run(EVENING_BEFORE)
    job = the_job()
    assert job.status == "done" and job.outcome.endswith("is cancelled")
    assert NOTE not in wechat.sent_to(sender_id.split(":")[1])
    assert qweather.requests == []


def test_without_a_weather_key_the_job_says_why_nothing_was_sent(wechat, monkeypatch):
    monkeypatch.delenv("WEATHER_API_KEY", raising=False)
    confirmed_booking(wechat)
    run(EVENING_BEFORE)
    job = the_job()
    assert (job.status, job.outcome) == (
        "done", "not sent: no weather provider (WEATHER_API_KEY is not set)",
    )  # fmt: skip


def test_a_city_the_provider_does_not_know_is_recorded(wechat, qweather):
    sender_id = traveller_wrote(wechat)
    confirm(book(sender_id, city="桃花源"))
    run(EVENING_BEFORE)
    job = the_job()
    assert job.status == "done" and job.outcome == (
        "not sent: QWeather answered 404 for city 桃花源"
    )


def test_a_busy_provider_means_trying_again_later(wechat, qweather):
    sender_id, _ = confirmed_booking(wechat)
    qweather.fail_next("429")
    assert run(EVENING_BEFORE) == 1
    job = the_job()
    assert (job.status, job.attempts) == ("pending", 1) and "429" in job.last_error
    assert run(aware(job.due_at)) == 1  # two minutes later it works
    assert the_job().outcome == "sent"
    assert wechat.sent_to(sender_id.split(":")[1])[-1] == NOTE


def test_a_scheduler_that_comes_back_on_the_check_in_day_does_not_say_tomorrow(wechat, qweather):
    confirmed_booking(wechat)
    run(datetime(2026, 12, 4, 9, 0, tzinfo=LOCAL))
    assert the_job().outcome == "not sent: check-in day 2026-12-04 has come"


def test_a_channel_that_cannot_push_is_recorded_as_the_reason(database, qweather):
    confirm(book("rest:u-1"))
    run(EVENING_BEFORE)
    assert the_job().outcome == f"refused: {NO_PUSH}"
    assert logged("rest:u-1")[-1] == (NOTE, "refused", NO_PUSH)


def test_the_note_pending_across_a_scheduler_crash_still_goes_out(database, wechat, qweather):
    today = utcnow().astimezone(LOCAL).date()
    qweather.today = today
    sender_id = traveller_wrote(wechat)
    tomorrow = today + timedelta(days=1)
    booking_id = book(sender_id, checkin_date=tomorrow.isoformat(),
                      checkout_date=(tomorrow + timedelta(days=1)).isoformat())  # fmt: skip
    asyncio.run(confirm_booking(booking_id, unit_price="364", actor="op-1"))
    with session_scope() as session:  # due in a few seconds rather than at 18:00
        session.execute(update(ScheduledJob).values(due_at=utcnow() + timedelta(seconds=6)))
    wechat_env = {k: v for k, v in os.environ.items() if k.startswith("WECHAT_")}
    env = {"DATABASE_URL": database, **qweather.env(), **wechat_env}
    crash_then_restart(
        env,
        pending=lambda: the_job().status == "pending",
        done=lambda: the_job().status == "done",
    )
    assert the_job().outcome == "sent"
    assert wechat.sent_to(sender_id.split(":")[1])[-1] == NOTE
