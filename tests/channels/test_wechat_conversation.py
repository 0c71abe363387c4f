"""A whole hotel booking over WeChat in safe (AES) mode: the fake WeChat pushes to the real Rasa
server and action server, on the trained model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from sqlalchemy import select

from bot.launcher import DEFAULT_MODEL, RASA_DIR, Servers, server_env
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
from tests.conversations.conftest import BOT_NOW, free_port, said

ACCOUNT = Account()


@pytest.fixture(scope="module")
def api() -> Iterator[FakeWeChatAPI]:
    with FakeWeChatAPI(ACCOUNT) as api:
        yield api


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, api: FakeWeChatAPI) -> Iterator[Servers]:
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"no trained model at {DEFAULT_MODEL}: `make test` trains it first")
    work = tmp_path_factory.mktemp("wechat_servers")
    endpoints = yaml.safe_load((RASA_DIR / "endpoints.yml").read_text(encoding="utf-8"))
    actions_port = free_port()
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    (work / "endpoints.yml").write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    # Only the channel under test: the others need settings of their own.
    credentials = {"rest": None, "bot.channels.wechat.WeChatInput": None}
    (work / "credentials.yml").write_text(yaml.safe_dump(credentials), encoding="utf-8")
    database_url = f"sqlite:///{work / 'bot.db'}"
    migrate(database_url)
    env = server_env(
        {"DATABASE_URL": database_url, "BOT_NOW": BOT_NOW, **ACCOUNT.env("safe", api.base_url)}
    )
    with (
        (work / "servers.log").open("wb") as log,
        Servers(
            endpoints=work / "endpoints.yml",
            credentials=work / "credentials.yml",
            rasa_port=free_port(),
            actions_port=actions_port,
            env=env,
            log=log,
        ) as running,
    ):
        yield running


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

    assert said(send("你好"), "您好!这里是康飞旅行网,请问有什么可以帮助您?")
    assert said(send("我想订济南的酒店"), "请问您有指定酒店吗?")
    assert said(send("没有,市中心,300以内"), "请问您是哪天入住?")
    assert said(send("下周五入住,住两晚,两间标准间"), "请问几位客人入住?")
    assert said(send("3个人"), "最晚几点到店")
    assert said(send("18:00前"), "早餐")
    assert said(send("不要早餐"), "其他要求")
    assert said(send("没有"), "好的,请稍等,马上为您查询!", "请问需要免费为您保留一下吗?")
    assert said(send("要"), "请问您的姓名?")
    assert said(send("我叫张三"), "请问您的手机联系方式?")
    assert said(send("13812345678"), "请您核实预订信息", "12月4日(周五)", "标准间2间")
    assert said(send("不对,是三间"), "标准间3间")
    assert said(send("对"), "感谢您的来电!再见!", "预订单号")
    assert passive > 0  # a warm model answers inside WeChat's 5 s

    with session_scope() as session:
        [booking] = session.execute(
            select(Booking).where(Booking.sender_id == f"wechat:{openid}")
        ).scalars()
    assert (booking.kind, booking.status, booking.channel) == ("hotel", "submitted", "wechat")
    assert (booking.contact_name, booking.contact_phone) == ("张三", "13812345678")
    assert booking.details["rooms"] == [{"type": "标准间", "count": 3}]
    assert booking.details["checkin_date"] == "2026-12-04"
