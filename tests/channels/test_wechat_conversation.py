"""A whole hotel booking over WeChat in safe (AES) mode: the fake WeChat pushes to the real Rasa
server and action server, on the trained model. Once as `make run` starts it (SQLite, one
process), once as a production deployment (PostgreSQL, Redis, two Rasa worker processes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.launcher import Servers
from bot.store.booking import Booking
from bot.store.database import migrate, session_scope
from tests.channels.fake_wechat import (
    UNAVAILABLE,
    Account,
    FakeWeChatAPI,
    Pusher,
    text_push,
    wait_for,
)
from tests.conftest import postgres_database
from tests.servers import HOTEL_BOOKING, running_servers, said

ACCOUNT = Account()
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def api() -> Iterator[FakeWeChatAPI]:
    with FakeWeChatAPI(ACCOUNT) as api:
        yield api


@pytest.fixture(scope="module", params=["embedded", "two workers"])
def servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, api: FakeWeChatAPI
) -> Iterator[Servers]:
    # Only the channel under test: the others need settings of their own.
    credentials = {"rest": None, "bot.channels.wechat.WeChatInput": None}
    work = tmp_path_factory.mktemp("wechat_servers")
    env = ACCOUNT.env("safe", api.base_url)
    if request.param == "embedded":
        with running_servers(work, env, credentials) as running:
            yield running
        return
    # Locks, the reply ledger and the access token shared through Redis between the workers.
    with postgres_database("bot_workers") as database_url:
        migrate(database_url)
        env |= {"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "SANIC_WORKERS": "2"}
        with running_servers(work, env, credentials) as running:
            assert len(worker_processes(running)) == 2
            yield running


def worker_processes(servers: Servers) -> list[str]:
    """The Rasa server's child processes: Sanic's workers."""
    tasks = Path(f"/proc/{servers.processes['rasa'].pid}/task").glob("*/children")
    return [pid for task in tasks for pid in task.read_text().split()]


def test_a_hotel_booking_over_wechat_in_safe_mode(servers, api, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", servers.env["DATABASE_URL"])
    pusher = Pusher(f"{servers.rasa_url}/webhooks/wechat/webhook", mode="safe", api=api)
    assert pusher.verify_url("4375120948345356249").text == "4375120948345356249"
    openid = "oWeChatE2E" + "x" * 18
    passive = 0

    def send(text: str) -> list[str]:
        """What the user sees: the passive reply, or the messages sent when it was late."""
        nonlocal passive
        before = len(api.sent_to(openid))
        result = pusher.push(text_push(openid, text))
        assert result.status == 200 and result.reply != UNAVAILABLE
        if result.reply is not None:
            passive += 1
            return [result.reply]
        wait_for(lambda: len(api.sent_to(openid)) > before, timeout=30)
        return api.sent_to(openid)[before:]

    for text, expected in HOTEL_BOOKING:
        replies = send(text)
        assert said(replies, *expected), (text, replies)
    assert passive > 0  # a warm model answers inside WeChat's 5 s

    with session_scope() as session:
        [booking] = session.execute(
            select(Booking).where(Booking.sender_id == f"wechat:{openid}")
        ).scalars()
    assert (booking.kind, booking.status, booking.channel) == ("hotel", "submitted", "wechat")
    assert (booking.contact_name, booking.contact_phone) == ("张三", "13812345678")
    assert booking.details["rooms"] == [{"type": "标准间", "count": 3}]
    assert booking.details["checkin_date"] == "2026-12-04"
