"""Sina Weibo fans service (粉丝服务平台) private messages (channels.md §3).

Pushes are JSON, signed like WeChat's but with the app secret and millisecond timestamps.
Weibo waits 5 s for a passive reply in the HTTP response, then re-sends (3 times in all); a
blank body acknowledges, and the answer then goes through `2/messages/reply.json`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import Inbound
from bot.channels.ledger import ReplyLedger
from bot.channels.menu import GREET, SHARE_MEDIA, menu_text, service_line_from_env
from bot.channels.sender import (
    ChannelSender,
    DeliveryFailed,
    DeliveryRefused,
    ReplyWindow,
    split_text,
)
from bot.channels.webhook import BadRequest, Forbidden, PlatformInput, PlatformWebhook, check_fresh

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://m.api.weibo.com"
HTTP_TIMEOUT_SECONDS = 10.0
# A text message must stay under 300 Chinese characters (§3.3).
MAX_TEXT_CHARS = 299
REPLY_WINDOW = timedelta(hours=48)

GREETING_EVENTS = {"follow", "subscribe", "scan", "scan_follow"}
UNFOLLOW_EVENTS = {"unfollow", "unsubscribe"}


def signature(app_secret: str, timestamp: str, nonce: str) -> str:
    """sha1 of the sorted, joined app secret, timestamp and nonce (§3.1)."""
    return hashlib.sha1("".join(sorted([app_secret, timestamp, nonce])).encode()).hexdigest()


class WeiboWebhook(PlatformWebhook):
    channel = "weibo"
    passive_deadline = 4.0  # Weibo waits 5 s; a second's margin for the network

    def __init__(
        self,
        sender: ChannelSender,
        service_line: str,
        app_secret: str,
        ledger: ReplyLedger | None = None,
    ) -> None:
        super().__init__(sender, service_line, ledger)
        self._app_secret = app_secret

    def handshake(self, request: Request) -> HTTPResponse | None:
        if request.method != "GET":
            return None
        self.verify(request)
        return response.text(request.args.get("echostr", ""))

    def verify(self, request: Request) -> None:
        given = request.args.get("signature", "")
        timestamp = request.args.get("timestamp", "")
        nonce = request.args.get("nonce", "")
        if not given or not timestamp or not nonce:
            raise Forbidden("missing signature, timestamp or nonce")
        expected = signature(self._app_secret, timestamp, nonce)
        if not hmac.compare_digest(given.lower(), expected):
            raise Forbidden("signature does not match")
        try:
            check_fresh(int(timestamp) / 1000)  # Weibo's timestamps are in milliseconds
        except ValueError as bad:
            raise Forbidden("timestamp is not a number") from bad

    def parse(self, request: Request) -> Inbound | None:
        try:
            push = json.loads(request.body or b"")
        except ValueError as malformed:
            raise BadRequest("body is not JSON") from malformed
        if not isinstance(push, dict):
            raise BadRequest("body is not a JSON object")
        kind, fan, account = push.get("type"), push.get("sender_id"), push.get("receiver_id")
        created_at = push.get("created_at")
        if not kind or not fan or not account or not created_at:
            raise BadRequest("push without type, sender_id, receiver_id or created_at")
        data = push.get("data") if isinstance(push.get("data"), dict) else {}
        text = str(push.get("text") or "").strip()

        # No message id on Weibo: a re-send repeats sender_id and created_at (§3.3); the type
        # keeps two different pushes of the same second apart.
        key = f"weibo:{fan}:{created_at}:{kind}"

        def inbound(
            kind_: str, text_: str | None = None, note: str | None = None, **context: Any
        ) -> Inbound:
            return Inbound(
                "weibo", str(fan), key, datetime.now(timezone.utc), kind=kind_, text=text_,
                note=note, reply_context={"account_id": account, **context},
                service_line=self.service_line,
            )  # fmt: skip

        if kind == "text":
            return inbound("text", text) if text else None
        if kind == "position":
            return inbound("location", text or "发送了一个位置")
        if kind in ("voice", "image"):
            return inbound(kind, SHARE_MEDIA, f"[{kind}] {text} fid={data.get('tovfid', '')}")
        subtype = data.get("subtype")
        if kind == "event" and subtype in GREETING_EVENTS:
            return inbound("event", GREET)
        if kind == "event" and subtype == "click":
            return inbound("event", menu_text(data.get("key")))
        if kind == "event" and subtype in UNFOLLOW_EVENTS:
            return inbound("event", note="[取消关注]", unfollowed=True)
        if kind == "mention":
            # An @mention allows a single reply within 48 h (§3.4).
            note = f"[@提及 {subtype}] {data.get('key', '')}".strip()
            return inbound("mention", note=note, mention=subtype, single_reply=True)
        logger.info("weibo push ignored: type %r subtype %r", kind, subtype)
        return None

    def fit_passive(self, texts: list[str]) -> tuple[list[str], list[str]]:
        # One passive message per push, under 300 characters: the rest through the reply API.
        first, *rest = split_text("\n".join(texts), MAX_TEXT_CHARS)
        return [first], rest

    def passive_reply(self, inbound: Inbound, texts: list[str]) -> HTTPResponse:
        fan = inbound.user_id
        return response.json(
            {
                "result": True,
                "sender_id": inbound.reply_context["account_id"],
                "receiver_id": int(fan) if fan.isdigit() else fan,
                "type": "text",
                # A URL-encoded JSON string, not an object (§3.3).
                "data": quote(json.dumps({"text": "\n".join(texts)})),
            }
        )

    def ack(self, inbound: Inbound | None) -> HTTPResponse:
        return response.text("")  # blank: received, no reply, no re-send


class WeiboSender(ChannelSender):
    channel = "weibo"
    max_chars = MAX_TEXT_CHARS
    quota_statuses = ("passive", "sent")  # the one reply a mention allows may be passive

    def __init__(self, access_token: str, api_base: str) -> None:
        self._access_token = access_token
        self.api_base = api_base.rstrip("/")

    def window_limits(self, window: ReplyWindow) -> tuple[timedelta | None, int | None]:
        return REPLY_WINDOW, 1 if window.reply_context.get("single_reply") else None

    def check_window(self, window: ReplyWindow, now: datetime) -> None:
        context = window.reply_context
        if context.get("unfollowed"):
            raise DeliveryRefused("用户已取消关注, 无法发送")
        age = window.age_seconds(now)
        if age is None or age > REPLY_WINDOW.total_seconds():
            raise DeliveryRefused("回复窗口已过: 用户最后一次互动后 48 小时内才能发送")
        if context.get("single_reply") and window.sent_since_inbound >= 1:
            raise DeliveryRefused("@提及只允许回复一次, 已回复")

    async def deliver(self, user_id: str, text: str, window: ReplyWindow) -> str | None:
        form = {
            "access_token": self._access_token,
            "type": "text",
            # A JSON string, URL-encoded once by the form encoding: no quoting here (§3.4).
            "data": json.dumps({"text": text}, ensure_ascii=False),
            "receiver_id": user_id,
            "save_sender_box": "1",
        }
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as client:
                reply = await client.post(f"{self.api_base}/2/messages/reply.json", data=form)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"微博接口无法访问: {type(error).__name__}") from error
        try:
            body = reply.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if reply.status_code >= 300 or "error_code" in body:
            raise DeliveryFailed(
                f"微博接口错误 HTTP {reply.status_code} "
                f"error_code {body.get('error_code')}: {body.get('error', '')}"
            )
        # The success body is unconfirmed (§3.4): keep an id if there is one.
        message_id = body.get("id") or body.get("idstr")
        return str(message_id) if message_id else None


class WeiboInput(PlatformInput):
    """Weibo fans-service webhook at /webhooks/weibo/webhook; on when WEIBO_APP_SECRET and
    WEIBO_ACCESS_TOKEN are set."""

    @classmethod
    def name(cls) -> str:
        return "weibo"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WeiboInput:
        secret, token = os.environ.get("WEIBO_APP_SECRET"), os.environ.get("WEIBO_ACCESS_TOKEN")
        if not secret or not token:
            return cls(None)
        sender = WeiboSender(token, os.environ.get("WEIBO_API_BASE") or DEFAULT_API_BASE)
        return cls(WeiboWebhook(sender, service_line_from_env("WEIBO_SERVICE_LINE"), secret))
