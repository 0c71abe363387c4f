"""Live events to operator consoles: "something changed, look again".

Events carry only a topic ("queue", or "conversation:<sender_id>"); what changed is read from
SQL, the source of truth. So an event that is lost (Redis restarting, a console reconnecting)
costs a little latency, never data: consoles also look again every few seconds on their own.

Events are announced inside a database transaction and published only once it commits, so a
console never looks before the change is there. With REDIS_URL they travel over Redis pub/sub
to every console process; without it, only within this process (the embedded single-box setup,
where the console process falls back to polling).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import AsyncIterator
from functools import cache

import redis
import redis.asyncio as aioredis
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "bot:live"
QUEUE = "queue"
# Not announced by anyone: `listen` adds them. TICK: a quiet interval passed. RESYNC: read
# everything from SQL again (at the start, after Redis came back, and now and then).
TICK = "tick"
RESYNC = "resync"
# With Redis every change is announced; the periodic re-read only covers a lost event.
RESYNC_EVERY_TICKS = 10
_PENDING = "live_topics"


def conversation_topic(sender_id: str) -> str:
    return f"conversation:{sender_id}"


def announce(session: Session, topic: str) -> None:
    """Publish `topic` when `session` commits (dropped if it rolls back)."""
    session.info.setdefault(_PENDING, set()).add(topic)


def announce_queue(session: Session) -> None:
    announce(session, QUEUE)


def announce_conversation(session: Session, sender_id: str) -> None:
    announce(session, conversation_topic(sender_id))


@event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    topics = session.info.pop(_PENDING, None)
    if topics:
        publish(topics)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def publish(topics: set[str] | list[str]) -> None:
    for local in list(_local_listeners):
        local.put_nowait_threadsafe(set(topics))
    client = _redis()
    if client is None:
        return
    try:
        for topic in topics:
            client.publish(CHANNEL, topic)
    except redis.RedisError as error:  # consoles poll too: a missed event only delays them
        log.warning("live event not published (%s): consoles will see it on their next poll", error)


@cache
def _redis() -> redis.Redis | None:
    url = os.environ.get("REDIS_URL")
    return redis.Redis.from_url(url, socket_timeout=1) if url else None


class _LocalListener:
    """Events published in this process, handed to one asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[set[str]]) -> None:
        self.loop, self.queue = loop, queue

    def put_nowait_threadsafe(self, topics: set[str]) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, topics)


_local_listeners: set[_LocalListener] = set()


async def listen(poll_seconds: float = 3.0) -> AsyncIterator[set[str]]:
    """Topics as they are announced. {RESYNC} first; {TICK} after `poll_seconds` without
    news, with RESYNC on every tick when there is no Redis to announce other processes'
    changes (the embedded setup polls SQL), else on every RESYNC_EVERY_TICKS-th."""
    queue: asyncio.Queue[set[str]] = asyncio.Queue()
    local = _LocalListener(asyncio.get_running_loop(), queue)
    _local_listeners.add(local)
    relay = asyncio.ensure_future(_relay_redis(queue)) if os.environ.get("REDIS_URL") else None
    # Consoles opened together would re-read together: start each at its own point.
    ticks = random.randrange(RESYNC_EVERY_TICKS)
    try:
        yield {RESYNC}
        while True:
            try:
                yield await asyncio.wait_for(queue.get(), poll_seconds)
            except asyncio.TimeoutError:
                ticks += 1
                resync = relay is None or ticks % RESYNC_EVERY_TICKS == 0
                yield {TICK, RESYNC} if resync else {TICK}
    finally:
        _local_listeners.discard(local)
        if relay is not None:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay


async def _relay_redis(queue: asyncio.Queue[set[str]]) -> None:
    """Copy Redis events into `queue`, reconnecting after Redis restarts."""
    while True:
        client = aioredis.Redis.from_url(os.environ["REDIS_URL"])
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        queue.put_nowait({message["data"].decode()})
        except (redis.RedisError, OSError) as error:
            log.warning("live events from Redis interrupted (%s); reconnecting", error)
            queue.put_nowait({RESYNC})  # something may have been missed meanwhile
            await asyncio.sleep(1.0)
        finally:
            await client.close()
