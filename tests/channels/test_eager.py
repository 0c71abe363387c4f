"""A platform message's bot run starts in the request's own step, yet in a task of its own."""

from __future__ import annotations

import asyncio
import contextvars

import aiohttp
import pytest

from bot.channels.eager import start_eagerly

where = contextvars.ContextVar("where", default="handler")


def test_the_first_step_runs_before_the_task_is_returned_and_the_rest_in_the_task():
    steps: list[str] = []

    async def bot() -> str:
        steps.append("parsed")
        await asyncio.sleep(0.01)
        steps.append("replied")
        return "您好"

    async def handler() -> str:
        task = start_eagerly(bot())
        assert steps == ["parsed"]
        return await task

    assert asyncio.run(handler()) == "您好"
    assert steps == ["parsed", "replied"]


def test_the_first_step_runs_as_the_new_task_and_the_handler_is_current_again_after():
    seen: dict[str, asyncio.Task | None] = {}

    async def bot() -> None:
        seen["first step"] = asyncio.current_task()
        await asyncio.sleep(0)
        seen["later"] = asyncio.current_task()

    async def handler() -> None:
        task = start_eagerly(bot())
        seen["handler"] = asyncio.current_task()
        await task
        seen["task"] = task

    asyncio.run(handler())
    assert seen["first step"] is seen["task"] is seen["later"]
    assert seen["handler"] is not seen["task"]


def test_a_timeout_set_in_the_first_step_cancels_the_bot_not_the_handler():
    # aiohttp's request timeout (Rasa's calls to the action server) cancels the task that is
    # current when the request starts, which is in the bot's first step.
    async def bot() -> str:
        timeout = aiohttp.helpers.TimeoutHandle(asyncio.get_running_loop(), 0.05)
        timeout.start()
        try:
            with timeout.timer():
                await asyncio.sleep(5)
        except asyncio.TimeoutError:
            return "timed out"
        return "not timed out"

    async def handler() -> tuple[str, str]:
        task = start_eagerly(bot())
        await asyncio.sleep(0.2)  # waiting for the reply, as the webhook's handler does
        return "handler not cancelled", await task

    assert asyncio.run(handler()) == ("handler not cancelled", "timed out")


def test_context_variables_stay_in_the_task():
    async def bot() -> str:
        token = where.set("bot")
        await asyncio.sleep(0)
        seen = where.get()
        where.reset(token)  # a token made in the first step resets in a later one
        return seen

    async def handler() -> tuple[str, str]:
        task = start_eagerly(bot())
        mine = where.get()
        return mine, await task

    assert asyncio.run(handler()) == ("handler", "bot")


def test_a_hang_up_cancelling_the_handler_does_not_cancel_the_bot():
    finished: list[str] = []

    async def bot() -> None:
        await asyncio.sleep(0.05)
        finished.append("reply recorded")

    async def main() -> None:
        running: list[asyncio.Task] = []

        async def handler() -> None:
            running.append(start_eagerly(bot()))
            await asyncio.sleep(5)  # waiting for the reply when the platform hangs up

        request = asyncio.ensure_future(handler())
        await asyncio.sleep(0.01)
        request.cancel()
        await asyncio.wait_for(running[0], 5)

    asyncio.run(main())
    assert finished == ["reply recorded"]


def test_cancelling_the_task_reaches_the_bot_where_it_waits():
    cleaned: list[str] = []

    async def bot() -> None:
        try:
            await asyncio.sleep(5)
        finally:
            cleaned.append("lock released")

    async def main() -> None:
        task = start_eagerly(bot())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert cleaned == ["lock released"]


@pytest.mark.parametrize("fails_at", ["first step", "later step"])
def test_an_error_in_the_bot_is_the_tasks_error(fails_at: str):
    async def bot() -> None:
        if fails_at == "later step":
            await asyncio.sleep(0)
        raise ValueError(fails_at)

    async def main() -> None:
        with pytest.raises(ValueError, match=fails_at):
            await start_eagerly(bot())

    asyncio.run(main())


def test_a_bot_done_in_its_first_step_gives_its_result():
    async def bot() -> str:
        return "success"

    async def main() -> str:
        task = start_eagerly(bot())
        return await task

    assert asyncio.run(main()) == "success"
