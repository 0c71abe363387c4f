"""The queue and what an operator does with a conversation they own: claim or take over,
reply, note, transfer, close, hand back to the bot."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select

from bot.channels.sender import Delivery
from bot.handoff import queue, rasa_api, replies
from bot.handoff.console import views
from bot.handoff.console.web import (
    ConsoleError,
    in_thread,
    json_body,
    operator_only,
    path_part,
    principal_of,
    text_field,
)
from bot.store.database import session_scope
from bot.store.operator import Operator

log = logging.getLogger(__name__)

handoffs = Blueprint("console_handoffs")

PAUSE_FAILED = "已接入,但未能让智能客服暂停({reason}),它可能仍会自动回复"


def window_view(sender_id: str) -> dict[str, Any]:
    """The conversation's reply window as the page shows it."""
    return replies.reply_window(sender_id).as_dict(datetime.now(timezone.utc))


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    return {
        "status": delivery.status,
        "ok": delivery.ok,
        "text": delivery.text,
        "reason": delivery.reason,
    }


def queue_snapshot(operator_id: int) -> dict[str, Any]:
    with session_scope() as session:
        return views.queue_view(session, operator_id)


def _operators() -> list[dict[str, Any]]:
    with session_scope() as session:
        rows = session.execute(
            select(Operator).where(Operator.active.is_(True)).order_by(Operator.display_name)
        ).scalars()
        return [
            {"id": o.id, "username": o.username, "display_name": o.display_name, "role": o.role}
            for o in rows
        ]


def _claim(request_id: int, operator_id: int) -> dict[str, Any]:
    with session_scope() as session:
        claimed = queue.claim(session, request_id, operator_id)
        return views.request_view(session, claimed)


def _take_over(sender_id: str, operator_id: int) -> dict[str, Any]:
    with session_scope() as session:
        taken = queue.take_over(session, sender_id, operator_id)
        return views.request_view(session, taken)


def _owned_sender(request_id: int, operator_id: int) -> str:
    """The sender id of a request the operator owns; NotOwner otherwise."""
    with session_scope() as session:
        return queue.owned(session, request_id, operator_id).conversation.sender_id


def _transfer(request_id: int, operator_id: int, to_operator_id: int) -> dict[str, Any]:
    with session_scope() as session:
        moved = queue.transfer(session, request_id, operator_id, to_operator_id)
        return views.request_view(session, moved)


def _close(request_id: int, operator_id: int, reason: str) -> dict[str, Any]:
    with session_scope() as session:
        return views.request_view(session, queue.close(session, request_id, operator_id, reason))


def _hand_back(request_id: int, operator_id: int) -> dict[str, Any]:
    with session_scope() as session:
        return views.request_view(session, queue.hand_back(session, request_id, operator_id))


def _add_note(request_id: int, operator_id: int, text: str) -> None:
    with session_scope() as session:
        queue.add_note(session, request_id, operator_id, text)


async def pause_bot(sender_id: str) -> str | None:
    """Silence the bot for a conversation a person now owns; a warning if Rasa refused."""
    try:
        await rasa_api.pause(sender_id)
    except rasa_api.RasaUnavailable as error:
        log.warning("could not pause the bot for %s: %s", sender_id, error)
        return PAUSE_FAILED.format(reason=error)
    return None


@handoffs.get("/api/queue")
@operator_only
async def show_queue(request: Request) -> HTTPResponse:
    return response.json(await in_thread(queue_snapshot, principal_of(request).operator_id))


@handoffs.get("/api/operators")
@operator_only
async def operators(request: Request) -> HTTPResponse:
    return response.json({"operators": await in_thread(_operators)})


@handoffs.post("/api/requests/<request_id:int>/claim")
@operator_only
async def claim(request: Request, request_id: int) -> HTTPResponse:
    claimed = await in_thread(_claim, request_id, principal_of(request).operator_id)
    warning = await pause_bot(claimed["sender_id"])
    return response.json({"request": claimed, "warning": warning})


@handoffs.post("/api/conversations/<sender_id:str>/take-over")
@operator_only
async def take_over(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = path_part(sender_id)
    taken = await in_thread(_take_over, sender_id, principal_of(request).operator_id)
    warning = await pause_bot(sender_id)
    return response.json({"request": taken, "warning": warning})


@handoffs.post("/api/requests/<request_id:int>/reply")
@operator_only
async def reply(request: Request, request_id: int) -> HTTPResponse:
    """Send a reply through the conversation's channel. A reply with a forbidden phrase is
    refused (422, with the phrases) unless the operator confirms it with "confirmed": true."""
    me = principal_of(request)
    body = json_body(request)
    text = text_field(body, "text", "请输入回复内容")
    flagged = replies.forbidden_phrases(text)
    if flagged and body.get("confirmed") is not True:
        return response.json(
            {
                "error": "回复中含有服务规范禁用语,请修改后再发送,或确认仍要发送",
                "forbidden": flagged,
            },
            status=422,
        )
    sender_id = await in_thread(_owned_sender, request_id, me.operator_id)
    deliveries = await replies.send_to_user(sender_id, text, operator_id=me.operator_id)
    return response.json(
        {
            "deliveries": [delivery_view(d) for d in deliveries],
            "sent": all(d.ok for d in deliveries),
            "window": await in_thread(window_view, sender_id),
        }
    )


@handoffs.post("/api/requests/<request_id:int>/notes")
@operator_only
async def add_note(request: Request, request_id: int) -> HTTPResponse:
    text = text_field(json_body(request), "text", "备注不能为空")
    await in_thread(_add_note, request_id, principal_of(request).operator_id, text)
    return response.json({"ok": True})


@handoffs.post("/api/requests/<request_id:int>/transfer")
@operator_only
async def transfer(request: Request, request_id: int) -> HTTPResponse:
    target = json_body(request).get("operator_id")
    if not isinstance(target, int) or isinstance(target, bool):
        raise ConsoleError(400, "请选择要转交的话务员")
    me = principal_of(request).operator_id
    if target == me:
        raise ConsoleError(400, "不能转交给自己")
    moved = await in_thread(_transfer, request_id, me, target)
    return response.json({"request": moved})


@handoffs.post("/api/requests/<request_id:int>/close")
@operator_only
async def close(request: Request, request_id: int) -> HTTPResponse:
    reason = text_field(json_body(request), "reason", "请填写结束原因")
    closed = await in_thread(_close, request_id, principal_of(request).operator_id, reason)
    return response.json({"request": closed})


@handoffs.post("/api/requests/<request_id:int>/hand-back")
@operator_only
async def hand_back(request: Request, request_id: int) -> HTTPResponse:
    """Return the conversation to the bot with the operator's slot corrections: the bot
    continues the unfinished form, and what it says next goes to the user."""
    me = principal_of(request).operator_id
    corrections = json_body(request).get("corrections") or {}
    if not isinstance(corrections, dict):
        raise ConsoleError(400, "corrections 应为 {字段: 值}")
    sender_id = await in_thread(_owned_sender, request_id, me)
    try:
        said = await rasa_api.resume(sender_id, corrections)
    except ValueError as error:
        raise ConsoleError(400, str(error)) from error
    handed = await in_thread(_hand_back, request_id, me)
    # The bot's words are in its tracker, so the recorder already put them in the transcript.
    deliveries = [
        d for text in said for d in await replies.send_to_user(sender_id, text, transcript=False)
    ]
    return response.json(
        {
            "request": handed,
            "bot_said": said,
            "deliveries": [delivery_view(d) for d in deliveries],
        }
    )
