"""`python -m bench.handoff`: how fast the human side of a conversation is (issue 5's figures).

The whole stack `make run` starts (Rasa, actions, scheduler, console; SQLite; Redis for live
events, locks and de-duplication as in production) with WeChat in safe mode against the fake
WeChat API. 200 WeChat users ask for a person and wait in the queue; 20 operators log in to
the console, each claims one of them and watches it over the console's event stream (SSE),
as the page does. Then, round after round, each claimed user writes and their operator
answers:

- user → screen: from the user's encrypted push to the webhook until the operator's event
  stream delivers the conversation with that message in it;
- operator → platform: from the operator's POST of a reply until the fake WeChat API receives
  the customer-service call carrying it.

Rules: ../shared/docs/benchmarks.md. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import machine
from bench.load import percentile
from bench.report import ms, table
from bench.stack import peak_memory
from bot.channels.wechat import WeChatInput
from bot.handoff.operators import add_operator
from bot.launcher import DEFAULT_MODEL, Servers
from bot.store.database import session_scope
from tests.channels.fake_wechat import Account, FakeWeChatAPI, Pusher, text_push
from tests.servers import running_servers

ACCOUNT = Account()
CREDENTIALS = {"rest": None, f"{WeChatInput.__module__}.WeChatInput": None}
WEBHOOK_PATH = "/webhooks/wechat/webhook"
PASSWORD = "bench-password-1"
WAIT_FOR_SCREEN = 15.0
WAIT_FOR_API = 15.0


@dataclass(frozen=True)
class Settings:
    operators: int
    waiting: int
    rounds: int
    think: float


@dataclass
class Figures:
    to_screen: list[float] = field(default_factory=list)
    webhook: list[float] = field(default_factory=list)  # the push's own HTTP response time
    to_platform: list[float] = field(default_factory=list)
    queued: int = 0
    lost: int = 0
    setup_seconds: float = 0.0
    memory: list[tuple[str, float]] = field(default_factory=list)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class User:
    """A WeChat user pushing encrypted text messages to the webhook."""

    def __init__(self, webhook: str, api: FakeWeChatAPI) -> None:
        self.openid = f"oHand{uuid.uuid4().hex[:23]}"
        self.webhook, self.api = webhook, api
        self.pusher = Pusher(webhook, ACCOUNT, mode="safe", api=api)

    @property
    def sender_id(self) -> str:
        return f"wechat:{self.openid}"

    async def say(self, http: httpx.AsyncClient, text: str) -> None:
        xml = text_push(self.openid, text, ACCOUNT)
        self.api.saw(xml)  # the user's message opens the customer-service window
        query, body = self.pusher.signed(xml)
        answer = await http.post(
            self.webhook, params=query, content=body, headers={"Content-Type": "text/xml"}
        )
        answer.raise_for_status()


class Operator:
    """One console login: cookies, CSRF token, and the event stream of one conversation."""

    def __init__(self, console: str, username: str) -> None:
        self.username = username
        self.http = httpx.AsyncClient(base_url=console, timeout=30)
        self.csrf = ""
        self.seen: asyncio.Queue[str] = asyncio.Queue()
        self._stream: asyncio.Task | None = None

    async def log_in(self) -> None:
        token = (await self.http.get("/api/login")).json()["csrf_token"]
        answer = await self.http.post(
            "/api/login",
            json={"username": self.username, "password": PASSWORD},
            headers={"X-CSRF-Token": token},
        )
        answer.raise_for_status()
        self.csrf = answer.json()["csrf_token"]

    async def post(self, path: str, body: dict | None = None) -> dict:
        answer = await self.http.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})
        answer.raise_for_status()
        return answer.json()

    def watch(self, sender_id: str) -> None:
        self._stream = asyncio.ensure_future(self._read_events(sender_id))

    async def _read_events(self, sender_id: str) -> None:
        """Every conversation payload the stream pushes, as text, with its arrival time."""
        event = ""
        params = {"sender": sender_id}
        async with self.http.stream("GET", "/api/events", params=params, timeout=None) as answer:
            async for line in answer.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "conversation":
                    self.seen.put_nowait(line[5:])

    async def until_seen(self, marker: str) -> float:
        """perf_counter() when a pushed conversation first holds `marker`."""
        deadline = time.perf_counter() + WAIT_FOR_SCREEN
        while True:
            payload = await asyncio.wait_for(self.seen.get(), deadline - time.perf_counter())
            if marker in payload:
                return time.perf_counter()

    async def close(self) -> None:
        if self._stream is not None:
            self._stream.cancel()
        await self.http.aclose()


async def until_sent(api: FakeWeChatAPI, openid: str, text: str) -> float:
    """time.time() at which the fake WeChat API received `text` for `openid`."""
    deadline = time.monotonic() + WAIT_FOR_API
    while time.monotonic() < deadline:
        for sent in list(api.sent):
            if sent.touser == openid and sent.content == text:
                return sent.at
        await asyncio.sleep(0.005)
    raise TimeoutError(f"reply {text!r} never reached the WeChat API")


async def fill_queue(users: list[User], http: httpx.AsyncClient) -> None:
    limit = asyncio.Semaphore(10)

    async def ask(user: User) -> None:
        async with limit:
            await user.say(http, "转人工")

    await asyncio.gather(*(ask(user) for user in users))


async def conversation(
    operator: Operator,
    user: User,
    request_id: int,
    api: FakeWeChatAPI,
    settings: Settings,
    figures: Figures,
    rng: random.Random,
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        for turn in range(settings.rounds):
            marker = f"第{turn}条补充说明{uuid.uuid4().hex[:6]}"
            started = time.perf_counter()
            await user.say(http, f"{marker},麻烦尽快处理")
            figures.webhook.append(time.perf_counter() - started)
            try:
                figures.to_screen.append(await operator.until_seen(marker) - started)
            except asyncio.TimeoutError:
                figures.lost += 1
            await asyncio.sleep(rng.expovariate(1 / settings.think))
            reply = f"您好,已收到您的补充说明({turn}),正在为您处理。"
            posted = time.time()
            await operator.post(f"/api/requests/{request_id}/reply", {"text": reply})
            try:
                figures.to_platform.append(await until_sent(api, user.openid, reply) - posted)
            except TimeoutError:
                figures.lost += 1
            await asyncio.sleep(rng.expovariate(1 / settings.think))


async def run(servers: Servers, api: FakeWeChatAPI, settings: Settings) -> Figures:
    figures = Figures()
    webhook = servers.rasa_url + WEBHOOK_PATH
    users = [User(webhook, api) for _ in range(settings.waiting)]
    started = time.perf_counter()
    progress(f"{settings.waiting} WeChat users ask for a person")
    async with httpx.AsyncClient(timeout=30) as http:
        await fill_queue(users, http)
    operators = [Operator(servers.console_url, f"op{i:02d}") for i in range(settings.operators)]
    await asyncio.gather(*(operator.log_in() for operator in operators))
    queue = await operators[0].http.get("/api/queue")
    waiting = {item["sender_id"]: item["id"] for item in queue.json()["waiting"]}
    figures.queued = len(waiting)
    progress(f"{figures.queued} conversations waiting; {len(operators)} operators claim one each")
    pairs = []
    for operator, user in zip(operators, users, strict=False):
        await operator.post(f"/api/requests/{waiting[user.sender_id]}/claim")
        operator.watch(user.sender_id)
        pairs.append((operator, user, waiting[user.sender_id]))
    figures.setup_seconds = time.perf_counter() - started
    await asyncio.sleep(1.0)  # the streams are open
    progress(f"{settings.rounds} rounds of user message + operator reply per operator")
    rng = random.Random(5)
    await asyncio.gather(*(conversation(o, u, r, api, settings, figures, rng) for o, u, r in pairs))
    for operator in operators:
        await operator.close()
    figures.memory = peak_memory(servers)
    return figures


def create_operators(database_url: str, count: int) -> None:
    with session_scope(database_url) as session:
        for i in range(count):
            add_operator(
                session,
                f"op{i:02d}",
                display_name=f"话务员{i:02d}",
                role="operator",
                password=PASSWORD,
            )


def measure(settings: Settings) -> Figures:
    env = {
        **ACCOUNT.env("safe", ""),
        "WECHAT_SERVICE_LINE": "travel",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "HANDOFF_HOLD_NOTICE_SECONDS": "120",
    }
    with tempfile.TemporaryDirectory(prefix="bench-handoff-") as tmp, FakeWeChatAPI(ACCOUNT) as api:
        env["WECHAT_API_BASE"] = api.base_url
        work = Path(tmp)
        progress("starting the stack (Rasa, actions, scheduler, console; WeChat safe mode; Redis)")
        with running_servers(work, env, CREDENTIALS) as servers:
            create_operators(servers.env["DATABASE_URL"], settings.operators)
            return asyncio.run(run(servers, api, settings))


def render(settings: Settings, figures: Figures) -> str:
    rows = [
        [
            label,
            ms(percentile(values, 50)),
            ms(percentile(values, 90)),
            ms(percentile(values, 99)),
            str(len(values)),
        ]
        for label, values in (
            ("user message → operator's screen", figures.to_screen),
            ("  of which the WeChat webhook's response", figures.webhook),
            ("operator's reply → WeChat API call", figures.to_platform),
        )
    ]
    lines = [
        "Handoff latency (python -m bench.handoff)",
        *(f"  {k}: {v}" for k, v in machine.describe(DEFAULT_MODEL)),
        f"  load: {settings.operators} operators, {figures.queued} conversations in the queue "
        f"({settings.waiting} asked), {settings.rounds} rounds each, think mean {settings.think:.1f} s",
        f"  setup (queue filled, operators logged in, claims): {figures.setup_seconds:.1f} s",
        "",
        table(["", "p50 ms", "p90 ms", "p99 ms", "n"], rows),
        f"  lost (not seen in {WAIT_FOR_SCREEN:.0f} s): {figures.lost}",
        "",
        "  peak memory (MiB): " + ", ".join(f"{name} {mib:.0f}" for name, mib in figures.memory),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.handoff", description=__doc__)
    parser.add_argument("--operators", type=int, default=20)
    parser.add_argument("--waiting", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between turns")
    args = parser.parse_args(argv)
    settings = Settings(args.operators, args.waiting, args.rounds, args.think)
    figures = measure(settings)
    print(render(settings, figures))
    return 0 if not figures.lost else 1


if __name__ == "__main__":
    sys.exit(main())
