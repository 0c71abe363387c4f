"""The benchmarks' traffic: cold turns, thinking users and open-loop arrivals over a transport,
Rasa's REST channel (`python -m bench.run`, and beside WeChat in `python -m bench.wechat`) or an
encrypted WeChat push, so that their figures compare.

The timed part is one HTTP request: the webhook's response time, which is what WeChat waits on
(5 s at most). A WeChat answer is either the passive reply (encrypted XML) or `success`, and then
the reply reaches the user later through the customer-service API (the fake's `custom/send`);
the user waits for it before thinking about the next message, but that wait is not the webhook's
time. Every wait is bounded, and everything goes to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlencode

import httpx

from bench import load, machine
from bench.conversations import Script
from bench.load import THINK_MEAN, Conversation, Latencies, Outcome, Step
from tests.channels.fake_wechat import (
    UNAVAILABLE,
    WECHAT_TIMEOUT,
    Account,
    FakeWeChatAPI,
    Pusher,
    text_push,
)

DELIVERY_TIMEOUT = 30.0  # a late reply not delivered through the API by then is lost
DELIVERY_SETTLE = 0.3  # the bot's texts of one turn arrive back to back: quiet this long = all
POLL_SECONDS = 0.05


class NoReply(httpx.HTTPError):
    """The webhook answered, but the user saw no usable reply."""


@dataclass(frozen=True)
class Answer:
    text: str  # what the user sees
    responded: float  # perf_counter() when the webhook's HTTP response arrived
    passive: bool  # the reply came in the HTTP response


class Transport(Protocol):
    name: str
    timeout: float  # what a failed message counts as, in seconds

    def conversation(self, script: Script) -> Conversation: ...

    async def say(self, http: httpx.AsyncClient, conversation: Conversation) -> Answer: ...


@dataclass
class Rest:
    """Rasa's REST channel: the reply is always in the response."""

    rasa_url: str
    name: str = "REST"
    timeout: float = load.REQUEST_TIMEOUT  # a reply slower than this counts as a failure

    def conversation(self, script: Script) -> Conversation:
        return Conversation(script)

    async def say(self, http: httpx.AsyncClient, conversation: Conversation) -> Answer:
        text = await load.say(http, self.rasa_url, conversation)
        return Answer(text, time.perf_counter(), passive=True)


@dataclass
class WeChat:
    """Encrypted (safe-mode) text pushes, as WeChat sends them, one OpenID per conversation."""

    webhook_url: str
    api: FakeWeChatAPI
    account: Account = field(default_factory=Account)
    name: str = "WeChat"
    timeout: float = WECHAT_TIMEOUT  # WeChat hangs up after 5 s

    def __post_init__(self) -> None:
        self.pusher = Pusher(self.webhook_url, self.account, mode="safe", api=self.api)

    def conversation(self, script: Script) -> Conversation:
        return Conversation(script, sender=f"oBench{uuid.uuid4().hex[:22]}")  # 28, as OpenIDs

    async def say(self, http: httpx.AsyncClient, conversation: Conversation) -> Answer:
        openid = conversation.sender
        xml = text_push(openid, conversation.next_message, self.account)
        self.api.saw(xml)  # opens the customer-service window, as the user's message does
        before = len(self.api.sent_to(openid))
        query, body = self.pusher.signed(xml)
        # The query joined here: httpx merging `params` into a URL costs the load generator,
        # which shares the servers' two cores, ~0.1 ms a push; WeChat does it on its own.
        response = await http.post(
            f"{self.webhook_url}?{urlencode(query)}",
            content=body,
            headers={"Content-Type": "text/xml"},
            timeout=WECHAT_TIMEOUT,  # WeChat hangs up after 5 s
        )
        responded = time.perf_counter()
        if response.status_code != 200:
            raise NoReply(f"webhook answered {response.status_code}: {response.text[:200]}")
        reply = self.pusher.read_reply(response.text, openid)
        if reply == UNAVAILABLE:
            raise NoReply(f"WeChat could not use the answer: {response.text[:200]}")
        if reply is not None:
            return Answer(reply, responded, passive=True)
        texts = await self._delivered(openid, before)
        return Answer("\n".join(texts), responded, passive=False)

    async def _delivered(self, openid: str, before: int) -> list[str]:
        """The texts sent through the customer-service API after `before`, once they stop."""
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        count, quiet_since = before, time.monotonic()
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            now_count = len(self.api.sent_to(openid))
            if now_count != count:
                count, quiet_since = now_count, time.monotonic()
            elif count > before and time.monotonic() - quiet_since >= DELIVERY_SETTLE:
                return self.api.sent_to(openid)[before:]
        raise NoReply(f"acknowledged, but nothing sent through the API in {DELIVERY_TIMEOUT} s")


@dataclass
class Load:
    """One load's webhook response times and how many of the replies were passive."""

    latencies: Latencies = field(default_factory=Latencies)
    passive: int = 0
    failed: int = 0
    cpu_seconds: float = 0.0  # the servers' CPU time during the measured window

    def add(self, script: Script, answer: Answer, started: float) -> None:
        self.latencies.add(script, answer.responded - started)
        self.passive += answer.passive

    def extend(self, other: Load) -> None:
        self.latencies.extend(other.latencies)
        self.passive += other.passive
        self.failed += other.failed
        self.cpu_seconds += other.cpu_seconds

    @property
    def cpu_per_message(self) -> float:
        """The servers' CPU seconds per measured message."""
        n = len(self.latencies.seconds)
        return self.cpu_seconds / n if n else math.nan

    @property
    def passive_share(self) -> float:
        n = len(self.latencies.seconds)
        return self.passive / n if n else math.nan


@dataclass
class OpenStep(Step):
    passive: int = 0


def _cycle_from(scripts: Sequence[Script], start: int) -> itertools.cycle[Script]:
    return itertools.cycle(list(scripts[start:]) + list(scripts[:start]))


async def cold_pass(transport: Transport, scripts: Sequence[Script]) -> tuple[Load, Outcome]:
    """Each script once, back to back: the first turns of a freshly started server."""
    result, outcome = Load(), Outcome()
    async with load.client() as http:
        for script in scripts:
            conversation = transport.conversation(script)
            while not conversation.done:
                started = time.perf_counter()
                try:
                    answer = await transport.say(http, conversation)
                except httpx.HTTPError as error:
                    result.failed += 1
                    outcome.fail(conversation, repr(error))
                    break
                result.add(script, answer, started)
                outcome.record(conversation, answer.text)
    return result, outcome


@dataclass
class Phase:
    """A stretch of the measured time in which every user talks over one transport."""

    transport: str
    load: Load
    steal_seconds: float = 0.0  # CPU time the hypervisor gave other machines meanwhile


def phase_transport(transports: Sequence[Transport], number: int) -> Transport:
    """The transport of phase `number`, in the order A B B A A B B A ...: each one follows
    and precedes the other as often, so what a phase leaves behind (the writer's backlog, a
    cache) falls on each alike."""
    return transports[((number + 1) // 2) % len(transports)]


async def thinking_users(
    transports: Sequence[Transport],
    scripts: Sequence[Script],
    users: int,
    warmup: float,
    duration: float,
    phases: int = 1,
    seed: int = 1,
    cpu: Callable[[], float] | None = None,
) -> tuple[list[Phase], Outcome]:
    """Closed loop: each user sends its next message an exponential think time after a reply.

    The measured `duration` is cut into `phases` of equal length, and in each one every user
    talks over the same transport, in a conversation of its own on that transport, which goes
    on where it stopped when the transport's next phase comes. So one steady load is measured
    on each transport in short turns, and a slow spell of the shared machine falls on both
    rather than on one. A message counts in the phase it was sent in; messages sent during
    the warm-up (in the same alternation) are not measured; none is sent after the window.
    `cpu` is read at each phase's start and end: its difference is the phase's CPU seconds.
    """
    rng = random.Random(seed)
    length = duration / phases
    outcome = Outcome()
    measured = [
        Phase(phase_transport(transports, k).name, Load(Latencies(elapsed=length)))
        for k in range(phases)
    ]
    begin = time.perf_counter()
    measure_from, stop_at = begin + warmup, begin + warmup + duration

    async def user(number: int, http: httpx.AsyncClient) -> None:
        first = number % len(scripts)
        upcoming = {t.name: _cycle_from(scripts, first) for t in transports}
        talking: dict[str, Conversation] = {}
        while True:
            await asyncio.sleep(rng.expovariate(1 / THINK_MEAN))
            started = time.perf_counter()
            if started >= stop_at:
                return
            k = math.floor((started - measure_from) / length)
            transport = phase_transport(transports, k)
            conversation = talking.get(transport.name)
            if conversation is None or conversation.done:
                script = next(upcoming[transport.name])
                conversation = talking[transport.name] = transport.conversation(script)
            try:
                answer = await transport.say(http, conversation)
            except httpx.HTTPError as error:
                if k >= 0:
                    measured[k].load.failed += 1
                outcome.fail(conversation, repr(error))
                del talking[transport.name]  # that conversation is given up
                continue
            if k >= 0:
                measured[k].load.add(conversation.script, answer, started)
            outcome.record(conversation, answer.text)

    def reading() -> tuple[float, float]:
        return (cpu() if cpu else 0.0), machine.steal_seconds()

    async def meter() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu_at, steal_at = reading()
        for k, phase in enumerate(measured):
            await asyncio.sleep(max(0.0, measure_from + (k + 1) * length - time.perf_counter()))
            cpu_now, steal_now = reading()
            phase.load.cpu_seconds, phase.steal_seconds = cpu_now - cpu_at, steal_now - steal_at
            cpu_at, steal_at = cpu_now, steal_now

    async with load.client() as http:
        await asyncio.gather(meter(), *(user(n, http) for n in range(users)))
    return measured, outcome


def merged(phases: Iterable[Phase], transport: str) -> Load:
    """One transport's figures over the given phases."""
    result = Load()
    for phase in phases:
        if phase.transport == transport:
            result.extend(phase.load)
    return result


@dataclass
class _Arrivals:
    """One transport's side of an open-loop search: its conversations and its steps."""

    transport: Transport
    conversations: Iterator[Conversation]
    rng: random.Random
    idle: deque[Conversation] = field(default_factory=deque)
    steps: list[OpenStep] = field(default_factory=list)
    spent: float = 0.0  # seconds of steps run

    @property
    def saturated(self) -> bool:
        return bool(self.steps) and self.steps[-1].latencies.p(99) > 1.0


async def open_loop(
    transports: Sequence[Transport],
    scripts: Sequence[Script],
    rates: Sequence[float],
    step_seconds: float,
    budget: float,
    seed: int = 2,
) -> tuple[list[list[OpenStep]], Outcome]:
    """Poisson arrivals, rate by rate, each transport in turn at each rate (the same arrival
    times for each), until its p99 passes 1 s or the time budget (per transport) runs out.
    Taking turns step by step puts a slow spell of the shared machine on every transport, not
    on the one measured then.

    An arrival is the next message of a conversation not waiting for a reply (a new one if all
    are), so each sender still talks in turns. Latency counts from the arrival, so a queue in
    the client's connection pool counts against the server as it would for real users. A
    conversation whose reply comes through the API is busy until it arrives; arrivals meanwhile
    go to other conversations.
    """
    outcome = Outcome()
    sides = [
        _Arrivals(t, (t.conversation(s) for s in itertools.cycle(scripts)), random.Random(seed))
        for t in transports
    ]

    async def turn(
        http: httpx.AsyncClient, side: _Arrivals, conversation: Conversation, step: OpenStep,
        arrived: float,
    ) -> None:  # fmt: skip
        try:
            answer = await side.transport.say(http, conversation)
        except httpx.HTTPError as error:
            step.failed += 1
            step.latencies.seconds.append(side.transport.timeout)
            outcome.fail(conversation, repr(error))
            return
        step.latencies.seconds.append(answer.responded - arrived)
        step.passive += answer.passive
        outcome.record(conversation, answer.text)
        if not conversation.done:
            side.idle.append(conversation)

    async with load.client() as http:
        for rate in rates:
            running = [side for side in sides if not side.saturated]
            # A rate is run for every transport still running or for none, so they compare.
            if not running or max(s.spent for s in running) + step_seconds > budget:
                break
            for side in running:
                step = OpenStep(rate, Latencies(), failed=0)
                tasks = []
                start = time.perf_counter()
                async for arrival in load.poisson_arrivals(rate, step_seconds, side.rng):
                    conversation = side.idle.popleft() if side.idle else next(side.conversations)
                    tasks.append(asyncio.create_task(turn(http, side, conversation, step, arrival)))
                await asyncio.gather(*tasks)  # bounded: 5 s webhook + 30 s delivery at most
                step.latencies.elapsed = time.perf_counter() - start
                side.spent += step.latencies.elapsed
                side.steps.append(step)
    return [side.steps for side in sides], outcome
