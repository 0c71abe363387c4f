"""Live events: published when the change is committed, over Redis between processes."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bot.handoff import live
from bot.store.database import session_scope


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
    await listener.__anext__()  # subscribed (the first poll tick)
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
