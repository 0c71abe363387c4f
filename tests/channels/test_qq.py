"""The QQ bot channel against a fake QQ platform: signatures, events, re-sends, replies."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from rasa.core.channels.channel import UserMessage
from sqlalchemy import select

from bot.channels.ledger import MemoryLedger, RedisLedger
from bot.channels.qq import QQSender, QQWebhook, signing_key
from bot.store.conversation import Conversation, Message, note_inbound
from bot.store.database import session_scope
from bot.store.outbound import OutboundMessage
from tests.channels.conftest import conversation, settled
from tests.channels.fake_qq import FakeQQApi, Push, QQPusher, deliver, to_webhook

APP_ID, SECRET = "102000001", "testSecretForTheFakeQQBot"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def api() -> Iterator[FakeQQApi]:
    fake = FakeQQApi(APP_ID, SECRET)
    yield fake
    fake.close()


@pytest.fixture
def sender(api: FakeQQApi) -> QQSender:
    return QQSender(APP_ID, SECRET, api.url, api.token_url)


@pytest.fixture
def pusher(api: FakeQQApi) -> QQPusher:
    return QQPusher(SECRET, APP_ID, api)


class Bot:
    """Stands in for Rasa: answers every message, and remembers what it was asked."""

    def __init__(self, delay: float = 0.0) -> None:
        self.asked: list[UserMessage] = []
        self.delay = delay

    async def __call__(self, message: UserMessage) -> None:
        self.asked.append(message)
        await asyncio.sleep(self.delay)
        await message.output_channel.send_text_message(message.sender_id, f"收到: {message.text}")


async def eventually(check, timeout: float = 5.0) -> None:
    """Wait for background work; check the delivery log, which is written last."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def outbound(sender_id: str) -> list[OutboundMessage]:
    settled()
    with session_scope() as session:
        conversation = session.execute(
            select(Conversation).where(Conversation.sender_id == sender_id)
        ).scalar_one_or_none()
        if conversation is None:  # the webhook notes the message off its request's path
            return []
        return list(
            session.execute(
                select(OutboundMessage)
                .where(OutboundMessage.conversation_id == conversation.id)
                .order_by(OutboundMessage.id)
            ).scalars()
        )


def write(sender_id: str, context: dict, ago: timedelta = timedelta(0)) -> None:
    """The user wrote `ago`: as the webhook notes it."""
    at = datetime.now(timezone.utc) - ago
    context = {"received_at": at.isoformat(), **context}
    with session_scope() as session:
        note_inbound(session, sender_id=sender_id, channel="qq", at=at, service_line="travel",
                     reply_context=context)  # fmt: skip


# ------------------------------------------------------------------ channels.md vectors


def test_the_key_derived_from_the_secret_matches_the_documented_public_key():
    public = signing_key("naOC0ocQE3shWLAfffVLB1rhYPG7").public_key()
    raw = list(public.public_bytes(Encoding.Raw, PublicFormat.Raw))
    assert raw[:4] == [215, 195, 98, 254] and raw[-2:] == [103, 58]


def test_callback_validation_answers_with_the_documented_signature(sender, db):
    webhook = QQWebhook(sender, "travel", "DG5g3B4j9X2KOErG", MemoryLedger())
    push = QQPusher("DG5g3B4j9X2KOErG", APP_ID).validation("Arq0D5A61EgUu4OxUvOp", "1725442341")
    answer = asyncio.run(to_webhook(webhook, Bot())(push))
    assert answer.status == 200
    assert json.loads(answer.body) == {
        "plain_token": "Arq0D5A61EgUu4OxUvOp",
        "signature": "87befc99c42c651b3aac0278e71ada338433ae26fcb24307bdc5ad38c1adc2d0"
        "1bcfcadc0842edac85e85205028a1132afe09280305f13aa6909ffc2d652c706",
    }


def test_a_signed_validation_is_checked_and_a_forged_one_refused(sender, db):
    webhook = QQWebhook(sender, "travel", SECRET, MemoryLedger())
    pusher = QQPusher(SECRET, APP_ID)
    send = to_webhook(webhook, Bot())
    signed = pusher.validation("token", str(int(time.time())), signed=True)
    assert asyncio.run(send(signed)).status == 200
    forged = Push("POST", {}, QQPusher("anotherSecret", APP_ID).validation(
        "token", "1", signed=True).headers | {"X-Signature-Timestamp": signed.headers[
        "X-Signature-Timestamp"]}, signed.body)  # fmt: skip
    assert asyncio.run(send(forged)).status == 403


# ------------------------------------------------------------------ webhook


def test_a_private_message_is_acked_at_once_and_answered_on_its_msg_id(sender, pusher, api, db):
    bot = Bot()
    webhook = QQWebhook(sender, "hotline", SECRET, MemoryLedger())
    push = pusher.c2c("USER1", "你好")
    msg_id = json.loads(push.body)["d"]["id"]

    async def scenario():
        answer = await to_webhook(webhook, bot)(push)
        assert (answer.status, json.loads(answer.body)) == (200, {"op": 12, "d": 0})
        await eventually(lambda: outbound("qq:USER1"))

    asyncio.run(scenario())
    [asked] = bot.asked
    assert (asked.text, asked.sender_id, asked.input_channel) == ("你好", "qq:USER1", "qq")
    assert asked.metadata["service_line"] == "hotline"
    assert api.replies_to(msg_id) == ["收到: 你好"]
    assert api.calls[-1]["msg_seq"] == 1
    [sent] = outbound("qq:USER1")
    assert (sent.status, sent.text) == ("sent", "收到: 你好") and sent.platform_message_id
    stored = conversation("qq:USER1")
    assert stored.reply_context["msg_id"] == msg_id and stored.reply_context["scene"] == "c2c"


def test_a_group_at_message_loses_its_leading_space_and_is_answered_in_the_group(
    sender, pusher, api, db
):
    bot = Bot()
    webhook = QQWebhook(sender, "travel", SECRET, MemoryLedger())
    push = pusher.group_at("GROUP1", "MEMBER1", "订酒店")

    async def scenario():
        await to_webhook(webhook, bot)(push)
        await eventually(lambda: outbound("qq:MEMBER1"))

    asyncio.run(scenario())
    assert [m.text for m in bot.asked] == ["订酒店"]
    assert bot.asked[0].sender_id == "qq:MEMBER1"
    assert api.calls[-1]["scene"] == "group" and api.calls[-1]["target"] == "GROUP1"
    assert api.calls[-1]["content"] == "收到: 订酒店"
    assert conversation("qq:MEMBER1").reply_context["group_openid"] == "GROUP1"


def test_a_picture_is_shared_media_for_the_bot(sender, pusher, api, db):
    bot = Bot()
    webhook = QQWebhook(sender, "travel", SECRET, MemoryLedger())
    picture = {"content_type": "image/png", "filename": "a.png", "url": "https://x/a.png"}
    push = pusher.c2c("USER2", "", [picture])
    asyncio.run(to_webhook(webhook, bot)(push))
    assert [m.text for m in bot.asked] == ["/share_media"]
    assert bot.asked[0].metadata["kind"] == "image"


def test_removing_the_bot_is_recorded_and_closes_the_conversation(sender, pusher, api, db):
    bot = Bot()
    webhook = QQWebhook(sender, "travel", SECRET, MemoryLedger())
    write("qq:USER3", {"scene": "c2c", "msg_id": "m1"})
    push = pusher.event("FRIEND_DEL", {"openid": "USER3", "timestamp": 1725442341})
    answer = asyncio.run(to_webhook(webhook, bot)(push))
    assert answer.status == 200 and bot.asked == []
    stored = conversation("qq:USER3")
    assert stored.reply_context == {"unfollowed": True}
    assert [m.text for m in stored.messages] == ["[用户删除了机器人好友]"]
    [refused] = asyncio.run(sender.send("qq:USER3", "还在吗?"))
    assert refused.status == "refused" and "删除" in refused.reason
    assert api.calls == []


def test_other_events_are_acked_and_ignored(sender, pusher, db):
    bot = Bot()
    webhook = QQWebhook(sender, "travel", SECRET, MemoryLedger())
    push = pusher.event("FRIEND_ADD", {"openid": "USER4", "timestamp": 1725442341})
    answer = asyncio.run(to_webhook(webhook, bot)(push))
    assert (answer.status, json.loads(answer.body)) == (200, {"op": 12, "d": 0})
    assert bot.asked == [] and conversation("qq:USER4") is None


def test_a_message_re_sent_after_a_late_ack_is_processed_once(sender, pusher, api, db):
    bot = Bot()
    webhook = QQWebhook(sender, "travel", SECRET, MemoryLedger())
    send = to_webhook(webhook, bot)
    push = pusher.c2c("USER5", "你好")
    msg_id = json.loads(push.body)["d"]["id"]
    arrived = []

    async def late_network(p: Push):
        answer = await send(p)  # the webhook has it; the ACK is late on the way back
        arrived.append(p)
        await asyncio.sleep(0.3)
        return answer

    async def scenario():
        answers = await deliver(push, late_network, timeout=0.1)
        assert answers == []  # every ACK came too late, so QQ re-sent 3 times
        await eventually(lambda: outbound("qq:USER5"))
        await asyncio.sleep(0.2)

    asyncio.run(scenario())
    assert len(arrived) == 4
    assert len(bot.asked) == 1 and api.replies_to(msg_id) == ["收到: 你好"]


def test_re_sends_to_two_servers_sharing_redis_run_once(sender, pusher, api, db):
    bot = Bot()
    first = QQWebhook(sender, "travel", SECRET, RedisLedger(REDIS_URL))
    second = QQWebhook(sender, "travel", SECRET, RedisLedger(REDIS_URL))
    user = f"USER-{uuid.uuid4().hex[:6]}"
    push = pusher.c2c(user, "你好")
    msg_id = json.loads(push.body)["d"]["id"]

    async def scenario():
        await to_webhook(first, bot)(push)
        await to_webhook(second, bot)(push)
        await eventually(lambda: outbound(f"qq:{user}"))
        await asyncio.sleep(0.2)

    asyncio.run(scenario())
    assert len(bot.asked) == 1 and len(api.replies_to(msg_id)) == 1


def _tampered(push: Push, **headers: str) -> Push:
    return Push(push.method, push.query, push.headers | headers, push.body)


@pytest.mark.parametrize(
    "case",
    ["tampered body", "no signature", "other key", "short signature", "high bits", "old", "future"],
)
def test_an_unsigned_forged_or_replayed_request_is_refused_and_nothing_recorded(
    case, sender, pusher, db
):
    bot = Bot()
    webhook = QQWebhook(sender, "travel", SECRET, MemoryLedger())
    push = pusher.c2c("USER6", "你好")
    signature = push.headers["X-Signature-Ed25519"]
    if case == "tampered body":
        push = Push("POST", {}, push.headers, push.body.replace("你好".encode(), "再见".encode()))
    elif case == "no signature":
        push = Push("POST", {}, {"User-Agent": "QQBot-Callback"}, push.body)
    elif case == "other key":
        stamp = push.headers["X-Signature-Timestamp"]
        other = QQPusher("anotherSecretOfSomeoneElse", APP_ID).sign(push.body, stamp)
        push = _tampered(push, **{"X-Signature-Ed25519": other})
    elif case == "short signature":
        push = _tampered(push, **{"X-Signature-Ed25519": signature[:-2]})
    elif case == "high bits":  # sig[63] & 224 must be 0 in a valid ed25519 signature
        push = _tampered(push, **{"X-Signature-Ed25519": signature[:-2] + "ff"})
    else:
        moment = int(time.time()) + (-3600 if case == "old" else 3600)
        push = pusher.event("C2C_MESSAGE_CREATE", json.loads(push.body)["d"], timestamp=moment)
    answer = asyncio.run(to_webhook(webhook, bot)(push))
    assert answer.status == 403
    assert bot.asked == [] and conversation("qq:USER6") is None


def test_malformed_and_oversized_bodies_are_refused(sender, pusher, db):
    bot = Bot()
    webhook = QQWebhook(sender, "travel", SECRET, MemoryLedger())
    send = to_webhook(webhook, bot)

    def signed(body: bytes) -> Push:
        stamp = str(int(time.time()))
        headers = {"X-Signature-Ed25519": pusher.sign(body, stamp), "X-Signature-Timestamp": stamp}
        return Push("POST", {}, headers, body)

    no_author = json.dumps({"id": "e", "op": 0, "t": "C2C_MESSAGE_CREATE", "d": {"id": "m"}})
    validation = json.dumps({"op": 13, "d": {"plain_token": "x"}})
    cases = {
        b"{not json": 400,
        b"[1, 2]": 400,
        no_author.encode(): 400,
        validation.encode(): 400,
        b'{"op":0,"d":{"content":"' + b"x" * 70_000 + b'"}}': 413,
    }
    for body, status in cases.items():
        assert asyncio.run(send(signed(body))).status == status, body[:40]
    assert bot.asked == []


# ------------------------------------------------------------------ sender


def test_replies_take_msg_seq_one_to_five_then_are_refused_without_calling(sender, api, db):
    api.user_wrote("m-seq", "c2c", "USER7")
    write("qq:USER7", {"scene": "c2c", "msg_id": "m-seq"})

    async def scenario():
        return [d for n in range(6) for d in await sender.send("qq:USER7", f"第{n + 1}条")]

    deliveries = asyncio.run(scenario())
    assert [d.status for d in deliveries] == ["sent"] * 5 + ["refused"]
    assert "5 次回复已用完" in deliveries[-1].reason
    assert [c["msg_seq"] for c in api.calls] == [1, 2, 3, 4, 5]
    assert [m.status for m in outbound("qq:USER7")] == ["sent"] * 5 + ["refused"]


def test_a_new_message_moves_replies_to_its_msg_id_and_restarts_msg_seq(sender, api, db):
    for msg_id in ("m-a", "m-b"):
        api.user_wrote(msg_id, "c2c", "USER8")
    write("qq:USER8", {"scene": "c2c", "msg_id": "m-a"})
    asyncio.run(sender.send("qq:USER8", "一"))
    asyncio.run(sender.send("qq:USER8", "二"))
    write("qq:USER8", {"scene": "c2c", "msg_id": "m-b"})
    asyncio.run(sender.send("qq:USER8", "三"))
    assert [(c["msg_id"], c["msg_seq"]) for c in api.calls] == [("m-a", 1), ("m-a", 2), ("m-b", 1)]


def test_concurrent_replies_never_share_a_msg_seq(sender, api, db):
    api.user_wrote("m-c", "c2c", "USER9")
    write("qq:USER9", {"scene": "c2c", "msg_id": "m-c"})

    async def scenario():
        await asyncio.gather(*(sender.send("qq:USER9", f"第{n}条") for n in range(3)))

    asyncio.run(scenario())
    assert sorted(c["msg_seq"] for c in api.calls) == [1, 2, 3]
    assert [m.status for m in outbound("qq:USER9")] == ["sent"] * 3


@pytest.mark.parametrize(("scene", "minutes"), [("c2c", 61), ("group", 6)])
def test_a_closed_window_is_refused_without_calling(scene, minutes, sender, api, db):
    write(
        "qq:U", {"scene": scene, "msg_id": "old", "group_openid": "G"}, timedelta(minutes=minutes)
    )
    [refused] = asyncio.run(sender.send("qq:U", "您好"))
    limit = 60 if scene == "c2c" else 5
    assert refused.status == "refused" and f"{limit} 分钟" in refused.reason
    assert api.calls == []


def test_a_group_reply_inside_five_minutes_is_sent(sender, api, db):
    api.user_wrote("g-1", "group", "G2")
    write("qq:M2", {"scene": "group", "msg_id": "g-1", "group_openid": "G2"}, timedelta(minutes=4))
    [sent] = asyncio.run(sender.send("qq:M2", "您好"))
    assert sent.status == "sent"


def test_no_message_to_reply_to_is_refused(sender, api, db):
    [refused] = asyncio.run(sender.send("qq:NOBODY", "您好"))
    assert refused.status == "refused" and api.calls == []


@pytest.mark.parametrize(
    ("setup", "status", "reason"),
    [
        ("expired", "refused", "304027"),
        ("quota used elsewhere", "refused", "22009"),
        ("seq taken elsewhere", "failed", "msgseq"),
        ("unknown msg_id", "failed", "304026"),
        ("rate limited", "failed", "429"),
    ],
)
def test_platform_errors_are_recorded_with_their_reason(setup, status, reason, sender, api, db):
    api.user_wrote("m-e", "c2c", "USERE")
    write("qq:USERE", {"scene": "c2c", "msg_id": "m-e" if setup != "unknown msg_id" else "nope"})
    record = api.messages["m-e"]
    if setup == "expired":
        api.advance(3601)  # the platform's clock says the hour is over; ours does not yet
    elif setup == "quota used elsewhere":
        record.seqs.extend([1, 2, 3, 4, 5])
    elif setup == "seq taken elsewhere":
        record.seqs.append(1)
    elif setup == "rate limited":
        api.rate_limit_next = True
    [delivery] = asyncio.run(sender.send("qq:USERE", "您好"))
    assert delivery.status == status and reason in delivery.reason
    [logged] = outbound("qq:USERE")
    assert (logged.status, logged.reason) == (status, delivery.reason)


def test_the_token_is_fetched_once_with_its_string_lifetime_and_refetched_on_401(sender, api, db):
    api.user_wrote("m-t", "c2c", "USERT")
    write("qq:USERT", {"scene": "c2c", "msg_id": "m-t"})
    asyncio.run(sender.send("qq:USERT", "一"))
    asyncio.run(sender.send("qq:USERT", "二"))
    assert api.token_requests == 1
    api.revoke_tokens()  # the platform no longer takes the cached token
    [sent] = asyncio.run(sender.send("qq:USERT", "三"))
    assert sent.status == "sent" and api.token_requests == 2
    assert [c["msg_seq"] for c in api.calls] == [1, 2, 3, 3]  # the 401 took no seq


def test_the_token_is_renewed_in_its_last_minute(db):
    api = FakeQQApi(APP_ID, SECRET, token_lifetime=62)
    try:
        sender = QQSender(APP_ID, SECRET, api.url, api.token_url)
        api.user_wrote("m-r", "c2c", "USERR")
        write("qq:USERR", {"scene": "c2c", "msg_id": "m-r"})
        asyncio.run(sender.send("qq:USERR", "一"))
        first = api.current
        time.sleep(2.1)  # 62 s lifetime: now inside its last minute
        [sent] = asyncio.run(sender.send("qq:USERR", "二"))
        assert sent.status == "sent" and api.token_requests == 2 and api.current != first
    finally:
        api.close()


def test_a_wrong_secret_or_unreachable_api_fails_with_a_reason(api, db):
    api.user_wrote("m-w", "c2c", "USERW")
    write("qq:USERW", {"scene": "c2c", "msg_id": "m-w"})
    wrong = QQSender(APP_ID, "notTheSecret", api.url, api.token_url)
    [failed] = asyncio.run(wrong.send("qq:USERW", "您好"))
    assert failed.status == "failed" and "token" in failed.reason
    assert "notTheSecret" not in failed.reason
    gone = QQSender(APP_ID, SECRET, "http://127.0.0.1:9", "http://127.0.0.1:9/token")
    [failed] = asyncio.run(gone.send("qq:USERW", "您好"))
    assert failed.status == "failed" and "无法访问" in failed.reason
    assert [m.status for m in outbound("qq:USERW")] == ["failed", "failed"]


def test_a_text_message_is_recorded_once_with_its_turn_not_noted_by_the_webhook(sender, pusher, db):
    webhook = QQWebhook(sender, "travel", SECRET, MemoryLedger())

    async def scenario():
        await to_webhook(webhook, Bot())(pusher.c2c("USERX", "你好"))
        await eventually(lambda: outbound("qq:USERX"))  # the reply went out: the turn is over

    asyncio.run(scenario())
    with session_scope() as session:  # Rasa records text turns; the webhook adds nothing
        messages = session.execute(select(Message).order_by(Message.id)).scalars().all()
        assert [(m.direction, m.text) for m in messages] == [("in", "你好"), ("out", "收到: 你好")]
