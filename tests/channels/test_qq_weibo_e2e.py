"""A whole hotel booking over QQ and over Weibo: the real Rasa and action servers, with the
platforms faked (one server session for both channels)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator

import pytest
import yaml

from bot.launcher import DEFAULT_MODEL, RASA_DIR, Servers, server_env
from bot.store.database import migrate
from tests.channels.fake_qq import FakeQQApi, QQPusher, over_http
from tests.channels.fake_weibo import FakeWeiboApi, WeiboPusher
from tests.conversations.conftest import BOT_NOW, free_port, said
from tests.conversations.test_bookings import bookings_of

QQ_APP_ID, QQ_SECRET = "102000002", "e2eSecretForTheFakeQQBot"
WEIBO_SECRET, WEIBO_TOKEN, WEIBO_ACCOUNT = "e2eWeiboSecret", "2.00e2eToken", 5175429989

# The conversation of tests/conversations/test_bookings.py, with what each answer must contain.
HOTEL_BOOKING = [
    ("你好", ["您好!这里是康飞旅行网,请问有什么可以帮助您?"]),
    ("我想订济南的酒店", ["请问您有指定酒店吗?"]),
    ("没有,市中心,300以内", ["请问您是哪天入住?"]),
    ("下周五入住,住两晚,两间标准间", ["请问几位客人入住?"]),
    ("3个人", ["最晚几点到店"]),
    ("18:00前", ["早餐"]),
    ("不要早餐", ["其他要求"]),
    ("没有", ["好的,请稍等,马上为您查询!", "请问需要免费为您保留一下吗?"]),
    ("要", ["请问您的姓名?"]),
    ("我叫张三", ["请问您的手机联系方式?"]),
    ("13812345678", ["请您核实预订信息", "12月4日(周五)", "标准间2间"]),
    ("不对,是三间", ["标准间3间"]),
    ("对", ["我们会尽快帮您预订上", "预订单号"]),
]


@pytest.fixture(scope="module")
def platforms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"no trained model at {DEFAULT_MODEL}: `make test` trains it first")
    qq, weibo = FakeQQApi(QQ_APP_ID, QQ_SECRET), FakeWeiboApi(WEIBO_TOKEN)
    work = tmp_path_factory.mktemp("channel-servers")
    endpoints = yaml.safe_load((RASA_DIR / "endpoints.yml").read_text(encoding="utf-8"))
    actions_port = free_port()
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    (work / "endpoints.yml").write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    database_url = f"sqlite:///{work / 'bot.db'}"
    migrate(database_url)
    env = server_env({
        "DATABASE_URL": database_url, "BOT_NOW": BOT_NOW,
        "QQ_APP_ID": QQ_APP_ID, "QQ_APP_SECRET": QQ_SECRET, "QQ_API_BASE": qq.url,
        "QQ_TOKEN_URL": qq.token_url,
        "WEIBO_APP_SECRET": WEIBO_SECRET, "WEIBO_ACCESS_TOKEN": WEIBO_TOKEN,
        "WEIBO_API_BASE": weibo.url,
    })  # fmt: skip
    try:
        with (
            (work / "servers.log").open("wb") as log,
            Servers(
                endpoints=work / "endpoints.yml",
                rasa_port=free_port(),
                actions_port=actions_port,
                env=env,
                log=log,
            ) as running,
        ):
            yield {"servers": running, "qq": qq, "weibo": weibo, "database_url": database_url}
    finally:
        qq.close()
        weibo.close()


@pytest.fixture
def store(platforms: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", platforms["database_url"])


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
