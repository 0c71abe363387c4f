"""The reply ledger: one run per platform message, one delivery per reply, across processes."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest
import redis

from bot.channels.ledger import MemoryLedger, RedisLedger

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", "redis"])
def ledgers(request):
    """Two ledgers that stand for two server processes sharing the same coordination."""
    if request.param == "memory":
        shared = MemoryLedger()
        return shared, shared
    return RedisLedger(REDIS_URL), RedisLedger(REDIS_URL)


def test_a_retry_is_not_run_again_and_gets_the_same_reply(ledgers):
    first, second = ledgers
    key = f"wechat:{uuid.uuid4().hex}"

    async def scenario():
        assert await first.claim(key) is True
        assert await second.claim(key) is False  # the platform's re-send
        waiting = asyncio.ensure_future(second.wait(key, timeout=2))
        await first.publish(key, ["您好!这里是康飞旅行网,请问有什么可以帮助您?"])
        assert await waiting == ["您好!这里是康飞旅行网,请问有什么可以帮助您?"]
        assert [await first.take_delivery(key), await second.take_delivery(key)] == [True, False]

    asyncio.run(scenario())


def test_waiting_for_a_reply_gives_up_at_the_deadline(ledgers):
    first, _ = ledgers
    key = f"qq:{uuid.uuid4().hex}"

    async def scenario():
        await first.claim(key)
        assert await first.wait(key, timeout=0.2) is None

    asyncio.run(scenario())


def test_every_copy_waiting_in_the_same_process_gets_the_reply_and_leaves_nothing_behind():
    ledger = RedisLedger(REDIS_URL)
    key = f"weibo:{uuid.uuid4().hex}"

    async def scenario():
        await ledger.claim(key)
        waiting = [asyncio.ensure_future(ledger.wait(key, timeout=2)) for _ in range(2)]
        await asyncio.sleep(0)  # both are waiting before the reply is published
        await ledger.publish(key, ["好的,请稍等,马上为您查询!"])
        assert await asyncio.gather(*waiting) == [["好的,请稍等,马上为您查询!"]] * 2
        assert await ledger.wait(key, timeout=0) == ["好的,请稍等,马上为您查询!"]

    asyncio.run(scenario())
    assert ledger._waiters == {}  # a server running for weeks does not collect dead waiters


def test_a_redis_that_stops_answering_fails_the_request_instead_of_stalling_the_server():
    # The ledger's Redis client is synchronous: a silent Redis must not hold the event loop.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections complete in the kernel; nothing is ever answered
        ledger = RedisLedger(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        with pytest.raises(redis.TimeoutError):
            asyncio.run(ledger.claim(f"wechat:{uuid.uuid4().hex}"))


def test_a_reply_published_as_delivered_is_read_by_retries_but_not_delivered_again(ledgers):
    first, second = ledgers
    delivered, left = (f"wechat:{uuid.uuid4().hex}" for _ in range(2))

    async def scenario():
        for key in (delivered, left):
            await first.claim(key)
            await second.claim(key)
        waiting = asyncio.ensure_future(second.wait(delivered, timeout=2))
        await asyncio.sleep(0)  # the re-sent copy waits before the reply is published
        # The first copy answered in its HTTP response, then published.
        await first.publish(delivered, ["收到"], delivered=True)
        assert await waiting == ["收到"]  # a re-sent copy still gets the reply
        assert [await second.take_delivery(delivered), await first.take_delivery(delivered)] == [
            False,
            False,
        ]
        # Not delivered yet: the delivery is left to whoever takes it.
        await first.publish(left, ["收到"])
        assert await second.wait(left, timeout=0) == ["收到"]
        assert [await second.take_delivery(left), await first.take_delivery(left)] == [True, False]

    asyncio.run(scenario())
