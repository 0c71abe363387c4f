"""A fake of WeChat's servers, built from ../shared/docs/channels.md §1 and independent of
wechatpy, so the two check each other.

- `Pusher`: what WeChat does with a user's message: signs the push (and in compatible/safe mode
  encrypts it) exactly as the platform does, POSTs it with a 5 s timeout, re-sends the same XML
  up to 3 times, and reads the answer as the user's phone would show it.
- `FakeWeChatAPI`: a real HTTP server on 127.0.0.1 for `/cgi-bin/token` and
  `/cgi-bin/message/custom/send`, enforcing the customer-service window and quotas, content
  length, and access tokens that another fetch replaces.
- `WebhookServer`: a channel's blueprint in a real Sanic server, so a timed-out connection is
  really dropped, as when WeChat gives up.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import secrets
import socket
import struct
import threading
import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from itertools import cycle
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Sanic

from tests.channels.stand_in import recorded
from tests.fake_http import LocalHTTPServer

WECHAT_TIMEOUT = 5.0  # WeChat drops the connection after 5 s …
WECHAT_RESENDS = 3  # … and re-sends the same push, three times in total
WINDOW_SECONDS = 48 * 3600  # user message: 5 customer-service messages within 48 h
WINDOW_QUOTA = 5
EVENT_WINDOW_SECONDS = 60  # menu click, subscribe, QR scan: 3 within a minute
EVENT_WINDOW_QUOTA = 3
MAX_CONTENT_BYTES = 2048  # reported, unconfirmed (channels.md §1.6)
UNAVAILABLE = "该公众号暂时无法提供服务,请稍后再试"  # what the user sees after a bad answer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sign(*parts: str) -> str:
    """sha1 of the sorted, concatenated parts: `signature` and `msg_signature`."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


@dataclass(frozen=True)
class Account:
    token: str = "callcentre"
    app_id: str = "wx49f0ab532d5d035a"
    secret: str = "0123456789abcdef0123456789abcdef"
    encoding_aes_key: str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
    original_id: str = "gh_1234567890ab"

    def env(self, mode: str, api_base: str) -> dict[str, str]:
        """The server's environment for this account in `mode` (plain, compatible, safe)."""
        env = {
            "WECHAT_TOKEN": self.token,
            "WECHAT_APP_ID": self.app_id,
            "WECHAT_APP_SECRET": self.secret,
            "WECHAT_API_BASE": api_base,
        }
        if mode != "plain":
            env["WECHAT_ENCODING_AES_KEY"] = self.encoding_aes_key
        return env


class MessageCipher:
    """AES-256-CBC, IV = key[:16]; random(16) + big-endian length + XML + AppID; PKCS#7 to 32."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.app_id = app_id.encode()

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, xml: str, random: bytes | None = None) -> str:
        message = xml.encode()
        plain = (random or secrets.token_hex(8).encode()) + struct.pack(">I", len(message))
        plain += message + self.app_id
        pad = 32 - len(plain) % 32
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= 32:
            raise ValueError("bad padding")
        content = plain[16:-pad]
        (length,) = struct.unpack(">I", content[:4])
        if content[4 + length :] != self.app_id:
            raise ValueError("encrypted for another AppID")
        return content[4 : 4 + length].decode()


# Pushes, as WeChat builds them (channels.md §1.2; wechatpy's tests/test_parser.py).


def _push(
    openid: str, account: Account, msg_type: str, fields: str, create_time: int | None
) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{account.original_id}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>{fields}</xml>"
    )


def new_msg_id() -> int:
    return secrets.randbits(63)


def text_push(openid: str, content: str, account: Account = Account()) -> str:
    fields = f"<Content><![CDATA[{content}]]></Content><MsgId>{new_msg_id()}</MsgId>"
    return _push(openid, account, "text", fields, None)


def image_push(openid: str, pic_url: str, account: Account = Account()) -> str:
    fields = (
        f"<PicUrl><![CDATA[{pic_url}]]></PicUrl><MediaId><![CDATA[media_id]]></MediaId>"
        f"<MsgId>{new_msg_id()}</MsgId>"
    )
    return _push(openid, account, "image", fields, None)


def voice_push(openid: str, recognition: str | None, account: Account = Account()) -> str:
    fields = "<MediaId><![CDATA[media_id]]></MediaId><Format><![CDATA[amr]]></Format>"
    if recognition is not None:
        fields += f"<Recognition><![CDATA[{recognition}]]></Recognition>"
    return _push(openid, account, "voice", fields + f"<MsgId>{new_msg_id()}</MsgId>", None)


def location_push(openid: str, label: str, account: Account = Account()) -> str:
    fields = (
        "<Location_X>36.651216</Location_X><Location_Y>117.120095</Location_Y>"
        f"<Scale>15</Scale><Label><![CDATA[{label}]]></Label><MsgId>{new_msg_id()}</MsgId>"
    )
    return _push(openid, account, "location", fields, None)


def event_push(
    openid: str,
    event: str,
    key: str | None = None,
    create_time: int | None = None,
    account: Account = Account(),
) -> str:
    """subscribe, unsubscribe, CLICK, VIEW …: no MsgId, so FromUserName + CreateTime identify it."""
    fields = f"<Event><![CDATA[{event}]]></Event>"
    if key is not None:
        fields += f"<EventKey><![CDATA[{key}]]></EventKey>"
    return _push(openid, account, "event", fields, create_time)


def _fields(xml: str) -> dict[str, str]:
    return {child.tag: child.text or "" for child in ElementTree.fromstring(xml)}


def _openid(xml: str) -> str:
    """The sender, without parsing: tests also push XML no parser should read."""
    found = re.search(r"<FromUserName>(?:<!\[CDATA\[)?([^<\]]*)", xml)
    return found.group(1) if found else ""


@dataclass
class Follower:
    """A user's standing with the account, as the customer-service API judges it."""

    following: bool = True
    wrote_at: float | None = None
    sent_since_wrote: int = 0
    event_at: float | None = None
    sent_since_event: int = 0


@dataclass
class SentMessage:
    touser: str
    content: str
    at: float


class FakeWeChatAPI(LocalHTTPServer):
    """`/cgi-bin/token` and `/cgi-bin/message/custom/send` over real HTTP."""

    def __init__(self, account: Account = Account()) -> None:
        self.account = account
        self.followers: dict[str, Follower] = {}
        self.sent: list[SentMessage] = []
        self.token_fetches = 0
        self.send_calls = 0
        self.clock_offset = 0.0
        self._tokens: dict[str, float] = {}  # valid token → expiry
        self._replaced: set[str] = set()
        self._fail_next: list[int] = []
        self._lock = threading.Lock()
        self._listen(self._handler())

    def now(self) -> float:
        return time.time() + self.clock_offset

    # What the platform learns from the user's side (the pusher tells it).

    def saw(self, xml: str) -> None:
        fields = _fields(xml)
        with self._lock:
            follower = self.followers.setdefault(fields["FromUserName"], Follower())
            if fields["MsgType"] != "event":
                follower.wrote_at, follower.sent_since_wrote = self.now(), 0
            elif fields["Event"] == "unsubscribe":
                follower.following = False
            elif fields["Event"] in ("subscribe", "CLICK", "SCAN"):
                follower.following = True
                follower.event_at, follower.sent_since_event = self.now(), 0

    # Levers for tests.

    def replace_tokens(self) -> None:
        """As if another process fetched a token: the current ones answer 40001."""
        with self._lock:
            self._replaced.update(self._tokens)
            self._tokens.clear()

    def fail_next(self, errcode: int) -> None:
        self._fail_next.append(errcode)

    def sent_to(self, openid: str) -> list[str]:
        return [m.content for m in self.sent if m.touser == openid]

    # The HTTP side.

    def _token(self, query: dict[str, str]) -> dict:
        if query.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if query.get("appid") != self.account.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.account.secret:
            return {
                "errcode": 40001,
                "errmsg": "invalid credential, access_token is invalid or not latest",
            }
        with self._lock:
            self.token_fetches += 1
            # A new fetch replaces the old token (the 5-minute overlap is not modelled).
            self._replaced.update(self._tokens)
            self._tokens.clear()
            token = f"TOKEN_{uuid.uuid4().hex}"
            self._tokens[token] = self.now() + 7200
        return {"access_token": token, "expires_in": 7200}

    def _send(self, query: dict[str, str], body: bytes) -> dict:
        with self._lock:
            self.send_calls += 1
            token = query.get("access_token", "")
            if token not in self._tokens:
                if token in self._replaced:
                    return {
                        "errcode": 40001,
                        "errmsg": "invalid credential, access_token is invalid or not latest",
                    }
                return {"errcode": 40014, "errmsg": "invalid access_token"}
            if self._tokens[token] < self.now():
                return {"errcode": 42001, "errmsg": "access_token expired"}
            if self._fail_next:
                return {"errcode": self._fail_next.pop(0), "errmsg": "injected"}
            try:
                data = json.loads(body.decode())
                touser, content = data["touser"], data["text"]["content"]
            except (ValueError, KeyError, TypeError):
                return {"errcode": 47001, "errmsg": "data format error"}
            if len(content.encode()) > MAX_CONTENT_BYTES:
                return {"errcode": 45002, "errmsg": "content size out of limit"}
            errcode = self._use_window(self.followers.get(touser))
            if errcode:
                return {"errcode": errcode, "errmsg": "refused"}
            self.sent.append(SentMessage(touser, content, self.now()))
            return {"errcode": 0, "errmsg": "ok"}

    def _use_window(self, follower: Follower | None) -> int:
        if follower is None or not follower.following:
            return 45015
        now, quota_used = self.now(), False
        if follower.wrote_at is not None and now - follower.wrote_at <= WINDOW_SECONDS:
            if follower.sent_since_wrote < WINDOW_QUOTA:
                follower.sent_since_wrote += 1
                return 0
            quota_used = True
        if follower.event_at is not None and now - follower.event_at <= EVENT_WINDOW_SECONDS:
            if follower.sent_since_event < EVENT_WINDOW_QUOTA:
                follower.sent_since_event += 1
                return 0
            quota_used = True
        return 45047 if quota_used else 45015

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, payload: dict) -> None:
                body = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _route(self) -> tuple[str, dict[str, str]]:
                url = urlsplit(self.path)
                return url.path, {k: v[0] for k, v in parse_qs(url.query).items()}

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path, query = self._route()
                if path == "/cgi-bin/token":
                    return self._answer(api._token(query))
                self.send_error(404)

            def do_POST(self) -> None:  # noqa: N802
                path, query = self._route()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if path == "/cgi-bin/message/custom/send":
                    return self._answer(api._send(query, body))
                self.send_error(404)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@dataclass
class PushResult:
    attempts: int
    status: int | None  # of the last attempt; None: every attempt timed out
    body: str
    reply: str | None  # the passive reply's text, as the user sees it
    seconds: float

    @property
    def acked(self) -> bool:
        """Answered `success` or nothing: no reply now, no re-send."""
        return self.status == 200 and self.body in ("", "success")


class Pusher:
    """WeChat pushing a user's messages to the server URL in plain, compatible or safe mode."""

    def __init__(
        self,
        urls: str | list[str],
        account: Account = Account(),
        mode: str = "plain",
        api: FakeWeChatAPI | None = None,
        timeout: float = WECHAT_TIMEOUT,
        resends: int = WECHAT_RESENDS,
    ) -> None:
        assert mode in ("plain", "compatible", "safe")
        # Several URLs: a load balancer in front of several server processes.
        self.urls = [urls] if isinstance(urls, str) else urls
        self.account = account
        self.mode = mode
        self.api = api
        self.timeout = timeout
        self.resends = resends
        self.cipher = MessageCipher(account.encoding_aes_key, account.app_id)

    def signed(
        self, xml: str, timestamp: int | None = None, nonce: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """The query and body of one push."""
        timestamp_text = str(timestamp or int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        query = {
            "signature": sign(self.account.token, timestamp_text, nonce),
            "timestamp": timestamp_text,
            "nonce": nonce,
            "openid": _openid(xml),
        }
        if self.mode == "plain":
            return query, xml.encode()
        encrypted = self.cipher.encrypt(xml)
        query["encrypt_type"] = "aes"
        query["msg_signature"] = sign(self.account.token, timestamp_text, nonce, encrypted)
        if self.mode == "safe":
            body = (
                f"<xml><ToUserName><![CDATA[{self.account.original_id}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            )
        else:  # compatible: the plaintext fields and the encrypted copy
            body = xml.replace("</xml>", f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
        return query, body.encode()

    def verify_url(self, echostr: str = "4375120948345356249") -> httpx.Response:
        """The GET WeChat sends when the server URL is saved in the account's settings."""
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        query = {
            "signature": sign(self.account.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": echostr,
        }
        return httpx.get(self.urls[0], params=query, timeout=self.timeout)

    def push(self, xml: str) -> PushResult:
        if self.api is not None:
            self.api.saw(xml)
        query, body = self.signed(xml)
        return self.send(query, body, openid=_openid(xml))

    def send(self, query: dict[str, str], body: bytes, openid: str = "") -> PushResult:
        """POST one push; on a timeout, re-send the very same request."""
        started = time.monotonic()
        urls = cycle(self.urls)
        for attempt in range(1, self.resends + 2):
            try:
                answer = httpx.post(
                    next(urls),
                    params=query,
                    content=body,
                    headers={"Content-Type": "text/xml"},
                    timeout=self.timeout,
                )
            except httpx.TimeoutException:
                continue
            reply = self.read_reply(answer.text, openid) if answer.status_code == 200 else None
            return PushResult(
                attempt, answer.status_code, answer.text, reply, time.monotonic() - started
            )
        return PushResult(self.resends + 1, None, "", None, time.monotonic() - started)

    def read_reply(self, body: str, openid: str) -> str | None:
        """The text the user sees; UNAVAILABLE for an answer WeChat cannot use."""
        if body in ("", "success"):
            return None
        try:
            fields = _fields(body)
            if "Encrypt" in fields:
                expected = sign(
                    self.account.token, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"]
                )
                if self.mode == "plain" or fields.get("MsgSignature") != expected:
                    return UNAVAILABLE
                fields = _fields(self.cipher.decrypt(fields["Encrypt"]))
            elif self.mode == "safe":
                return UNAVAILABLE
        except (ElementTree.ParseError, KeyError, ValueError):
            return UNAVAILABLE
        if (
            fields.get("MsgType") != "text"
            or fields.get("ToUserName") != openid
            or fields.get("FromUserName") != self.account.original_id
        ):
            return UNAVAILABLE
        return fields.get("Content", "")


# The bot and the web server, for webhook tests that need no trained model.

Replies = Callable[[str], list[str]]


@dataclass
class StubBot:
    """Stands in for Rasa's on_new_message: answers each text after `delay` seconds."""

    replies: Replies = lambda text: [f"收到:{text}"]
    delay: float = 0.0
    seen: list[UserMessage] = field(default_factory=list)

    async def __call__(self, message: UserMessage) -> None:
        self.seen.append(message)
        await asyncio.sleep(self.delay)
        for text in self.replies(message.text or ""):
            await message.output_channel.send_text_message(message.sender_id, text)

    @property
    def texts(self) -> list[str]:
        return [m.text or "" for m in self.seen]


class WebhookServer:
    """A channel's blueprint served by a real Sanic server on 127.0.0.1 in a thread, with the
    turns recorded as Rasa records them."""

    def __init__(
        self, channel: InputChannel, on_new_message: Callable[[UserMessage], Awaitable[None]]
    ) -> None:
        Sanic.test_mode = True  # several apps in one process, as sanic-testing allows
        self.app = Sanic(f"test_{channel.name()}_{uuid.uuid4().hex[:8]}")
        prefix = f"/webhooks/{channel.url_prefix()}"  # where Rasa mounts a channel
        self.app.blueprint(channel.blueprint(recorded(on_new_message)), url_prefix=prefix)
        self.port = free_port()
        self.path = f"{prefix}/webhook"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            self.app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
            )
        )
        self._loop.run_until_complete(server.startup())
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())

    def __enter__(self) -> WebhookServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("webhook server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def wait_for(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
