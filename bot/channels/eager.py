"""Start a coroutine as a task that runs its first step at once, as Python 3.12's eager tasks do.

A new task first waits for the rest of the event loop's turn. On a busy server that turn is
the synchronous work of other conversations, so a platform message whose bot ran in a plain
task waited longer, and its request was read later, than a REST message, whose bot runs in
the request's own handler (docs/benchmarks.md). The bot cannot run in the handler itself:
Sanic cancels the handler when the platform hangs up, which would abort the bot mid-turn.

Rasa 3.6 runs on Python 3.10, which has no `eager_start`; this does what it does: the first
step runs now, in the task's own context and as the current task (aiohttp's timeouts cancel
the current task), and the task carries on from where that step stopped.
"""

from __future__ import annotations

import asyncio
import contextvars
import types
from collections.abc import Coroutine, Generator
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")


class _FirstStep:
    """What the first step of a coroutine did: stopped at a future, returned, or raised."""

    def __init__(self) -> None:
        self.waiting_on: Any = None  # what the coroutine yielded (a future, or None)
        self.returned: Any = None
        self.raised: BaseException | None = None
        self.done = False


def start_eagerly(work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """A task running `work`; its first step has run when this returns."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    first = _FirstStep()
    task = loop.create_task(_carry_on(work, context, first))
    caller = asyncio.current_task()
    if caller is not None:
        asyncio.tasks._leave_task(loop, caller)
    asyncio.tasks._enter_task(loop, task)
    try:
        first.waiting_on = context.run(work.send, None)
    except StopIteration as stopped:
        first.returned, first.done = stopped.value, True
    except BaseException as error:  # noqa: BLE001 (the task raises it, as a task would)
        first.raised, first.done = error, True
    finally:
        asyncio.tasks._leave_task(loop, task)
        if caller is not None:
            asyncio.tasks._enter_task(loop, caller)
    return task


@types.coroutine
def _carry_on(
    work: Coroutine[Any, Any, T], context: contextvars.Context, first: _FirstStep
) -> Generator[Any, None, T]:
    """The rest of `work`, each step in its own context, driven by the task."""
    if first.raised is not None:
        raise first.raised
    if first.done:
        return first.returned
    waiting_on = first.waiting_on
    while True:
        try:
            yield waiting_on  # the task waits for it, and then resumes us
        except BaseException as error:  # cancellation, passed on as a task passes it on
            step = partial(work.throw, error)
        else:
            step = partial(work.send, None)
        try:
            waiting_on = context.run(step)
        except StopIteration as stopped:
            return stopped.value
