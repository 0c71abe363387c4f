"""A fake QQ bot platform (channels.md §2.8): the pusher that signs and re-sends webhook events,
and the OpenAPI (a real HTTP server on 127.0.0.1) that enforces the passive-reply rules.

Also the plumbing both fakes (QQ and Weibo) share: a push, sending it to a webhook in this
process or over HTTP, and a threaded local HTTP server.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import httpx
from sanic.compat import Header
from sanic.request import Request

from bot.channels.qq import signing_key
from bot.channels.webhook import OnNewMessage, PlatformWebhook
from tests.channels.stand_in import recorded

SHANGHAI = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Push:
    """One HTTP request a platform makes to our webhook."""

    method: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


Send = Callable[[Push], Awaitable[Answer]]


def to_webhook(webhook: PlatformWebhook, on_new_message: OnNewMessage) -> Send:
    """Pushes handled by the webhook in this process, through a real Sanic request, with the
    turns recorded as Rasa records them."""

    async def send(push: Push) -> Answer:
        url = "/webhook" + (f"?{urlencode(push.query)}" if push.query else "")
        request = Request(url.encode(), Header(push.headers), "1.1", push.method, None, None)
        request.body = push.body
        answer = await webhook.serve(request, recorded(on_new_message))
        return Answer(answer.status, answer.body or b"")

    return send


def over_http(url: str) -> Send:
    """Pushes sent over HTTP, as the platform does."""

    async def send(push: Push) -> Answer:
        async with httpx.AsyncClient(timeout=None) as client:
            answer = await client.request(
                push.method, url, params=push.query, headers=push.headers, content=push.body
            )
        return Answer(answer.status_code, answer.content)

    return send


async def deliver(push: Push, send: Send, timeout: float, resends: int = 3) -> list[Answer]:
    """What the platform does with one push: wait `timeout` for the answer, then re-send the
    very same request, up to `resends` times. The answers received, in order."""
    answers = []
    for _ in range(1 + resends):
        try:
            answers.append(await asyncio.wait_for(send(push), timeout))
            return answers
        except asyncio.TimeoutError:
            continue
    return answers


class LocalServer:
    """A ThreadingHTTPServer on a free port of 127.0.0.1 calling `handle(method, path, headers,
    body) -> (status, json)` for every request."""

    def __init__(self, handle: Callable[[str, str, dict[str, str], bytes], tuple[int, Any]]):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.lock:
                    status, payload = handle(self.command, self.path, dict(self.headers), body)
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---------------------------------------------------------------------------- the pusher


class QQPusher:
    """QQ's webhook side: validation (op 13) and signed events (op 0), headers as QQ sends
    them (§2.3, §2.4, KarinJS README)."""

    def __init__(self, secret: str, app_id: str, api: FakeQQApi | None = None) -> None:
        self.key = signing_key(secret)
        self.app_id = app_id
        self.api = api  # told about each user message, so it can police the replies

    def validation(self, plain_token: str, event_ts: str, signed: bool = False) -> Push:
        body = json.dumps({"d": {"plain_token": plain_token, "event_ts": event_ts}, "op": 13})
        return self._push(body.encode(), signed)

    def event(self, event: str, d: dict[str, Any], timestamp: int | None = None) -> Push:
        payload = {"id": f"{event}:{uuid.uuid4()}", "op": 0, "d": d, "s": 1, "t": event}
        return self._push(json.dumps(payload, ensure_ascii=False).encode(), True, timestamp)

    def c2c(
        self, openid: str, content: str, attachments: list[dict[str, Any]] | None = None
    ) -> Push:
        d = self._message(content, attachments) | {"author": {"user_openid": openid}}
        if self.api:
            self.api.user_wrote(d["id"], "c2c", openid)
        return self.event("C2C_MESSAGE_CREATE", d)

    def group_at(self, group_openid: str, member_openid: str, content: str) -> Push:
        d = self._message(f" {content}", None) | {
            "author": {"member_openid": member_openid},
            "group_openid": group_openid,
        }
        if self.api:
            self.api.user_wrote(d["id"], "group", group_openid)
        return self.event("GROUP_AT_MESSAGE_CREATE", d)

    def sign(self, body: bytes, timestamp: str) -> str:
        return self.key.sign(timestamp.encode() + body).hex()

    def _message(self, content: str, attachments: list[dict[str, Any]] | None) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": f"ROBOT1.0_{uuid.uuid4().hex}",
            "content": content,
            "timestamp": datetime.now(SHANGHAI).isoformat(timespec="seconds"),
        }
        if attachments:
            d["attachments"] = attachments
        return d

    def _push(self, body: bytes, signed: bool, timestamp: int | None = None) -> Push:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "QQBot-Callback",
            "X-Bot-Appid": self.app_id,
        }
        if signed:
            stamp = str(timestamp if timestamp is not None else int(time.time()))
            headers |= {
                "X-Signature-Ed25519": self.sign(body, stamp),
                "X-Signature-Method": "Ed25519",
                "X-Signature-Timestamp": stamp,
            }
        return Push("POST", {}, headers, body)


# ---------------------------------------------------------------------------- the OpenAPI

WINDOWS = {"c2c": timedelta(minutes=60), "group": timedelta(minutes=5)}


@dataclass
class UserMessageRecord:
    scene: str
    target: str  # the user's openid (c2c) or the group's openid
    at: float
    seqs: list[int] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)


class FakeQQApi:
    """`/app/getAppAccessToken` and the v2 message endpoints, with QQ's rules (§2.6, §2.7).

    The clock can be moved forward (`advance`) to close windows and expire tokens."""

    def __init__(self, app_id: str, secret: str, token_lifetime: int = 7200) -> None:
        self.app_id, self.secret, self.token_lifetime = app_id, secret, token_lifetime
        self.offset = 0.0
        self.tokens: dict[str, float] = {}  # token → expiry
        self.current: str | None = None
        self.token_requests = 0
        self.messages: dict[str, UserMessageRecord] = {}
        self.calls: list[dict[str, Any]] = []
        self.rate_limit_next = False
        self.server = LocalServer(self.handle)
        self.url = self.server.url
        self.token_url = f"{self.url}/app/getAppAccessToken"

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        with self.server.lock:
            self.offset += seconds

    def revoke_tokens(self) -> None:
        with self.server.lock:
            self.tokens.clear()
            self.current = None

    def user_wrote(self, msg_id: str, scene: str, target: str) -> None:
        with self.server.lock:
            self.messages[msg_id] = UserMessageRecord(scene, target, self.now())

    def replies_to(self, msg_id: str) -> list[str]:
        with self.server.lock:
            return list(self.messages[msg_id].replies)

    def close(self) -> None:
        self.server.close()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes):
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, {"code": 40000, "message": "invalid json"}
        if method == "POST" and path == "/app/getAppAccessToken":
            return self._token(payload)
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 4 and parts[0] == "v2" and parts[3] == "messages":
            scene = {"users": "c2c", "groups": "group"}.get(parts[1])
            if scene:
                return self._message(scene, parts[2], headers, payload)
        return 404, {"code": 404, "message": "not found"}

    def _token(self, payload: dict[str, Any]):
        self.token_requests += 1
        if payload.get("appId") != self.app_id or payload.get("clientSecret") != self.secret:
            return 200, {"code": 100016, "message": "invalid appid or secret"}
        now = self.now()
        # The same token until its last 60 s; then a new one, the old one still valid (§2.6).
        if self.current is None or self.tokens.get(self.current, 0) - now <= 60:
            self.current = uuid.uuid4().hex
            self.tokens[self.current] = now + self.token_lifetime
        left = int(self.tokens[self.current] - now)
        return 200, {"access_token": self.current, "expires_in": str(left)}  # a string

    def _message(self, scene: str, target: str, headers: dict[str, str], body: dict[str, Any]):
        self.calls.append({"scene": scene, "target": target, **body})
        auth = headers.get("Authorization", "")
        token = auth.removeprefix("QQBot ")
        if not auth.startswith("QQBot ") or self.tokens.get(token, 0) <= self.now():
            return 401, {"code": 11244, "message": "token not exist or expire"}
        if self.rate_limit_next:
            self.rate_limit_next = False
            return 429, {"code": 20028, "message": "请求过于频繁"}
        if scene == "group" and not body.get("content"):
            return 400, {"code": 40034001, "message": "content 不能为空"}
        msg_id = body.get("msg_id")
        if not msg_id and not body.get("event_id"):
            # Active messages are discontinued (§2.7); the exact code is unconfirmed.
            return 400, {"code": 304022, "message": "主动消息已停止, 需要 msg_id 或 event_id"}
        record = self.messages.get(msg_id)
        if record is None or record.scene != scene or record.target != target:
            return 400, {"code": 304026, "message": "msg_id 无效"}
        if self.now() - record.at > WINDOWS[scene].total_seconds():
            return 400, {"code": 304027, "message": "MSG_EXPIRE"}
        if len(record.seqs) >= 5:
            return 400, {"code": 22009, "message": "msg limit exceed"}
        seq = int(body.get("msg_seq") or 1)
        if seq in record.seqs:
            return 400, {"code": 40054005, "message": "消息被去重，请检查请求msgseq"}
        record.seqs.append(seq)
        record.replies.append(body.get("content", ""))
        stamp = datetime.fromtimestamp(self.now(), SHANGHAI).isoformat(timespec="seconds")
        return 200, {"id": f"reply-{uuid.uuid4().hex[:12]}", "timestamp": stamp}
