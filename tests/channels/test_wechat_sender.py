"""Customer-service messages through wechatpy against the fake WeChat API, over real HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import redis
from sqlalchemy import select

from bot.channels.sender import Delivery
from bot.channels.wechat import WeChatSender
from bot.store.conversation import Conversation, note_inbound
from bot.store.database import session_scope
from bot.store.outbound import OutboundMessage, record_outbound
from tests.channels.fake_wechat import (
    MAX_CONTENT_BYTES,
    Account,
    FakeWeChatAPI,
    free_port,
    text_push,
)

ACCOUNT = Account()
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def api(db: str) -> Iterator[FakeWeChatAPI]:
    with FakeWeChatAPI(ACCOUNT) as api:
        yield api


@pytest.fixture
def sender(api: FakeWeChatAPI) -> WeChatSender:
    return WeChatSender(ACCOUNT.app_id, ACCOUNT.secret, api_base=api.base_url)


def user_wrote(api: FakeWeChatAPI, hours_ago: float = 0, **reply_context: object) -> str:
    """A user wrote to the account: WeChat and our record both know. Their conversation id."""
    openid = "o" + uuid.uuid4().hex[:27]
    at = datetime.now(timezone.utc) - timedelta(hours=hours_ago)
    with session_scope() as session:
        note_inbound(
            session,
            sender_id=f"wechat:{openid}",
            channel="wechat",
            at=at,
            service_line="travel",
            reply_context=dict(reply_context),
        )
    api.saw(text_push(openid, "你好"))
    api.followers[openid].wrote_at = at.timestamp()
    return f"wechat:{openid}"


def send(sender: WeChatSender, sender_id: str, text: str) -> list[Delivery]:
    return asyncio.run(sender.send(sender_id, text))


def recorded(sender_id: str) -> list[tuple[str, str | None]]:
    with session_scope() as session:
        rows = session.execute(
            select(OutboundMessage.status, OutboundMessage.reason)
            .join(Conversation)
            .where(Conversation.sender_id == sender_id)
            .order_by(OutboundMessage.id)
        )
        return [tuple(row) for row in rows]


def test_a_message_inside_the_window_is_sent_and_recorded(api, sender):
    user = user_wrote(api)
    [delivery] = send(sender, user, "您的预订已提交,订单号 H20261126001")
    assert delivery.status == "sent"
    assert api.sent_to(user.split(":")[1]) == ["您的预订已提交,订单号 H20261126001"]
    assert recorded(user) == [("sent", None)]


def test_past_48_hours_is_refused_before_asking_wechat(api, sender):
    user = user_wrote(api, hours_ago=49)
    [delivery] = send(sender, user, "还在吗?")
    assert delivery.status == "refused" and "48" in delivery.reason
    assert api.send_calls == 0
    assert recorded(user) == [("refused", delivery.reason)]


def test_wechat_closing_the_window_45015_is_a_refusal_with_its_reason(api, sender):
    user = user_wrote(api)
    api.clock_offset = 49 * 3600  # WeChat's view: the user's message is older than 48 h
    [delivery] = send(sender, user, "还在吗?")
    assert delivery.status == "refused" and "45015" in delivery.reason
    assert recorded(user) == [("refused", delivery.reason)]


def test_the_sixth_message_is_refused_and_passive_replies_do_not_count(api, sender):
    user = user_wrote(api)
    with session_scope() as session:
        record_outbound(
            session, sender_id=user, channel="wechat", texts=["…"] * 3, status="passive"
        )
    deliveries = [send(sender, user, f"第{i}条")[0] for i in range(1, 7)]
    assert [d.status for d in deliveries] == ["sent"] * 5 + ["refused"]
    assert "5" in deliveries[-1].reason
    assert api.send_calls == 5
    # A new message from the user opens a new window.
    user_id = user.split(":")[1]
    with session_scope() as session:
        note_inbound(
            session,
            sender_id=user,
            channel="wechat",
            at=datetime.now(timezone.utc),
            service_line="travel",
            reply_context={},
        )
    api.saw(text_push(user_id, "还有一个问题"))
    assert send(sender, user, "请讲")[0].status == "sent"


def test_wechat_counting_the_quota_45047_is_a_refusal_with_its_reason(api, sender):
    user = user_wrote(api)
    api.followers[user.split(":")[1]].sent_since_wrote = 5  # sent from WeChat's own console
    [delivery] = send(sender, user, "您好")
    assert delivery.status == "refused" and "45047" in delivery.reason


def test_a_replaced_token_is_fetched_again_and_the_message_sent_once(api, sender):
    user = user_wrote(api)
    assert send(sender, user, "第一条")[0].ok
    api.replace_tokens()  # another process fetched a token: ours answers 40001
    assert send(sender, user, "第二条")[0].ok
    assert api.token_fetches == 2
    assert api.sent_to(user.split(":")[1]) == ["第一条", "第二条"]


def test_an_expired_token_42001_is_fetched_again(api, sender):
    user = user_wrote(api)
    assert send(sender, user, "第一条")[0].ok
    api.clock_offset = 7300  # past expires_in on WeChat's clock, not yet on ours
    assert send(sender, user, "第二条")[0].ok
    assert api.token_fetches == 2


def test_token_errors_are_retried_once_only(api, sender):
    user = user_wrote(api)
    api.fail_next(40001)
    api.fail_next(40001)
    [delivery] = send(sender, user, "您好")
    assert delivery.status == "failed" and "40001" in delivery.reason
    assert (api.token_fetches, api.send_calls) == (2, 2)


def test_other_errors_and_an_unreachable_api_are_failures(api, sender, db):
    user = user_wrote(api)
    api.fail_next(45009)
    [limited] = send(sender, user, "您好")
    assert limited.status == "failed" and "45009" in limited.reason
    offline = WeChatSender(ACCOUNT.app_id, ACCOUNT.secret, f"http://127.0.0.1:{free_port()}")
    [unreachable] = send(offline, user, "您好")
    assert unreachable.status == "failed" and "unreachable" in unreachable.reason
    assert recorded(user) == [("failed", limited.reason), ("failed", unreachable.reason)]


def test_a_long_text_is_split_under_wechats_length_limit(api, sender):
    user = user_wrote(api)
    text = "\n".join(f"第{i}家酒店:" + "济南市中心,近泉城广场,含双早" * 6 for i in range(1, 16))
    deliveries = send(sender, user, text)
    sent = api.sent_to(user.split(":")[1])
    assert len(deliveries) == len(sent) == 3
    assert all(len(part) <= 500 and len(part.encode()) <= MAX_CONTENT_BYTES for part in sent)
    assert "".join(sent).replace("\n", "") == text.replace("\n", "")
    assert recorded(user) == [("sent", None)] * 3


def test_the_access_token_is_shared_between_processes_through_redis(db):
    account = Account(app_id=f"wx{uuid.uuid4().hex[:16]}")
    store = redis.Redis.from_url(REDIS_URL)
    try:
        with FakeWeChatAPI(account) as api:
            one, other = (
                WeChatSender(account.app_id, account.secret, api.base_url, redis_url=REDIS_URL)
                for _ in range(2)
            )
            user = user_wrote(api)
            assert send(one, user, "第一条")[0].ok
            assert send(other, user, "第二条")[0].ok
            assert api.token_fetches == 1
            assert store.exists(f"wechatpy:{account.app_id}_access_token")
    finally:
        store.delete(f"wechatpy:{account.app_id}_access_token")
