"""WeChat official account (公众号): the webhook WeChat pushes to, and the customer-service
message API for replies that miss the passive window (../shared/docs/channels.md §1).

Configured from the environment: WECHAT_TOKEN and WECHAT_APP_ID turn it on; WECHAT_APP_SECRET
for the API; WECHAT_ENCODING_AES_KEY for compatible/safe mode; WECHAT_SERVICE_LINE (travel or
hotline); WECHAT_API_BASE to point the API elsewhere (tests, proxies); REDIS_URL to share the
access token between server processes.
"""

from __future__ import annotations

import asyncio
import os
import re
import struct
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from xml.parsers.expat import ExpatError

import redis
import requests
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import WeChatClient, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import BaseEvent
from wechatpy.exceptions import (
    InvalidAppIdException,
    InvalidSignatureException,
    WeChatClientException,
)
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply
from wechatpy.session.redisstorage import RedisStorage
from wechatpy.utils import check_signature

from bot.channels.inbound import Inbound
from bot.channels.ledger import ReplyLedger
from bot.channels.menu import GREET, SHARE_MEDIA, menu_text, service_line_from_env
from bot.channels.sender import ChannelSender, DeliveryFailed, DeliveryRefused, ReplyWindow
from bot.channels.webhook import BadRequest, Forbidden, PlatformInput, PlatformWebhook, check_fresh

DEFAULT_API_BASE = "https://api.weixin.qq.com"
# WeChat never sends a DTD; entities are how XML bombs and external-entity reads work.
DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)

# Customer-service window: 5 messages within 48 h of the user's last message (channels.md §1.6).
WINDOW = timedelta(hours=48)
QUOTA = 5
# The token was replaced by a newer fetch, or expired early: fetch one and try again.
TOKEN_ERRORS = {40001, 40014, 42001}
REFUSALS = {
    45015: "超过48小时客服消息时限或用户已取消关注 (WeChat 45015: out of time limit)",
    45047: "客服消息已达上限,需等用户再次发言 (WeChat 45047: out of response count limit)",
}


def refuse_dtd(xml: bytes) -> None:
    if DTD.search(xml):
        raise BadRequest("XML with a DOCTYPE or ENTITY declaration")


@dataclass(frozen=True)
class WeChatInbound(Inbound):
    """What a passive reply to this very request needs besides the message."""

    account: str = ""  # the official account's original ID (gh_…), the reply's sender
    encrypted: bool = False  # pushed with encrypt_type=aes: the reply is encrypted too
    nonce: str = ""


class WeChatWebhook(PlatformWebhook):
    channel = "wechat"
    # WeChat drops the connection after 5 s: answer passively only if done with a margin left.
    passive_deadline = 4.0

    def __init__(
        self,
        token: str,
        app_id: str,
        sender: ChannelSender,
        service_line: str = "travel",
        encoding_aes_key: str | None = None,
        ledger: ReplyLedger | None = None,
    ) -> None:
        super().__init__(sender, service_line, ledger)
        self.token = token
        self.app_id = app_id
        self.crypto = WeChatCrypto(token, encoding_aes_key, app_id) if encoding_aes_key else None

    def handshake(self, request: Request) -> HTTPResponse | None:
        if request.method != "GET":
            return None
        self._check_signature(request)
        return response.text(request.args.get("echostr", ""))

    def verify(self, request: Request) -> None:
        self._check_signature(request)
        encrypted = request.args.get("encrypt_type", "raw") == "aes"
        # In AES mode only the encrypted part is signed: a plaintext push could be anyone's.
        if self.crypto is not None and not encrypted:
            raise Forbidden("plaintext push to an account in AES mode")
        if self.crypto is None and encrypted:
            raise Forbidden("encrypted push, but no EncodingAESKey is configured")

    def _check_signature(self, request: Request) -> None:
        timestamp = request.args.get("timestamp", "")
        try:
            check_signature(
                self.token,
                request.args.get("signature", ""),
                timestamp,
                request.args.get("nonce", ""),
            )
        except InvalidSignatureException:
            raise Forbidden("missing or wrong signature") from None
        try:
            check_fresh(float(timestamp))
        except ValueError:
            raise Forbidden("timestamp is not a number") from None

    def parse(self, request: Request) -> WeChatInbound | None:
        body = request.body or b""
        refuse_dtd(body)
        args = request.args
        try:
            xml = body
            if self.crypto is not None:
                xml = self.crypto.decrypt_message(
                    body, args.get("msg_signature", ""), args.get("timestamp"), args.get("nonce")
                ).encode()
                refuse_dtd(xml)
            message = parse_message(xml)
            if message is None:
                raise BadRequest("empty body")
            return self._inbound(message, args.get("nonce", ""))
        except InvalidSignatureException:
            raise Forbidden("missing or wrong msg_signature") from None
        except InvalidAppIdException:
            raise Forbidden("encrypted for another AppID") from None
        except (ExpatError, KeyError, TypeError, ValueError, struct.error) as error:
            raise BadRequest(f"malformed push: {type(error).__name__}") from None

    def _inbound(self, message: BaseMessage, nonce: str) -> WeChatInbound:
        if not isinstance(message.source, str) or not message.source:
            raise BadRequest("push without FromUserName")
        content = self._content(message)
        if not isinstance(content.get("text", ""), str):
            raise BadRequest("push with a structured text field")
        is_event = isinstance(message, BaseEvent)
        dedup = f"{message.source}:{message.time}" if is_event or not message.id else message.id
        return WeChatInbound(
            channel=self.channel,
            user_id=message.source,
            dedup_key=f"wechat:{self.app_id}:{dedup}",
            received_at=datetime.now(timezone.utc),
            service_line=self.service_line,
            account=message.target or "",
            encrypted=self.crypto is not None,
            nonce=nonce,
            **content,
        )

    def _content(self, message: BaseMessage) -> dict[str, Any]:
        """What the bot reads, or the note for the transcript when it reads nothing."""
        kind = message.type
        if kind == "text":
            return {"text": message.content}
        if kind == "voice":
            if message.recognition:
                return {"kind": "voice", "text": message.recognition}
            return {"kind": "voice", "text": SHARE_MEDIA, "note": "[语音]"}
        if kind == "image":
            # `note` is only recorded when the bot reads nothing; the metadata keeps the URL.
            return {
                "kind": "image",
                "text": SHARE_MEDIA,
                "note": f"[图片] {message.image}",
                "reply_context": {"media_url": message.image},
            }
        if kind == "location":
            label = message.label or f"{message.location_x},{message.location_y}"
            return {"kind": "location", "text": label}
        if kind == "event":
            if message.event in ("subscribe", "subscribe_scan"):
                return {"kind": "event", "text": GREET}
            if message.event == "unsubscribe":
                # The sender reads this to refuse later messages with a reason.
                return {
                    "kind": "event",
                    "note": "[取消关注]",
                    "reply_context": {"unfollowed": True},
                }
            if message.event == "click":
                return {"kind": "event", "text": menu_text(message.key)}
            return {"kind": "event", "note": f"[事件 {message.event}]"}
        return {"kind": kind, "note": f"[{kind} 消息]"}

    def passive_reply(self, inbound: Inbound, texts: list[str]) -> HTTPResponse:
        assert isinstance(inbound, WeChatInbound)
        # A passive reply is a single message: the bot's texts go in it as paragraphs.
        reply = TextReply(
            source=inbound.account, target=inbound.user_id, content="\n\n".join(texts)
        ).render()
        if inbound.encrypted and self.crypto is not None:
            reply = self.crypto.encrypt_message(reply, inbound.nonce, str(int(time.time())))
        return response.text(reply, content_type="application/xml")

    def ack(self, inbound: Inbound | None) -> HTTPResponse:
        return response.text("success")


class _WeChatClient(WeChatClient):
    """wechatpy's client with every URL under `api_base` (its token URL is absolute)."""

    def __init__(self, api_base: str, app_id: str, secret: str, session: Any) -> None:
        # Token errors are retried once in WeChatSender: wechatpy's auto_retry has no bound.
        super().__init__(app_id, secret, session=session, timeout=10, auto_retry=False)
        self.API_BASE_URL = f"{api_base}/cgi-bin/"

    def fetch_access_token(self) -> dict[str, Any]:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class WeChatSender(ChannelSender):
    """Customer-service text messages (客服消息), inside the 48 h / 5-message window."""

    channel = "wechat"
    # The limit is unconfirmed; reports say 2048 bytes (45002). 500 characters stay under it
    # even if every character took 4 bytes of UTF-8.
    max_chars = 500

    def __init__(
        self,
        app_id: str,
        secret: str,
        api_base: str = DEFAULT_API_BASE,
        redis_url: str | None = None,
    ) -> None:
        # One token for all server processes: every fetch invalidates the previous token.
        session = (
            RedisStorage(redis.Redis.from_url(redis_url), prefix="wechatpy") if redis_url else None
        )
        self.client = _WeChatClient(api_base.rstrip("/"), app_id, secret, session)

    def window_limits(self, window: ReplyWindow) -> tuple[timedelta | None, int | None]:
        return WINDOW, QUOTA

    def check_window(self, window: ReplyWindow, now: datetime) -> None:
        if window.reply_context.get("unfollowed"):
            raise DeliveryRefused("用户已取消关注公众号,无法再发消息 (user unfollowed)")
        age = window.age_seconds(now)
        if age is None:
            raise DeliveryRefused("用户没有给公众号发过消息 (no message from the user yet)")
        if age > WINDOW.total_seconds():
            raise DeliveryRefused(
                "距用户上次发言已超过48小时,需等用户再次发言 (48 h window closed)"
            )
        if window.sent_since_inbound >= QUOTA:
            raise DeliveryRefused(f"用户上次发言后已发满{QUOTA}条客服消息 (quota of {QUOTA} used)")

    async def deliver(self, user_id: str, text: str, window: ReplyWindow) -> str | None:
        try:
            # wechatpy is synchronous (requests, redis): keep it off the event loop.
            result = await asyncio.to_thread(self._send_text, user_id, text)
        except WeChatClientException as error:
            if error.errcode in REFUSALS:
                raise DeliveryRefused(REFUSALS[error.errcode]) from error
            raise DeliveryFailed(f"WeChat error {error.errcode}: {error.errmsg}") from error
        except (requests.RequestException, redis.RedisError) as error:
            raise DeliveryFailed(f"WeChat API unreachable: {error}") from error
        message_id = result.get("msgid")
        return str(message_id) if message_id else None

    def _send_text(self, user_id: str, text: str) -> dict[str, Any]:
        try:
            return self.client.message.send_text(user_id, text)
        except WeChatClientException as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
        self.client.fetch_access_token()
        return self.client.message.send_text(user_id, text)


class WeChatInput(PlatformInput):
    """POST/GET /webhooks/wechat/webhook: the server URL to enter in the account's settings."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WeChatInput:
        env = os.environ
        token, app_id = env.get("WECHAT_TOKEN"), env.get("WECHAT_APP_ID")
        if not (token and app_id):
            return cls(None)
        service_line = service_line_from_env("WECHAT_SERVICE_LINE")
        aes_key = env.get("WECHAT_ENCODING_AES_KEY") or None
        if aes_key is not None and len(aes_key) != 43:
            raise ValueError("WECHAT_ENCODING_AES_KEY must be the 43 characters WeChat shows")
        sender = WeChatSender(
            app_id,
            env.get("WECHAT_APP_SECRET", ""),
            api_base=env.get("WECHAT_API_BASE") or DEFAULT_API_BASE,
            redis_url=env.get("REDIS_URL") or None,
        )
        return cls(WeChatWebhook(token, app_id, sender, service_line, aes_key))
