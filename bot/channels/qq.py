"""QQ official bot (API v2) over the webhook (channels.md §2).

Pushes are signed with an ed25519 key derived from the bot secret and acknowledged at once;
QQ takes no reply in the HTTP response, so every answer goes through the OpenAPI as a passive
reply on the user's latest msg_id (60 min in private chat, 5 min in groups, 5 per message).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import weakref
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import Inbound
from bot.channels.ledger import ReplyLedger
from bot.channels.menu import SHARE_MEDIA, service_line_from_env
from bot.channels.sender import (
    ChannelSender,
    Delivery,
    DeliveryFailed,
    DeliveryRefused,
    ReplyWindow,
)
from bot.channels.webhook import (
    BadRequest,
    Forbidden,
    PlatformInput,
    PlatformWebhook,
    check_fresh,
)

DEFAULT_API_BASE = "https://api.sgroup.qq.com"
DEFAULT_TOKEN_URL = "https://bots.qq.com/app/getAppAccessToken"
# QQ asks for at least 5 s (§2.7); a reply later than this is better recorded as failed.
HTTP_TIMEOUT_SECONDS = 10.0
# Within its last 60 s a token request returns a new token (§2.6): fetch it then.
TOKEN_REFRESH_SECONDS = 60

REPLY_WINDOWS = {"c2c": timedelta(minutes=60), "group": timedelta(minutes=5)}
REPLIES_PER_MESSAGE = 5

# Codes after which the message cannot go out now, however often we try (§2.7).
REFUSING_CODES = {
    22009: "QQ 拒收: 该消息的回复次数已用完 (22009 msg limit exceed)",
    304027: "QQ 拒收: 回复窗口已过 (304027 MSG_EXPIRE)",
}

ACK = {"op": 12, "d": 0}


def signing_key(secret: str) -> Ed25519PrivateKey:
    """The bot's ed25519 key: the secret repeated to 32 characters is the seed (§2.2)."""
    seed = secret * (32 // len(secret) + 1)
    return Ed25519PrivateKey.from_private_bytes(seed[:32].encode())


class QQWebhook(PlatformWebhook):
    channel = "qq"
    passive_deadline = None

    def __init__(
        self,
        sender: ChannelSender,
        service_line: str,
        secret: str,
        ledger: ReplyLedger | None = None,
    ) -> None:
        super().__init__(sender, service_line, ledger)
        self._key = signing_key(secret)
        self._public_key = self._key.public_key()

    def handshake(self, request: Request) -> HTTPResponse | None:
        # Whether op 13 is signed is unconfirmed (§2.3): check it when it is.
        if request.headers.get("X-Signature-Ed25519"):
            self.verify(request)
        payload = self._payload(request)
        if payload.get("op") != 13:
            return None
        d = payload.get("d")
        if not isinstance(d, dict) or not d.get("plain_token") or not d.get("event_ts"):
            raise BadRequest("op 13 without plain_token and event_ts")
        plain_token, event_ts = str(d["plain_token"]), str(d["event_ts"])
        signature = self._key.sign((event_ts + plain_token).encode()).hex()
        return response.json({"plain_token": plain_token, "signature": signature})

    def verify(self, request: Request) -> None:
        signature_hex = request.headers.get("X-Signature-Ed25519", "")
        timestamp = request.headers.get("X-Signature-Timestamp", "")
        if not signature_hex or not timestamp:
            raise Forbidden("missing X-Signature-Ed25519 or X-Signature-Timestamp")
        try:
            signature = bytes.fromhex(signature_hex)
            sent_at = int(timestamp)
        except ValueError as bad:
            raise Forbidden("signature or timestamp is not well formed") from bad
        if len(signature) != 64 or signature[63] & 224:
            raise Forbidden("not an ed25519 signature")
        try:
            # Over the raw bytes: re-serialised JSON would not match (§2.4).
            self._public_key.verify(signature, timestamp.encode() + (request.body or b""))
        except InvalidSignature as forged:
            raise Forbidden("signature does not match") from forged
        check_fresh(sent_at)

    def parse(self, request: Request) -> Inbound | None:
        payload = self._payload(request)
        event, d = payload.get("t"), payload.get("d")
        if payload.get("op") != 0 or not isinstance(d, dict):
            return None
        if event == "C2C_MESSAGE_CREATE":
            return self._message(d, "c2c", _field(d, "author", "user_openid"))
        if event == "GROUP_AT_MESSAGE_CREATE":
            return self._message(d, "group", _field(d, "author", "member_openid"))
        if event == "FRIEND_DEL":
            return self._unfollowed(payload, _field(d, "openid"), "[用户删除了机器人好友]")
        if event == "GROUP_DEL_ROBOT":
            # Recorded on the conversation of the member who removed the bot.
            note = f"[机器人被移出群 {d.get('group_openid', '')}]"
            return self._unfollowed(payload, _field(d, "op_member_openid"), note)
        return None

    def passive_reply(self, inbound: Inbound, texts: list[str]) -> HTTPResponse:
        # Never called: with passive_deadline None every reply goes through QQSender.
        return self.ack(inbound)

    def ack(self, inbound: Inbound | None) -> HTTPResponse:
        return response.json(ACK)

    def _payload(self, request: Request) -> dict[str, Any]:
        if not hasattr(request.ctx, "qq_payload"):
            try:
                payload = json.loads(request.body or b"")
            except ValueError as malformed:
                raise BadRequest("body is not JSON") from malformed
            if not isinstance(payload, dict):
                raise BadRequest("body is not a JSON object")
            request.ctx.qq_payload = payload
        return request.ctx.qq_payload

    def _message(self, d: dict[str, Any], scene: str, user_id: str) -> Inbound:
        message_id = _field(d, "id")
        received_at = datetime.now(timezone.utc)
        context: dict[str, Any] = {
            "scene": scene,
            "msg_id": message_id,
            # The platform's time of the message opens its reply window, not our receipt.
            "received_at": _platform_time(d.get("timestamp"), received_at).isoformat(),
        }
        if scene == "group":
            context["group_openid"] = _field(d, "group_openid")
        content = str(d.get("content") or "").strip()  # group @ messages start with a space
        attachments = [a for a in d.get("attachments") or [] if isinstance(a, dict)]
        if attachments:
            files = " ".join(
                f"[{a.get('content_type', '附件')}] {a.get('url', '')}" for a in attachments
            )
            return Inbound(
                "qq", user_id, f"qq:{message_id}", received_at, kind="image", text=SHARE_MEDIA,
                note=f"{content} {files}".strip(), reply_context=context,
                service_line=self.service_line,
            )  # fmt: skip
        if not content:
            raise BadRequest("message without content or attachments")
        return Inbound(
            "qq", user_id, f"qq:{message_id}", received_at, text=content,
            reply_context=context, service_line=self.service_line,
        )  # fmt: skip

    def _unfollowed(self, payload: dict[str, Any], user_id: str, note: str) -> Inbound:
        # Events carry no d.id; the top-level id is what a re-send repeats.
        event_id = payload.get("id")
        if not event_id:
            raise BadRequest("event without id")
        return Inbound(
            "qq", user_id, f"qq:{event_id}", datetime.now(timezone.utc), kind="event",
            note=note, reply_context={"unfollowed": True}, service_line=self.service_line,
        )  # fmt: skip


def _field(d: dict[str, Any], *path: str) -> str:
    value: Any = d
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    if not value:
        raise BadRequest(f"event without {'.'.join(path)}")
    return str(value)


def _platform_time(stamp: Any, default: datetime) -> datetime:
    """QQ's RFC 3339 timestamp in UTC; our receipt time if it is missing or unreadable."""
    try:
        parsed = datetime.fromisoformat(str(stamp))
    except ValueError:
        return default
    if parsed.tzinfo is None:
        return default
    return min(parsed.astimezone(timezone.utc), default)


class QQSender(ChannelSender):
    channel = "qq"
    # QQ's text limit is unconfirmed (§2.7); each part uses one of the 5 replies.
    max_chars = 2000

    def __init__(self, app_id: str, secret: str, api_base: str, token_url: str) -> None:
        self.app_id = app_id
        self._secret = secret
        self.api_base = api_base.rstrip("/")
        self.token_url = token_url
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()
        # One send at a time per conversation, so two replies never take the same msg_seq.
        self._conversation_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def send(self, sender_id: str, text: str) -> list[Delivery]:
        lock = self._conversation_locks.setdefault(sender_id, asyncio.Lock())
        async with lock:
            return await super().send(sender_id, text)

    def window_opened(self, window: ReplyWindow) -> datetime | None:
        return _window_opened(window)

    def window_limits(self, window: ReplyWindow) -> tuple[timedelta | None, int | None]:
        return REPLY_WINDOWS[window.reply_context.get("scene", "c2c")], REPLIES_PER_MESSAGE

    def check_window(self, window: ReplyWindow, now: datetime) -> None:
        context = window.reply_context
        if context.get("unfollowed"):
            raise DeliveryRefused("用户已删除机器人好友或将机器人移出群, 无法回复")
        if not context.get("msg_id"):
            raise DeliveryRefused("用户没有可回复的消息 (QQ 已停止主动消息)")
        limit = REPLY_WINDOWS[context.get("scene", "c2c")]
        opened = _window_opened(window)
        if opened is None or now - opened > limit:
            raise DeliveryRefused(
                f"回复窗口已过: 用户最后一条消息后 {limit.seconds // 60} 分钟内才能回复"
            )
        if window.sent_since_inbound >= REPLIES_PER_MESSAGE:
            raise DeliveryRefused(f"该消息的 {REPLIES_PER_MESSAGE} 次回复已用完, 需等用户再发消息")

    async def deliver(self, user_id: str, text: str, window: ReplyWindow) -> str | None:
        context = window.reply_context
        if context.get("scene") == "group":
            path = f"/v2/groups/{context['group_openid']}/messages"
        else:
            path = f"/v2/users/{user_id}/messages"
        body = {
            "content": text,
            "msg_type": 0,
            "msg_id": context["msg_id"],
            # Counted from the replies the platform took since this message: survives restarts.
            "msg_seq": window.sent_since_inbound + 1,
        }
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as client:
            reply = await self._post(client, path, body)
            if reply.status_code == 401:  # a token revoked early: fetch a new one, once
                reply = await self._post(client, path, body, refetch=True)
        return _message_id(reply)

    async def _post(
        self, client: httpx.AsyncClient, path: str, body: dict[str, Any], refetch: bool = False
    ) -> httpx.Response:
        token = await self._access_token(client, refetch)
        headers = {"Authorization": f"QQBot {token}", "X-Union-Appid": self.app_id}
        try:
            return await client.post(self.api_base + path, json=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"QQ 接口无法访问: {type(error).__name__}") from error

    async def _access_token(self, client: httpx.AsyncClient, refetch: bool) -> str:
        async with self._token_lock:
            left = self._token_expires - time.monotonic()
            if refetch or self._token is None or left <= TOKEN_REFRESH_SECONDS:
                self._token, lifetime = await self._fetch_token(client)
                self._token_expires = time.monotonic() + lifetime
            return self._token

    async def _fetch_token(self, client: httpx.AsyncClient) -> tuple[str, int]:
        body = {"appId": self.app_id, "clientSecret": self._secret}
        try:
            reply = await client.post(self.token_url, json=body)
            data = reply.json()
            # expires_in comes as a string ("7200"), whatever the table says (§2.6).
            return str(data["access_token"]), int(data["expires_in"])
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"QQ access token 接口无法访问: {type(error).__name__}") from error
        except (ValueError, KeyError, TypeError) as error:
            raise DeliveryFailed(f"QQ access token 获取失败: HTTP {reply.status_code}") from error


def _window_opened(window: ReplyWindow) -> datetime | None:
    """When the user's latest message was sent, by the platform's clock if we have it."""
    stamp = window.reply_context.get("received_at")
    opened = datetime.fromisoformat(stamp) if stamp else window.last_inbound_at
    if opened is not None and opened.tzinfo is None:  # SQLite returns naive UTC
        opened = opened.replace(tzinfo=timezone.utc)
    return opened


def _message_id(reply: httpx.Response) -> str | None:
    try:
        data = reply.json()
    except ValueError:
        data = {}
    if reply.status_code < 300:
        return str(data["id"]) if isinstance(data, dict) and data.get("id") else None
    code = data.get("code") if isinstance(data, dict) else None
    message = data.get("message", "") if isinstance(data, dict) else ""
    if code in REFUSING_CODES:
        raise DeliveryRefused(REFUSING_CODES[code])
    if reply.status_code == 429:
        raise DeliveryFailed(f"QQ 限流 (HTTP 429): {message}")
    raise DeliveryFailed(f"QQ 接口错误 HTTP {reply.status_code} code {code}: {message}")


class QQInput(PlatformInput):
    """QQ bot webhook at /webhooks/qq/webhook; on when QQ_APP_ID and QQ_APP_SECRET are set."""

    @classmethod
    def name(cls) -> str:
        return "qq"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> QQInput:
        app_id, secret = os.environ.get("QQ_APP_ID"), os.environ.get("QQ_APP_SECRET")
        if not app_id or not secret:
            return cls(None)
        api_base = os.environ.get("QQ_API_BASE") or DEFAULT_API_BASE
        sender = QQSender(
            app_id, secret, api_base, os.environ.get("QQ_TOKEN_URL") or DEFAULT_TOKEN_URL
        )
        return cls(QQWebhook(sender, service_line_from_env("QQ_SERVICE_LINE"), secret))
