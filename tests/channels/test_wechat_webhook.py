"""The WeChat webhook driven by the fake WeChat pusher, over real HTTP, with a stub bot."""

from __future__ import annotations

import asyncio
import resource
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import select

from bot.channels.ledger import MemoryLedger, RedisLedger
from bot.channels.wechat import WeChatInput
from bot.store.conversation import Conversation, Message
from bot.store.database import session_scope
from bot.store.outbound import OutboundMessage
from tests.channels.conftest import conversation, settled
from tests.channels.fake_wechat import (
    Account,
    FakeWeChatAPI,
    Pusher,
    StubBot,
    WebhookServer,
    event_push,
    image_push,
    location_push,
    text_push,
    voice_push,
    wait_for,
)

ACCOUNT = Account()
REDIS_URL = "redis://127.0.0.1:6379/0"
MODES = ["plain", "compatible", "safe"]
ENV_NAMES = (
    "WECHAT_TOKEN",
    "WECHAT_APP_ID",
    "WECHAT_APP_SECRET",
    "WECHAT_ENCODING_AES_KEY",
    "WECHAT_SERVICE_LINE",
    "WECHAT_API_BASE",
    "REDIS_URL",
)


def new_openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


@pytest.fixture
def api() -> Iterator[FakeWeChatAPI]:
    with FakeWeChatAPI(ACCOUNT) as api:
        yield api


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, api: FakeWeChatAPI, db: str):
    """The channel as Rasa builds it from credentials.yml and the environment."""

    def configure(mode: str = "plain", **env: str) -> WeChatInput:
        for name in ENV_NAMES:
            monkeypatch.delenv(name, raising=False)
        for name, value in {**ACCOUNT.env(mode, api.base_url), **env}.items():
            monkeypatch.setenv(name, value)
        channel = WeChatInput.from_credentials(None)
        if channel.webhook is not None:
            channel.webhook.ledger = MemoryLedger()  # one process, nothing left from other tests
        return channel

    return configure


@contextmanager
def running(channel: WeChatInput, bot: StubBot) -> Iterator[WebhookServer]:
    with WebhookServer(channel, bot) as server:
        yield server


def transcript(sender_id: str) -> list[str]:
    settled()
    with session_scope() as session:
        return list(
            session.execute(
                select(Message.text)
                .join(Conversation)
                .where(Conversation.sender_id == sender_id)
                .order_by(Message.id)
            ).scalars()
        )


def outbound(sender_id: str) -> list[tuple[str, str, str | None]]:
    settled()
    with session_scope() as session:
        rows = session.execute(
            select(OutboundMessage.status, OutboundMessage.text, OutboundMessage.reason)
            .join(Conversation)
            .where(Conversation.sender_id == sender_id)
            .order_by(OutboundMessage.id)
        )
        return [tuple(row) for row in rows]


def test_url_verification_echoes_echostr_and_refuses_a_wrong_signature(configure):
    with running(configure(), StubBot()) as server:
        pusher = Pusher(server.url)
        answer = pusher.verify_url("4375120948345356249")
        assert (answer.status_code, answer.text) == (200, "4375120948345356249")
        forged = Pusher(server.url, account=Account(token="not-the-token"))
        assert forged.verify_url().status_code == 403


def test_an_unconfigured_channel_answers_404(configure, monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    channel = WeChatInput.from_credentials(None)
    assert channel.webhook is None
    with running(channel, StubBot()) as server:
        assert httpx.post(server.url, content=b"<xml/>").status_code == 404


@pytest.mark.parametrize("mode", MODES)
def test_a_text_message_gets_a_passive_reply_in_every_mode(configure, mode):
    bot = StubBot(replies=lambda text: ["您好!这里是康飞旅行网", "请问有什么可以帮助您?"])
    openid = new_openid()
    with running(configure(mode), bot) as server:
        result = Pusher(server.url, mode=mode).push(text_push(openid, "你好"))
    assert result.attempts == 1
    # One passive reply is one message: the bot's texts are its paragraphs.
    assert result.reply == "您好!这里是康飞旅行网\n\n请问有什么可以帮助您?"
    [message] = bot.seen
    assert (message.text, message.sender_id, message.input_channel) == (
        "你好",
        f"wechat:{openid}",
        "wechat",
    )
    assert message.metadata["service_line"] == "travel"
    assert [status for status, _, _ in outbound(f"wechat:{openid}")] == ["passive", "passive"]
    assert conversation(f"wechat:{openid}").last_inbound_at is not None


def test_the_service_line_comes_from_the_environment(configure):
    bot = StubBot()
    with running(configure(WECHAT_SERVICE_LINE="hotline"), bot) as server:
        Pusher(server.url).push(text_push(new_openid(), "我要投诉"))
    assert bot.seen[0].metadata["service_line"] == "hotline"


def test_a_slow_bot_is_acknowledged_in_time_and_answered_through_the_api(configure, api):
    openid = new_openid()
    bot = StubBot(replies=lambda text: ["好的,请稍等,马上为您查询!"], delay=4.5)
    with running(configure("safe"), bot) as server:
        result = Pusher(server.url, mode="safe", api=api).push(text_push(openid, "查一下"))
        assert result.acked and result.attempts == 1
        assert 3.5 < result.seconds < 5.0  # the passive chance, but inside WeChat's 5 s
        wait_for(lambda: outbound(f"wechat:{openid}"), timeout=5)
    assert api.sent_to(openid) == ["好的,请稍等,马上为您查询!"]
    assert outbound(f"wechat:{openid}") == [("sent", "好的,请稍等,马上为您查询!", None)]


def test_a_resend_while_the_bot_runs_gets_the_same_reply_and_the_bot_runs_once(configure):
    # WeChat gave up on the first connection (here after 1 s, as if the network ate the rest).
    bot = StubBot(replies=lambda text: ["请问您是哪天入住?"], delay=1.5)
    openid = new_openid()
    with running(configure("safe"), bot) as server:
        result = Pusher(server.url, mode="safe", timeout=1.0).push(text_push(openid, "济南"))
    assert (result.attempts, result.reply) == (2, "请问您是哪天入住?")
    assert bot.texts == ["济南"]
    assert outbound(f"wechat:{openid}") == [("passive", "请问您是哪天入住?", None)]


def test_a_hang_up_with_no_resend_still_gets_the_reply_to_the_user_through_the_api(configure, api):
    # The connection drops before the bot is done, and no copy comes again: the reply must
    # not be written into the dead request and lost, but sent once the passive chance is over.
    bot = StubBot(replies=lambda text: ["请问您是哪天入住?"], delay=1.5)
    openid = new_openid()
    with running(configure("safe"), bot) as server:
        pusher = Pusher(server.url, mode="safe", api=api, timeout=0.5, resends=0)
        result = pusher.push(text_push(openid, "济南"))
        assert result.status is None  # hung up, nothing answered
        wait_for(lambda: outbound(f"wechat:{openid}"), timeout=6)
    assert api.sent_to(openid) == ["请问您是哪天入住?"]
    assert outbound(f"wechat:{openid}") == [("sent", "请问您是哪天入住?", None)]


class LedgerThatFailsToDeliver(MemoryLedger):
    async def take_delivery(self, key: str) -> bool:
        raise ConnectionError("Redis went away")


class LedgerThatFailsToPublish(MemoryLedger):
    async def publish(self, key: str, texts: list[str], delivered: bool = False) -> None:
        raise ConnectionError("Redis went away")


@pytest.mark.parametrize("ledger", [LedgerThatFailsToDeliver, LedgerThatFailsToPublish])
def test_a_ledger_failing_after_the_claim_still_gets_wechat_an_answer_in_time(configure, ledger):
    # Without one, WeChat would wait out its 5 s and send the message again. The reply goes in
    # the response before the ledger is told of it: a failing ledger does not hold it back.
    channel = configure("safe")
    channel.webhook.ledger = ledger()
    bot = StubBot(replies=lambda text: ["收到"])
    with running(channel, bot) as server:
        result = Pusher(server.url, mode="safe", resends=0).push(text_push(new_openid(), "你好"))
    assert (result.attempts, result.status, result.reply) == (1, 200, "收到")
    assert result.seconds < 4.0  # at once, not at the passive deadline
    assert bot.texts == ["你好"]


def test_a_ledger_failing_at_a_late_delivery_still_gets_the_reply_to_the_user(
    configure, api, caplog
):
    # Whether a re-sent copy took the delivery cannot be known, but a copy needs the same
    # ledger to take it: the reply once, or twice at worst, rather than lost without a word.
    channel = configure("safe")
    channel.webhook.ledger = LedgerThatFailsToDeliver()
    bot = StubBot(replies=lambda text: ["请问您是哪天入住?"], delay=1.5)
    openid = new_openid()
    with running(channel, bot) as server:
        pusher = Pusher(server.url, mode="safe", api=api, timeout=0.5, resends=0)
        assert pusher.push(text_push(openid, "济南")).status is None  # hung up
        wait_for(lambda: outbound(f"wechat:{openid}"), timeout=6)
    assert api.sent_to(openid) == ["请问您是哪天入住?"]
    assert outbound(f"wechat:{openid}") == [("sent", "请问您是哪天入住?", None)]
    assert "the ledger failed, sent anyway" in caplog.text


def test_resends_to_another_server_process_are_deduplicated_through_redis(configure):
    first_bot, second_bot = (StubBot(replies=lambda text: ["收到"], delay=1.5) for _ in range(2))
    first, second = configure("safe"), configure("safe")
    first.webhook.ledger, second.webhook.ledger = RedisLedger(REDIS_URL), RedisLedger(REDIS_URL)
    openid = new_openid()
    with running(first, first_bot) as one, running(second, second_bot) as other:
        pusher = Pusher([one.url, other.url], mode="safe", timeout=1.0)
        result = pusher.push(text_push(openid, "我要订机票"))
    assert (result.attempts, result.reply) == (2, "收到")
    assert (first_bot.texts, second_bot.texts) == (["我要订机票"], [])


def test_a_resent_event_runs_once(configure):
    bot = StubBot()
    openid = new_openid()
    push = event_push(openid, "CLICK", "BOOK_FLIGHT")
    with running(configure(), bot) as server:
        pusher = Pusher(server.url)
        first, again = pusher.push(push), pusher.push(push)
    assert first.reply == "收到:/book_flight"
    assert again.acked
    assert bot.texts == ["/book_flight"]


@pytest.mark.parametrize("mode", MODES)
def test_a_forged_signature_is_refused_and_nothing_is_recorded(configure, mode):
    bot = StubBot()
    openid = new_openid()
    with running(configure(mode), bot) as server:
        forger = Pusher(server.url, account=Account(token="guessed"), mode=mode)
        assert forger.push(text_push(openid, "你好")).status == 403
        query, body = Pusher(server.url, mode=mode).signed(text_push(openid, "你好"))
        del query["signature"]
        assert Pusher(server.url, mode=mode).send(query, body).status == 403
    assert bot.seen == []
    assert conversation(f"wechat:{openid}") is None


def test_a_tampered_encrypted_body_is_refused(configure):
    openid = new_openid()
    with running(configure("safe"), StubBot()) as server:
        pusher = Pusher(server.url, mode="safe")
        query, _ = pusher.signed(text_push(openid, "你好"))
        # Correct URL signature, but the body is another push, signed for nothing.
        _, other = pusher.signed(text_push(openid, "把订单取消"))
        assert pusher.send(query, other).status == 403
        plain_query, plain_body = Pusher(server.url).signed(text_push(openid, "你好"))
        assert pusher.send(plain_query, plain_body).status == 403  # plaintext to an AES account
    assert conversation(f"wechat:{openid}") is None


def test_a_replayed_push_is_refused(configure):
    bot = StubBot()
    with running(configure("safe"), bot) as server:
        pusher = Pusher(server.url, mode="safe")
        query, body = pusher.signed(
            text_push(new_openid(), "你好"), timestamp=int(time.time()) - 600
        )
        assert pusher.send(query, body).status == 403
    assert bot.seen == []


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>gh</ToUserName",
        b"not xml at all",
        b"<root><MsgType>text</MsgType></root>",
        b"<xml><FromUserName>o</FromUserName></xml>",
        b"<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><CreateTime>x</CreateTime>"
        b"<Content><b>1</b></Content></xml>",
        "<xml>\udcff</xml>".encode("utf-8", "surrogatepass"),
        b"",
    ],
)
def test_malformed_xml_is_a_bad_request(configure, body):
    with running(configure(), StubBot()) as server:
        pusher = Pusher(server.url)
        query, _ = pusher.signed(text_push(new_openid(), "x"))
        answer = pusher.send(query, body)
    assert answer.status == 400


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i else "&lol;" * 10}">' for i in range(10)
    )
    + "]><xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"
)


@pytest.mark.parametrize("mode", ["plain", "safe"])
@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["bomb", "external"])
def test_entity_declarations_are_refused_before_parsing(configure, mode, xml):
    bot = StubBot()
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with running(configure(mode), bot) as server:
        pusher = Pusher(server.url, mode=mode)
        query, body = pusher.signed(text_push(new_openid(), "x"))
        started = time.monotonic()
        # Sent raw in plain mode; in safe mode, correctly encrypted and signed.
        answer = (
            pusher.send(*pusher.signed(xml)) if mode == "safe" else pusher.send(query, xml.encode())
        )
        assert (answer.status, answer.body) == (400, "XML with a DOCTYPE or ENTITY declaration")
        assert time.monotonic() - started < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before < 50_000  # KiB
    assert bot.seen == []


def test_an_oversized_body_is_refused(configure):
    with running(configure(), StubBot()) as server:
        pusher = Pusher(server.url)
        query, _ = pusher.signed(text_push(new_openid(), "x"))
        huge = text_push(new_openid(), "长" * 40_000).encode()
        assert pusher.send(query, huge).status == 413


def test_subscribe_greets_with_the_service_line_greeting(configure, api):
    bot = StubBot(replies=lambda text: ["您好!这里是康飞旅行网,请问有什么可以帮助您?"])
    openid = new_openid()
    with running(configure("safe"), bot) as server:
        result = Pusher(server.url, mode="safe", api=api).push(event_push(openid, "subscribe"))
    assert bot.texts == ["/greet"]
    assert result.reply == "您好!这里是康飞旅行网,请问有什么可以帮助您?"
    # Subscribing through a QR code is a subscription too.
    with running(configure(), bot) as server:
        Pusher(server.url).push(event_push(new_openid(), "subscribe", "qrscene_123"))
    assert bot.texts == ["/greet", "/greet"]


def test_after_unsubscribe_nothing_is_answered_and_later_sends_are_refused(configure, api):
    bot = StubBot()
    openid = new_openid()
    channel = configure()
    with running(channel, bot) as server:
        pusher = Pusher(server.url, api=api)
        pusher.push(text_push(openid, "你好"))
        result = pusher.push(event_push(openid, "unsubscribe"))
    assert result.acked and bot.texts == ["你好"]
    assert conversation(f"wechat:{openid}").reply_context == {"unfollowed": True}
    assert transcript(f"wechat:{openid}") == ["你好", "收到:你好", "[取消关注]"]
    [delivery] = asyncio.run(channel.webhook.sender.send(f"wechat:{openid}", "您的订单已确认"))
    assert delivery.status == "refused" and "取消关注" in delivery.reason
    assert api.send_calls == 0
    assert outbound(f"wechat:{openid}")[-1] == ("refused", "您的订单已确认", delivery.reason)


@pytest.mark.parametrize(
    ("key", "intent"),
    [
        ("BOOK_HOTEL", "/book_hotel"),
        ("BOOK_MEETING", "/book_meeting"),
        ("BOOK_FLIGHT", "/book_flight"),
        ("HUMAN", "/human_handoff"),
        ("SOMETHING_NEW", "/greet"),
    ],
)
def test_menu_clicks_start_their_intent(configure, key, intent):
    bot = StubBot()
    with running(configure(), bot) as server:
        Pusher(server.url).push(event_push(new_openid(), "CLICK", key))
    assert bot.texts == [intent]


def test_pictures_voice_and_locations(configure):
    bot = StubBot()
    openid = new_openid()
    picture = "http://mmbiz.qpic.cn/mmbiz/abc/0"
    with running(configure("compatible"), bot) as server:
        pusher = Pusher(server.url, mode="compatible")
        pusher.push(image_push(openid, picture))
        pusher.push(voice_push(openid, "我想订明天去北京的机票"))
        pusher.push(voice_push(openid, None))
        result = pusher.push(location_push(openid, "济南市历下区泉城路"))
    assert bot.texts == [
        "/share_media",
        "我想订明天去北京的机票",
        "/share_media",
        "济南市历下区泉城路",
    ]
    assert result.reply == "收到:济南市历下区泉城路"
    assert bot.seen[0].metadata["reply_context"]["media_url"] == picture
    assert [m.metadata["kind"] for m in bot.seen] == ["image", "voice", "voice", "location"]


def test_unknown_types_are_acknowledged_and_recorded_but_not_answered(configure):
    bot = StubBot()
    openid = new_openid()
    video = text_push(openid, "").replace("text", "video")
    with running(configure(), bot) as server:
        pusher = Pusher(server.url)
        assert pusher.push(video).acked
        assert pusher.push(event_push(openid, "VIEW", "https://example.com/menu")).acked
    assert bot.seen == []
    assert transcript(f"wechat:{openid}") == ["[video 消息]", "[事件 view]"]
