"""A fake Weibo fans service (channels.md §3.5): the pusher that signs every push, waits 5 s for
the passive reply and re-sends, and `2/messages/reply.json` with the platform's rules."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, unquote

from bot.channels.weibo import signature
from tests.channels.fake_qq import Answer, LocalServer, Push, Send, deliver

SHANGHAI = timezone(timedelta(hours=8))
# Interactions after which the account may reply freely for 48 h (§3.4).
OPENING = {"text", "position", "voice", "image", "follow", "subscribe", "scan", "scan_follow",
           "click"}  # fmt: skip
WINDOW_SECONDS = 48 * 3600


class WeiboPusher:
    """Weibo's side of the webhook: URL verification and JSON pushes, every one signed."""

    def __init__(self, app_secret: str, account_id: int, api: FakeWeiboApi | None = None):
        self.app_secret, self.account_id, self.api = app_secret, account_id, api
        self.passive: list[tuple[int, str]] = []  # (fan, text) answered in the HTTP response
        self._second = int(time.time())

    def query(self, timestamp_ms: int | None = None, **extra: str) -> dict[str, str]:
        stamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
        nonce = str(uuid.uuid4().int % 10**8)
        return {"signature": signature(self.app_secret, stamp, nonce), "timestamp": stamp,
                "nonce": nonce, **extra}  # fmt: skip

    def verification(self, echostr: str) -> Push:
        return Push("GET", self.query(echostr=echostr), {})

    def push(self, kind: str, fan: int, text: str = "", data: dict[str, Any] | None = None) -> Push:
        # Weibo's created_at has whole seconds: give each push its own, as a user typing would.
        self._second += 1
        created_at = datetime.fromtimestamp(self._second, SHANGHAI)
        body = {
            "type": kind,
            "receiver_id": self.account_id,
            "sender_id": fan,
            "created_at": created_at.strftime("%a %b %d %H:%M:%S %z %Y"),
            "text": text,
            "data": data or {},
        }
        if self.api:
            self.api.fan_did(fan, (data or {}).get("subtype") or kind)
        encoded = json.dumps(body, ensure_ascii=False).encode()
        return Push("POST", self.query(), {"Content-Type": "application/json"}, encoded)

    def text(self, fan: int, text: str) -> Push:
        return self.push("text", fan, text)

    def event(self, fan: int, subtype: str, key: str | None = None) -> Push:
        data = {"subtype": subtype} | ({"key": key} if key is not None else {})
        return self.push("event", fan, "", data)

    async def deliver(self, push: Push, send: Send, timeout: float = 5.0) -> list[Answer]:
        """Send a push as Weibo does; check and keep a passive reply if there is one."""
        answers = await deliver(push, send, timeout)
        if answers:
            self._check(push, answers[-1])
        return answers

    def _check(self, push: Push, answer: Answer) -> None:
        assert answer.status == 200, answer
        if not answer.body.strip():
            return  # blank: acknowledged, no reply
        reply = json.loads(answer.body)
        sent = json.loads(push.body)
        assert reply["result"] is True
        assert (reply["sender_id"], reply["receiver_id"]) == (
            sent["receiver_id"],
            sent["sender_id"],
        )
        assert reply["type"] == "text"
        # `data` must be a URL-encoded JSON string (§3.3).
        assert isinstance(reply["data"], str) and "{" not in reply["data"]
        text = json.loads(unquote(reply["data"]))["text"]
        assert len(text) < 300
        self.passive.append((sent["sender_id"], text))
        if self.api:
            self.api.received.append((sent["sender_id"], text))


@dataclass
class Fan:
    last_opened: float | None = None  # last interaction that opens 48 h of replies
    mention_at: float | None = None
    mention_replied: bool = False
    unfollowed: bool = False
    replies: list[str] = field(default_factory=list)


class FakeWeiboApi:
    """`POST /2/messages/reply.json`: form-encoded, 48 h after the fan's last interaction, one
    reply to an @mention, none after an unfollow (§3.4). The error codes are unconfirmed; the
    format is Weibo's `{"request","error_code","error"}`."""

    PATH = "/2/messages/reply.json"

    def __init__(self, access_token: str) -> None:
        self.access_token = access_token
        self.offset = 0.0
        self.fans: dict[int, Fan] = {}
        self.calls: list[dict[str, str]] = []
        self.received: list[tuple[int, str]] = []  # every text a fan got, passive or not
        self.server = LocalServer(self.handle)
        self.url = self.server.url

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        with self.server.lock:
            self.offset += seconds

    def fan_did(self, fan: int, what: str) -> None:
        with self.server.lock:
            state = self.fans.setdefault(fan, Fan())
            if what in OPENING:
                state.last_opened, state.unfollowed = self.now(), False
            elif what in ("unfollow", "unsubscribe"):
                state.unfollowed = True
            elif what in ("status", "comment", "mention"):
                state.mention_at, state.mention_replied = self.now(), False

    def texts_to(self, fan: int) -> list[str]:
        with self.server.lock:
            return [text for to, text in self.received if to == fan]

    def close(self) -> None:
        self.server.close()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes):
        if method != "POST" or path.split("?")[0] != self.PATH:
            return 404, self._error(10014, "request api not found")
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return 400, self._error(10008, "param error, form encoding required")
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        self.calls.append(form)
        if form.get("access_token") != self.access_token:
            return 403, self._error(21332, "invalid_access_token")
        try:
            # Decoded once by the form: a JSON object now, or it was encoded twice.
            text = json.loads(form["data"])["text"]
            fan = int(form["receiver_id"])
        except (KeyError, ValueError, TypeError):
            return 400, self._error(10008, "param error: data, receiver_id")
        if form.get("type") != "text" or form.get("save_sender_box", "1") not in ("0", "1"):
            return 400, self._error(10008, "param error: type, save_sender_box")
        state = self.fans.get(fan, Fan())
        now = self.now()
        if state.unfollowed:
            return 400, self._error(21602, "user unfollowed")
        if state.last_opened is not None and now - state.last_opened <= WINDOW_SECONDS:
            pass
        elif (
            state.mention_at is not None
            and now - state.mention_at <= WINDOW_SECONDS
            and not state.mention_replied
        ):
            state.mention_replied = True
        else:
            return 400, self._error(21603, "out of reply window")
        state.replies.append(text)
        self.received.append((fan, text))
        return 200, {"result": True, "id": uuid.uuid4().int % 10**16}

    def _error(self, code: int, error: str) -> dict[str, Any]:
        return {"request": self.PATH, "error_code": code, "error": error}
