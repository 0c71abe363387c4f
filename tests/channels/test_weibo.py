"""The Weibo fans-service channel against a fake Weibo: signatures, every push type, the 5-second
passive reply, re-sends, and the reply API's windows."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.channels.ledger import MemoryLedger, RedisLedger
from bot.channels.weibo import WeiboSender, WeiboWebhook, signature
from bot.store.conversation import note_inbound
from bot.store.database import session_scope
from bot.store.outbound import OutboundMessage
from tests.channels.fake_qq import Push, to_webhook
from tests.channels.fake_weibo import FakeWeiboApi, WeiboPusher
from tests.channels.test_qq import (
    REDIS_URL,
    Bot,
    conversation,
    eventually,
    outbound,
)

SECRET, TOKEN, ACCOUNT = "weiboTestAppSecret", "2.00weiboTestToken", 5175429989


@pytest.fixture
def api() -> Iterator[FakeWeiboApi]:
    fake = FakeWeiboApi(TOKEN)
    yield fake
    fake.close()


@pytest.fixture
def sender(api: FakeWeiboApi) -> WeiboSender:
    return WeiboSender(TOKEN, api.url)


@pytest.fixture
def pusher(api: FakeWeiboApi) -> WeiboPusher:
    return WeiboPusher(SECRET, ACCOUNT, api)


def webhook_for(sender: WeiboSender, deadline: float | None = None, ledger=None) -> WeiboWebhook:
    webhook = WeiboWebhook(sender, "travel", SECRET, ledger or MemoryLedger())
    if deadline is not None:
        webhook.passive_deadline = deadline  # a shorter 5 s, so the tests stay fast
    return webhook


def write(fan: int, context: dict, ago: timedelta = timedelta(0)) -> None:
    with session_scope() as session:
        note_inbound(session, sender_id=f"weibo:{fan}", channel="weibo",
                     at=datetime.now(timezone.utc) - ago, service_line="travel",
                     reply_context={"account_id": ACCOUNT, **context})  # fmt: skip


# ------------------------------------------------------------------ channels.md vector


def test_the_signature_matches_the_official_vector():
    assert signature("xyz123xyz", "1397022061823", "57155157") == (
        "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"
    )


def test_url_verification_echoes_and_the_2014_example_is_refused_as_a_replay(sender, db):
    webhook = webhook_for(sender)
    send = to_webhook(webhook, Bot())
    answer = asyncio.run(send(WeiboPusher(SECRET, ACCOUNT).verification("dnPdpTZz85")))
    assert (answer.status, answer.body) == (200, b"dnPdpTZz85")
    official = WeiboWebhook(sender, "travel", "xyz123xyz", MemoryLedger())
    query = {"signature": "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1", "timestamp": "1397022061823",
             "nonce": "57155157", "echostr": "dnPdpTZz85"}  # fmt: skip
    # Correctly signed, but from 2014: its millisecond timestamp is far out of date.
    assert asyncio.run(to_webhook(official, Bot())(Push("GET", query, {}))).status == 403


# ------------------------------------------------------------------ pushes


def _ask(pusher: WeiboPusher, sender: WeiboSender, push: Push) -> tuple[Bot, bytes]:
    bot = Bot()
    [answer] = asyncio.run(pusher.deliver(push, to_webhook(webhook_for(sender), bot)))
    return bot, answer.body


@pytest.mark.parametrize(
    ("kind", "text", "data", "expected"),
    [
        ("text", "你好", {}, "你好"),
        ("position", "我在这里: http://t.cn/zYqnlXX", {"longitude": "116.3", "latitude": "39.9"},
         "我在这里: http://t.cn/zYqnlXX"),
        ("position", "", {"longitude": "116.3", "latitude": "39.9"}, "发送了一个位置"),
        ("voice", "发了一个语音消息", {"vfid": "1", "tovfid": "2"}, "/share_media"),
        ("image", "发了一张图片", {"vfid": "1", "tovfid": "2"}, "/share_media"),
        ("event", "", {"subtype": "follow"}, "/greet"),
        ("event", "", {"subtype": "subscribe"}, "/greet"),
        ("event", "", {"subtype": "scan_follow", "key": "qrscene_1", "ticket": "t"}, "/greet"),
        ("event", "", {"subtype": "click", "key": "BOOK_HOTEL"}, "/book_hotel"),
        ("event", "", {"subtype": "click", "key": "NOT_A_MENU_KEY"}, "/greet"),
    ],
)  # fmt: skip
def test_each_push_type_reaches_the_bot_and_is_answered_passively(
    kind, text, data, expected, sender, api, db
):
    fan = uuid.uuid4().int % 10**10
    pusher = WeiboPusher(SECRET, ACCOUNT, api)
    bot, body = _ask(pusher, sender, pusher.push(kind, fan, text, data))
    assert [m.text for m in bot.asked] == [expected]
    assert bot.asked[0].sender_id == f"weibo:{fan}" and bot.asked[0].input_channel == "weibo"
    reply = json.loads(body)
    assert (reply["sender_id"], reply["receiver_id"]) == (ACCOUNT, fan)
    assert [m.status for m in outbound(f"weibo:{fan}")] == ["passive"]


def test_unfollow_is_recorded_and_closes_the_conversation(sender, api, db):
    pusher = WeiboPusher(SECRET, ACCOUNT, api)
    bot, body = _ask(pusher, sender, pusher.event(1001, "unfollow"))
    assert bot.asked == [] and body == b""
    stored = conversation("weibo:1001")
    assert stored.reply_context["unfollowed"] is True
    assert [m.text for m in stored.messages] == ["[取消关注]"]
    [refused] = asyncio.run(sender.send("weibo:1001", "欢迎回来"))
    assert refused.status == "refused" and "取消关注" in refused.reason and api.calls == []


def test_a_mention_is_recorded_and_allows_a_single_reply(sender, api, db):
    pusher = WeiboPusher(SECRET, ACCOUNT, api)
    bot, body = _ask(
        pusher, sender, pusher.push("mention", 1002, "", {"subtype": "status", "key": "4"})
    )
    assert bot.asked == [] and body == b""
    assert [m.text for m in conversation("weibo:1002").messages] == ["[@提及 status] 4"]
    first = asyncio.run(sender.send("weibo:1002", "您好, 请私信我们"))
    second = asyncio.run(sender.send("weibo:1002", "还有别的吗?"))
    assert [d.status for d in first + second] == ["sent", "refused"]
    assert "只允许回复一次" in second[0].reason and len(api.calls) == 1


@pytest.mark.parametrize(
    ("kind", "data"),
    [("event", {"subtype": "view", "key": "http://x"}), ("event", {"subtype": "new_thing"}),
     ("video", {})],
)  # fmt: skip
def test_unknown_types_and_subtypes_are_acked_and_ignored(kind, data, sender, api, db):
    pusher = WeiboPusher(SECRET, ACCOUNT, api)
    bot, body = _ask(pusher, sender, pusher.push(kind, 1003, "", data))
    assert bot.asked == [] and body == b"" and conversation("weibo:1003") is None


def test_a_slow_answer_is_acked_blank_and_sent_through_the_reply_api(sender, api, db):
    pusher = WeiboPusher(SECRET, ACCOUNT, api)
    bot = Bot(delay=0.5)
    webhook = webhook_for(sender, deadline=0.2)

    async def scenario():
        [answer] = await pusher.deliver(pusher.text(1004, "你好"), to_webhook(webhook, bot), 1.0)
        assert answer.body == b""
        await eventually(lambda: outbound("weibo:1004"))

    asyncio.run(scenario())
    assert api.texts_to(1004) == ["收到: 你好"] and pusher.passive == []
    form = api.calls[0]
    assert json.loads(form["data"]) == {"text": "收到: 你好"} and form["receiver_id"] == "1004"
    assert [m.status for m in outbound("weibo:1004")] == ["sent"]


def test_re_sends_after_the_timeout_run_once_and_get_one_reply(sender, api, db):
    pusher = WeiboPusher(SECRET, ACCOUNT, api)
    bot = Bot(delay=0.5)
    webhook = webhook_for(sender, deadline=1.5)  # longer than the pusher waits: it re-sends

    async def scenario():
        answers = await pusher.deliver(pusher.text(1005, "你好"), to_webhook(webhook, bot), 0.3)
        await asyncio.sleep(1.8)  # past the deadline of every copy
        return answers

    answers = asyncio.run(scenario())
    assert len(answers) == 1 and json.loads(answers[0].body)["type"] == "text"
    assert len(bot.asked) == 1
    assert api.texts_to(1005) == ["收到: 你好"]  # passively, and not again through the API
    assert [m.status for m in outbound("weibo:1005")] == ["passive"]


def test_a_re_send_to_another_server_sharing_redis_is_not_run_again(sender, api, db):
    pusher = WeiboPusher(SECRET, ACCOUNT, api)
    fan = uuid.uuid4().int % 10**10
    bot = Bot()
    first = webhook_for(sender, ledger=RedisLedger(REDIS_URL))
    second = webhook_for(sender, ledger=RedisLedger(REDIS_URL))
    push = pusher.text(fan, "你好")

    async def scenario():
        return await asyncio.gather(to_webhook(first, bot)(push), to_webhook(second, bot)(push))

    answers = asyncio.run(scenario())
    assert len(bot.asked) == 1
    assert sorted(bool(a.body) for a in answers) == [False, True]  # one reply, one blank ack


def test_a_long_answer_is_split_passive_first_then_the_reply_api(sender, api, db):
    pusher = WeiboPusher(SECRET, ACCOUNT, api)

    async def long_bot(message):
        for n in range(4):
            await message.output_channel.send_text_message(message.sender_id, f"{n}" + "长" * 99)

    async def scenario():
        webhook = webhook_for(sender)
        await pusher.deliver(pusher.text(1006, "详细说说"), to_webhook(webhook, long_bot))
        # The overflow goes through the reply API, once the passive part is out.
        await eventually(lambda: [m for m in outbound("weibo:1006") if m.status == "sent"])

    asyncio.run(scenario())
    first, rest = api.texts_to(1006)
    assert len(first) < 300 and len(rest) < 300
    assert (first + "\n" + rest).split("\n") == [f"{n}" + "长" * 99 for n in range(4)]


@pytest.mark.parametrize(
    "case", ["forged", "no signature", "old", "seconds not milliseconds", "wrong secret"]
)
def test_an_unsigned_forged_or_replayed_push_is_refused_and_nothing_recorded(case, sender, api, db):
    pusher = WeiboPusher(SECRET, ACCOUNT, api)
    push = pusher.text(1007, "你好")
    query = dict(push.query)
    if case == "forged":
        query["signature"] = "0" * 40
    elif case == "no signature":
        query = {}
    elif case == "old":
        query = pusher.query(int((time.time() - 3600) * 1000))
    elif case == "seconds not milliseconds":
        query = pusher.query(int(time.time()))
    else:
        query = WeiboPusher("someoneElsesSecret", ACCOUNT).query()
    bot = Bot()
    answer = asyncio.run(to_webhook(webhook_for(sender), bot)(Push("POST", query, {}, push.body)))
    assert answer.status == 403 and bot.asked == [] and conversation("weibo:1007") is None
    forged_get = Push("GET", {**query, "echostr": "x"}, {})
    assert asyncio.run(to_webhook(webhook_for(sender), bot)(forged_get)).status == 403


def test_malformed_and_oversized_pushes_are_refused(sender, api, db):
    pusher = WeiboPusher(SECRET, ACCOUNT, api)
    send = to_webhook(webhook_for(sender), Bot())
    cases = {
        b"{not json": 400,
        b'"text"': 400,
        json.dumps({"type": "text", "text": "你好"}).encode(): 400,
        json.dumps({"type": "text", "text": "长" * 40_000}).encode(): 413,
    }
    for body, status in cases.items():
        answer = asyncio.run(send(Push("POST", pusher.query(), {}, body)))
        assert answer.status == status, body[:30]
    with session_scope() as session:
        assert session.execute(select(OutboundMessage)).scalars().all() == []


# ------------------------------------------------------------------ reply API


def test_the_reply_api_is_refused_after_48_hours_without_calling(sender, api, db):
    write(1008, {}, timedelta(hours=49))
    [refused] = asyncio.run(sender.send("weibo:1008", "您好"))
    assert refused.status == "refused" and "48 小时" in refused.reason and api.calls == []


def test_platform_errors_are_recorded_as_failed_with_their_code(sender, api, db):
    api.fan_did(1009, "text")
    write(1009, {})
    api.advance(49 * 3600)  # the platform's window is shut though ours still looks open
    [failed] = asyncio.run(sender.send("weibo:1009", "您好"))
    assert failed.status == "failed" and "21603" in failed.reason
    wrong_token = WeiboSender("expired", api.url)
    [failed] = asyncio.run(wrong_token.send("weibo:1009", "您好"))
    assert failed.status == "failed" and "21332" in failed.reason
    assert [(m.status, m.reason) for m in outbound("weibo:1009")] == [
        ("failed", "微博接口错误 HTTP 400 error_code 21603: out of reply window"),
        ("failed", "微博接口错误 HTTP 403 error_code 21332: invalid_access_token"),
    ]
