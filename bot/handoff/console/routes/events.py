"""Server-Sent Events: the queue and the open conversation, live.

Each push re-reads SQL (the source of truth) when the live feed says something changed, and
on every quiet tick as well, and is sent only if what it shows differs from the last push;
so a lost event costs a few seconds, never a message. The stream ends when the session does
(logout, expiry, a disabled operator): the page then goes to the login form."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff import live
from bot.handoff.console.routes.conversations import conversation_snapshot
from bot.handoff.console.routes.handoffs import queue_snapshot
from bot.handoff.console.web import (
    SESSION_COOKIE,
    ConsoleError,
    find_principal,
    in_thread,
    operator_only,
    principal_of,
)

events = Blueprint("console_events")

VOLATILE = frozenset({"now", "waited_seconds"})  # change every second, shown by the page's clock


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


class _Stream:
    """One browser's event stream: sends a payload only when it changed."""

    def __init__(self, answer: HTTPResponse) -> None:
        self.answer = answer
        self.last: dict[str, str] = {}

    async def push(self, name: str, payload: dict[str, Any]) -> None:
        fingerprint = json.dumps(_stable(payload), ensure_ascii=False, sort_keys=True)
        if self.last.get(name) == fingerprint:
            return
        self.last[name] = fingerprint
        data = json.dumps(payload, ensure_ascii=False)
        await self.answer.send(f"event: {name}\ndata: {data}\n\n")

    async def comment(self, text: str) -> None:
        await self.answer.send(f": {text}\n\n")


@events.get("/api/events")
@operator_only
async def stream(request: Request) -> None:
    operator_id = principal_of(request).operator_id
    token = request.cookies.get(SESSION_COOKIE)
    sender_id = request.args.get("sender") or None
    topic = live.conversation_topic(sender_id) if sender_id else None
    answer = await request.respond(
        content_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
    out = _Stream(answer)
    await answer.send("retry: 2000\n\n")
    listener = live.listen()
    try:
        async for topics in listener:
            queue_changed = bool(topics & {live.QUEUE, live.RESYNC})
            if queue_changed:
                await out.push("queue", await in_thread(queue_snapshot, operator_id))
            if sender_id and (queue_changed or topic in topics):
                # A conversation not recorded yet shows on the next change or tick.
                with contextlib.suppress(ConsoleError):
                    await out.push(
                        "conversation", await in_thread(conversation_snapshot, sender_id)
                    )
            if live.TICK in topics:  # a quiet interval: is the session still good?
                if await in_thread(find_principal, token) is None:
                    await answer.send("event: logout\ndata: {}\n\n")
                    break
                await out.comment("ping")
    finally:
        await listener.aclose()
    await answer.eof()
