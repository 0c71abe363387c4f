"""Live events: published when the change is committed, over Redis between processes."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
import uuid

import pytest
import redis

from bot.handoff import live
from bot.store.database import session_scope
from tests.servers import free_port


async def _next_topics(listener, expected: str, timeout: float = 5.0) -> set[str]:
    async def wait() -> set[str]:
        while True:
            topics = await listener.__anext__()
            if expected in topics:
                return topics

    return await asyncio.wait_for(wait(), timeout)


@pytest.mark.asyncio
async def test_an_announcement_is_published_on_commit_only(database):
    listener = live.listen(poll_seconds=0.2)
    assert await listener.__anext__() == {live.RESYNC}  # listening: read everything first
    with pytest.raises(RuntimeError), session_scope() as session:
        live.announce_conversation(session, "wechat:rolled-back")
        raise RuntimeError("the transaction fails")
    with session_scope() as session:
        live.announce_conversation(session, "wechat:kept")
    seen: set[str] = set()
    for _ in range(3):
        seen |= await listener.__anext__()
    assert "conversation:wechat:kept" in seen
    assert "conversation:wechat:rolled-back" not in seen
    await listener.aclose()


@pytest.mark.asyncio
async def test_events_cross_processes_through_redis(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    live._redis.cache_clear()
    topic = f"conversation:wechat:{uuid.uuid4().hex}"
    listener = live.listen(poll_seconds=0.2)
    await listener.__anext__()
    await asyncio.sleep(0.3)  # the Redis subscription is made
    # Published as another process would: straight to Redis, not through this process.
    live._redis().publish(live.CHANNEL, topic)
    assert topic in await _next_topics(listener, topic)
    await listener.aclose()
    live._redis.cache_clear()


def _redis_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.ConnectionError):
            if redis.Redis(port=port).ping():
                return server
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@pytest.mark.asyncio
async def test_consoles_catch_up_and_listen_again_after_redis_restarts(monkeypatch):
    port = free_port()
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    live._redis.cache_clear()
    server = _redis_server(port)
    listener = live.listen(poll_seconds=0.2)
    try:
        await listener.__anext__()
        await asyncio.sleep(0.3)
        server.terminate()
        server.wait()
        # Redis gone: the console is told to read SQL again, and keeps listening.
        assert live.RESYNC in await listener.__anext__()
        server = _redis_server(port)
        topic = "conversation:wechat:after-restart"
        deadline = time.monotonic() + 10
        seen: set[str] = set()
        while topic not in seen and time.monotonic() < deadline:
            live._redis().publish(live.CHANNEL, topic)
            seen |= await listener.__anext__()
        assert topic in seen
    finally:
        await listener.aclose()
        server.terminate()
        server.wait()
        live._redis.cache_clear()


@pytest.mark.asyncio
async def test_quiet_ticks_reread_sql_every_time_only_without_redis(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    alone = live.listen(poll_seconds=0.05)
    assert await alone.__anext__() == {live.RESYNC}
    assert [await alone.__anext__() for _ in range(3)] == [{live.TICK, live.RESYNC}] * 3
    await alone.aclose()
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    shared = live.listen(poll_seconds=0.05)
    await shared.__anext__()
    ticks = [await shared.__anext__() for _ in range(live.RESYNC_EVERY_TICKS)]
    # With Redis announcing every change, one quiet tick in RESYNC_EVERY_TICKS re-reads SQL.
    assert all(live.TICK in tick for tick in ticks)
    assert sum(live.RESYNC in tick for tick in ticks) == 1
    await shared.aclose()
