"""Reading conversations: the recent list (to open one the queue does not show), one
conversation with its transcript, records and reply window, and the slots the bot holds."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff import rasa_api
from bot.handoff.console import canned, views
from bot.handoff.console.routes.handoffs import window_view
from bot.handoff.console.web import ConsoleError, in_thread, operator_only, path_part
from bot.store.conversation import find_conversation
from bot.store.database import session_scope

conversations = Blueprint("console_conversations")


def _recent(search: str | None) -> list[dict[str, Any]]:
    with session_scope() as session:
        return views.recent_conversations(session, search)


def conversation_snapshot(sender_id: str) -> dict[str, Any]:
    """What SQL says about a conversation, with its reply window: the live part of the
    conversation screen (the SSE stream sends it again whenever it changes)."""
    with session_scope() as session:
        conversation = find_conversation(session, sender_id)
        if conversation is None:
            raise ConsoleError(404, f"没有会话 {sender_id}")
        view = views.conversation_view(session, conversation)
    view["window"] = window_view(sender_id)
    return view


async def bot_state(sender_id: str) -> dict[str, Any]:
    """The slots the bot collected; an error for the page instead when Rasa does not answer."""
    try:
        return views.slot_view(await rasa_api.conversation_state(sender_id))
    except rasa_api.RasaUnavailable as error:
        return {"slots": [], "error": str(error)}


@conversations.get("/api/conversations")
@operator_only
async def recent(request: Request) -> HTTPResponse:
    return response.json({"conversations": await in_thread(_recent, request.args.get("q"))})


@conversations.get("/api/conversations/<sender_id:str>")
@operator_only
async def show(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = path_part(sender_id)
    view = await in_thread(conversation_snapshot, sender_id)
    view["state"] = await bot_state(sender_id)
    view["canned"] = canned.for_line(view["conversation"]["service_line"])
    return response.json(view)


@conversations.get("/api/conversations/<sender_id:str>/state")
@operator_only
async def state(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = path_part(sender_id)
    return response.json(await bot_state(sender_id))
