"""Conversation locks in Redis, shared by several server processes: one message of a
conversation at a time, in the order they came, whatever the processes do at once."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
import redis
from rasa.core.lock_store import LockError, RedisLockStore

from bot.store.lock_store import AtomicRedisLockStore
from tests.servers import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"
WORKERS = 4  # server processes, each with its own connection to Redis
MESSAGES = 25  # each worker's messages for the one conversation


def store() -> AtomicRedisLockStore:
    return AtomicRedisLockStore(host="127.0.0.1", port=6379, db=0, key_prefix="bottest")


@pytest.fixture
def conversation() -> str:
    return f"wx-{uuid.uuid4().hex}"


def test_a_burst_over_several_workers_runs_one_message_at_a_time(conversation):
    inside: list[str] = []  # the workers handling the conversation right now
    overlaps, handled, errors = [], [], []

    def worker(name: str) -> None:
        locks = store()  # a connection of its own, as a separate process has

        async def messages() -> None:
            for _ in range(MESSAGES):
                async with locks.lock(conversation, wait_time_in_seconds=0.001):
                    inside.append(name)
                    if len(inside) > 1:
                        overlaps.append(list(inside))
                    time.sleep(0.0005)  # the bot's turn; lets the other workers run
                    inside.remove(name)
                    handled.append(name)

        try:
            asyncio.run(messages())
        except LockError as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, "a worker's ticket was lost"
    assert not overlaps, "two workers ran the conversation at once"
    assert len(handled) == WORKERS * MESSAGES
    assert not redis.Redis.from_url(REDIS_URL).exists(f"bottest:lock:{conversation}"), (
        "the lock outlived its last message"
    )


def test_messages_are_served_in_the_order_their_tickets_were_issued(conversation):
    locks = store()
    first, second = locks.issue_ticket(conversation), locks.issue_ticket(conversation)
    assert (first, second) == (0, 1)
    # Rasa's own store reads the lock: the format is Rasa's.
    seen = RedisLockStore(host="127.0.0.1", port=6379, db=0, key_prefix="bottest")
    lock = seen.get_lock(conversation)
    assert lock.now_serving == first and lock.last_issued == second
    assert lock.is_locked(second)
    locks.finish_serving(conversation, first)
    assert not seen.get_lock(conversation).is_locked(second)
    locks.cleanup(conversation, second)
    assert seen.get_lock(conversation) is None


def test_a_ticket_whose_holder_died_expires_and_the_next_message_goes_ahead(conversation):
    locks = store()
    locks.issue_ticket(conversation, lock_lifetime=0.2)  # a process killed mid-turn
    time.sleep(0.3)

    async def next_message() -> int:
        async with locks.lock(conversation, wait_time_in_seconds=5) as lock:
            return lock.now_serving

    # Served at once: with no wait between looks at the lock, a 5 s poll would time out.
    assert asyncio.run(asyncio.wait_for(next_message(), timeout=2)) == 0


def test_a_message_queued_behind_a_slow_one_waits_for_it(conversation):
    locks, other = store(), store()
    holding = locks.issue_ticket(conversation)
    order: list[str] = []

    async def queued() -> None:
        async with other.lock(conversation, wait_time_in_seconds=0.01):
            order.append("queued")

    async def scenario() -> None:
        waiting = asyncio.create_task(queued())
        await asyncio.sleep(0.1)
        order.append("slow one done")
        locks.cleanup(conversation, holding)
        await asyncio.wait_for(waiting, timeout=2)

    asyncio.run(scenario())
    assert order == ["slow one done", "queued"]


def test_without_redis_the_message_fails_with_a_lock_error(conversation):
    unreachable = AtomicRedisLockStore(host="127.0.0.1", port=free_port(), socket_timeout=1)

    async def message() -> None:
        async with unreachable.lock(conversation):
            pass

    with pytest.raises(LockError, match="Error while acquiring lock"):
        asyncio.run(message())
