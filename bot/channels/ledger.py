"""Who has seen a platform message, and who delivers its reply, across server processes.

Platforms re-send a message when our answer is late (WeChat and Weibo after 5 s, three times;
QQ on a late ACK). The first copy runs the bot; a copy that arrives while it is still running
waits for the same reply; exactly one of them, or the deferred sender, delivers it. With
REDIS_URL set this holds across several servers; otherwise within this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from abc import ABC, abstractmethod
from functools import cache
from typing import Any

import redis

# Platforms give up re-sending within seconds; five minutes covers slow retries and restarts.
TTL_SECONDS = 300
# How often a re-sent copy looks for a reply published by another server process. A copy in
# the process that runs the bot is woken at once instead; polling is only for the rare retry
# that lands on another server, and must not cost the busy server a Redis read every few ms.
POLL_SECONDS = 0.2
# The Redis client is synchronous (see RedisLedger): a Redis that stops answering must fail
# the request, not stop the server's event loop for every conversation.
REDIS_TIMEOUT_SECONDS = 1.0


class ReplyLedger(ABC):
    def __init__(self) -> None:
        # Requests in this process waiting for a reply: `publish` here hands it to them at once.
        self._waiters: dict[str, list[asyncio.Future[list[str] | None]]] = {}

    @abstractmethod
    async def claim(self, key: str) -> bool:
        """True for the first copy of a message, False for every re-sent copy."""

    @abstractmethod
    async def _store(self, key: str, texts: list[str], delivered: bool) -> None:
        """Keep the reply where every server process can read it; with `delivered`, mark it
        delivered first, so that nobody who reads the reply can take its delivery."""

    @abstractmethod
    async def reply(self, key: str) -> list[str] | None:
        """The published reply, if there is one yet."""

    @abstractmethod
    async def take_delivery(self, key: str) -> bool:
        """True exactly once per message: whoever gets it delivers the reply."""

    async def publish(self, key: str, texts: list[str], delivered: bool = False) -> None:
        """The bot's reply to the message is ready, for re-sent copies. `delivered`: the
        publisher has already given it to the user (in the first copy's HTTP response), so no
        copy delivers it again."""
        await self._store(key, texts, delivered)
        # Waiters here once it is stored: the reply they take a delivery of is marked first.
        for waiter in self._waiters.pop(key, []):
            if not waiter.done():
                waiter.set_result(texts)

    async def wait(self, key: str, timeout: float) -> list[str] | None:
        """The reply, once published; None after `timeout` seconds. For a re-sent copy: the
        copy whose bot runs in this process is answered by the bot's task (PassiveChance)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[list[str] | None] = loop.create_future()
        self._waiters.setdefault(key, []).append(waiter)
        deadline = loop.time() + timeout
        try:
            while True:
                texts = await self.reply(key)  # published before this copy began to wait
                remaining = deadline - loop.time()
                if texts is not None or remaining <= 0:
                    return texts
                with contextlib.suppress(asyncio.TimeoutError):
                    return await asyncio.wait_for(
                        asyncio.shield(waiter), min(remaining, POLL_SECONDS)
                    )
        finally:
            waiting = self._waiters.get(key, [])
            if waiter in waiting:
                waiting.remove(waiter)
            if not waiting:
                self._waiters.pop(key, None)


class MemoryLedger(ReplyLedger):
    def __init__(self) -> None:
        super().__init__()
        self._seen: dict[str, float] = {}
        self._replies: dict[str, list[str]] = {}
        self._delivered: set[str] = set()

    def _expire(self) -> None:
        cutoff = time.monotonic() - TTL_SECONDS
        for key in [k for k, at in self._seen.items() if at < cutoff]:
            self._seen.pop(key, None)
            self._replies.pop(key, None)
            self._delivered.discard(key)

    async def claim(self, key: str) -> bool:
        self._expire()
        if key in self._seen:
            return False
        self._seen[key] = time.monotonic()
        return True

    async def _store(self, key: str, texts: list[str], delivered: bool) -> None:
        if delivered:
            self._delivered.add(key)
        self._replies[key] = texts

    async def reply(self, key: str) -> list[str] | None:
        return self._replies.get(key)

    async def take_delivery(self, key: str) -> bool:
        if key in self._delivered:
            return False
        self._delivered.add(key)
        return True


class RedisLedger(ReplyLedger):
    """The ledger in Redis, with the synchronous client, as Rasa's own Redis lock store is.

    Each command is a sub-millisecond round trip to a nearby Redis, but awaited it would also
    wait for a turn of the server's event loop, which under load is tens of milliseconds of
    other conversations' work (docs/benchmarks.md): the commands on the way to the user cost
    more awaited than done in place.
    """

    def __init__(self, url: str, prefix: str = "bot:inbound") -> None:
        super().__init__()
        self._redis = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        self._prefix = prefix

    def _key(self, key: str, part: str) -> str:
        return f"{self._prefix}:{key}:{part}"

    async def claim(self, key: str) -> bool:
        return bool(self._redis.set(self._key(key, "seen"), 1, nx=True, ex=TTL_SECONDS))

    async def _store(self, key: str, texts: list[str], delivered: bool) -> None:
        commands = self._redis.pipeline(transaction=False)
        if delivered:  # in order: a copy that can read the reply can no longer take delivery
            self._take_delivery(commands, key)
        commands.set(self._key(key, "reply"), json.dumps(texts), ex=TTL_SECONDS)
        commands.execute()

    async def reply(self, key: str) -> list[str] | None:
        stored = self._redis.get(self._key(key, "reply"))
        return json.loads(stored) if stored is not None else None

    async def take_delivery(self, key: str) -> bool:
        return bool(self._take_delivery(self._redis, key))

    def _take_delivery(self, client: redis.Redis, key: str) -> Any:
        """The command for `take_delivery`, run at once, or queued on a pipeline."""
        return client.set(self._key(key, "delivered"), 1, nx=True, ex=TTL_SECONDS)


@cache
def ledger_from_env() -> ReplyLedger:
    """One ledger per process: Redis when REDIS_URL is set, else in memory."""
    url = os.environ.get("REDIS_URL")
    return RedisLedger(url) if url else MemoryLedger()
