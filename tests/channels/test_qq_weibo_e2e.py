"""A whole hotel booking over QQ and over Weibo: the real Rasa and action servers, with the
platforms faked (one server session for both channels)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator

import pytest

from tests.channels.fake_qq import FakeQQApi, QQPusher, over_http
from tests.channels.fake_weibo import FakeWeiboApi, WeiboPusher
from tests.conversations.test_bookings import bookings_of
from tests.servers import HOTEL_BOOKING, running_servers, said

QQ_APP_ID, QQ_SECRET = "102000002", "e2eSecretForTheFakeQQBot"
WEIBO_SECRET, WEIBO_TOKEN, WEIBO_ACCOUNT = "e2eWeiboSecret", "2.00e2eToken", 5175429989


@pytest.fixture(scope="module")
def platforms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    qq, weibo = FakeQQApi(QQ_APP_ID, QQ_SECRET), FakeWeiboApi(WEIBO_TOKEN)
    env = {
        "QQ_APP_ID": QQ_APP_ID, "QQ_APP_SECRET": QQ_SECRET, "QQ_API_BASE": qq.url,
        "QQ_TOKEN_URL": qq.token_url,
        "WEIBO_APP_SECRET": WEIBO_SECRET, "WEIBO_ACCESS_TOKEN": WEIBO_TOKEN,
        "WEIBO_API_BASE": weibo.url,
    }  # fmt: skip
    try:
        with running_servers(tmp_path_factory.mktemp("channel-servers"), env) as running:
            yield {"servers": running, "qq": qq, "weibo": weibo}
    finally:
        qq.close()
        weibo.close()


@pytest.fixture
def store(platforms: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", platforms["servers"].env["DATABASE_URL"])


def converse(say: Callable[[str, list[str]], list[str]]) -> None:
    for text, expected in HOTEL_BOOKING:
        replies = say(text, expected)
        assert said(replies, *expected), (text, replies)


def wait_for(replies: Callable[[], list[str]], expected: list[str]) -> list[str]:
    deadline = time.monotonic() + 60
    while not said(replies(), *expected) and time.monotonic() < deadline:
        time.sleep(0.05)
    return replies()


def test_a_hotel_booking_over_qq(platforms, store):
    api: FakeQQApi = platforms["qq"]
    pusher = QQPusher(QQ_SECRET, QQ_APP_ID, api)
    send = over_http(f"{platforms['servers'].rasa_url}/webhooks/qq/webhook")

    def say(text: str, expected: list[str]) -> list[str]:
        push = pusher.c2c("E2E_USER", text)
        answer = asyncio.run(send(push))
        assert (answer.status, json.loads(answer.body)) == (200, {"op": 12, "d": 0})
        msg_id = json.loads(push.body)["d"]["id"]
        return wait_for(lambda: api.replies_to(msg_id), expected)

    converse(say)
    [booking] = bookings_of("qq:E2E_USER")
    assert (booking.kind, booking.status, booking.channel) == ("hotel", "submitted", "qq")
    assert booking.details["rooms"] == [{"type": "标准间", "count": 3}]
    assert booking.details["checkin_date"] == "2026-12-04"


def test_a_hotel_booking_over_weibo(platforms, store):
    api: FakeWeiboApi = platforms["weibo"]
    pusher = WeiboPusher(WEIBO_SECRET, WEIBO_ACCOUNT, api)
    send = over_http(f"{platforms['servers'].rasa_url}/webhooks/weibo/webhook")
    fan = 3600000001

    def say(text: str, expected: list[str]) -> list[str]:
        already = len(api.texts_to(fan))
        asyncio.run(pusher.deliver(pusher.text(fan, text), send))
        return wait_for(lambda: api.texts_to(fan)[already:], expected)

    converse(say)
    [booking] = bookings_of(f"weibo:{fan}")
    assert (booking.kind, booking.status, booking.channel) == ("hotel", "submitted", "weibo")
    assert booking.details["rooms"] == [{"type": "标准间", "count": 3}]
    assert pusher.passive, "the bot answers within 5 s, so in the HTTP response"
