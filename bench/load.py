"""Traffic generators over Rasa's REST channel: thinking users, open-loop arrivals, /model/parse.

Everything goes to 127.0.0.1, and every loop ends on a deadline or a count: a slow or dead
server makes a benchmark report bad figures, never hang.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import httpx

from bench.conversations import PARSE_MESSAGES, Script

REQUEST_TIMEOUT = 30.0  # a reply slower than this counts as a failure
THINK_MEAN = 1.0  # seconds a user takes to read a reply and type the next message


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN when there are no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Latencies:
    seconds: list[float] = field(default_factory=list)
    elapsed: float = 0.0  # the measured window, for the rate
    by_script: dict[str, list[float]] = field(default_factory=dict)

    def add(self, script: Script, seconds: float) -> None:
        self.seconds.append(seconds)
        self.by_script.setdefault(script.name, []).append(seconds)

    def extend(self, other: Latencies) -> None:
        """Add another window's figures to this one's."""
        self.seconds += other.seconds
        self.elapsed += other.elapsed
        for name, values in other.by_script.items():
            self.by_script.setdefault(name, []).extend(values)

    def p(self, q: float) -> float:
        return percentile(self.seconds, q)

    @property
    def rate(self) -> float:
        return len(self.seconds) / self.elapsed if self.elapsed else math.nan


@dataclass
class Conversation:
    """One booking in progress under a sender id of its own."""

    script: Script
    sender: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex[:12]}")
    turn: int = 0

    @property
    def next_message(self) -> str:
        return self.script.messages[self.turn]

    @property
    def done(self) -> bool:
        return self.turn == len(self.script.messages)


@dataclass
class Outcome:
    """Whole conversations: how many ended with their closing line, and what went wrong in the rest."""

    completed: int = 0
    failures: list[str] = field(default_factory=list)

    def record(self, conversation: Conversation, reply: str) -> None:
        """Advance past a reply; at the end, check the closing line."""
        conversation.turn += 1
        if not conversation.done:
            return
        if conversation.script.is_complete(reply):
            self.completed += 1
        else:
            self.fail(conversation, f"no closing line, last reply: {reply!r}")

    def fail(self, conversation: Conversation, why: str) -> None:
        self.failures.append(f"{conversation.script.name} {conversation.sender}: {why}")


def client() -> httpx.AsyncClient:
    # A connection per message, as platforms push: with several Rasa workers on one port the
    # kernel hands out connections, not requests, so kept-alive connections would pin users
    # to workers by chance (one run had a worker at 22 s of CPU beside one at 13 s).
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=0)
    return httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits)


async def say(http: httpx.AsyncClient, rasa_url: str, conversation: Conversation) -> str:
    """Send the conversation's next message; the bot's reply texts joined by newlines."""
    response = await http.post(
        f"{rasa_url}/webhooks/rest/webhook",
        json={
            "sender": conversation.sender,
            "message": conversation.next_message,
            "metadata": {"service_line": conversation.script.service_line},
        },
    )
    response.raise_for_status()
    return "\n".join(m["text"] for m in response.json() if "text" in m)


async def poisson_arrivals(rate: float, seconds: float, rng: random.Random) -> AsyncIterator[float]:
    """Arrival times of a Poisson process of `rate` per second over `seconds`, each one
    yielded when it is due (open loop: arrivals do not wait for replies)."""
    start = time.perf_counter()
    arrival = start + rng.expovariate(rate)
    while arrival < start + seconds:
        await asyncio.sleep(max(0.0, arrival - time.perf_counter()))
        yield arrival
        arrival += rng.expovariate(rate)


@dataclass
class Step:
    offered: float  # messages per second
    latencies: Latencies
    failed: int


async def parse_latencies(rasa_url: str, rounds: int, warmup_rounds: int = 1) -> Latencies:
    """`/model/parse` of every realistic message, one at a time, after untimed warm-up rounds."""
    latencies = Latencies()
    async with client() as http:
        for round_number in range(warmup_rounds + rounds):
            for text in PARSE_MESSAGES:
                started = time.perf_counter()
                response = await http.post(f"{rasa_url}/model/parse", json={"text": text})
                response.raise_for_status()
                if round_number >= warmup_rounds:
                    latencies.seconds.append(time.perf_counter() - started)
    latencies.elapsed = sum(latencies.seconds)
    return latencies
