"""The web chat: Rasa's REST channel plus the page that talks to it.

`GET /webhooks/webchat/chat` serves the page; it posts to `/webhooks/webchat/webhook` with the
service line in the message metadata (`?line=hotline` on the page URL picks the hotline).
Messages that do not answer a post (an operator's replies, notifications) are kept in the
outbound log; the page fetches them from `/webhooks/webchat/pushes`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select

from bot.channels.sender import ChannelSender, DeliveryRefused, ReplyWindow
from bot.store.conversation import find_conversation
from bot.store.database import session_scope
from bot.store.outbound import OutboundMessage

PAGE = Path(__file__).parent / "static" / "webchat.html"
PUSHES_PER_FETCH = 50


class WebChatSender(ChannelSender):
    """Delivery is the page fetching the message: recording it as sent is the send."""

    channel = "webchat"
    max_chars = 2000

    def window_limits(self, window: ReplyWindow) -> tuple[timedelta | None, int | None]:
        return None, None

    def check_window(self, window: ReplyWindow, now: datetime) -> None:
        if not window.reply_context.get("known"):
            raise DeliveryRefused("该网页会话不存在")

    def current_window(self, sender_id: str) -> ReplyWindow:
        # The page posts through Rasa's REST channel, which records no reply window and no
        # quota: a conversation we know of can be written to; its page fetches the message.
        with session_scope() as session:
            known = find_conversation(session, sender_id) is not None
        return ReplyWindow(None, 0, {"known": known})

    async def deliver(self, user_id: str, text: str, window: ReplyWindow) -> str | None:
        return None


def pushes(sender_id: str, after: int) -> list[dict[str, object]]:
    """Messages sent to this page outside its posts, newer than the id `after`."""
    with session_scope() as session:
        conversation = find_conversation(session, sender_id)
        if conversation is None:
            return []
        rows = session.execute(
            select(OutboundMessage)
            .where(
                OutboundMessage.conversation_id == conversation.id,
                OutboundMessage.channel == "webchat",
                OutboundMessage.status == "sent",
                OutboundMessage.id > after,
            )
            .order_by(OutboundMessage.id)
            .limit(PUSHES_PER_FETCH)
        ).scalars()
        return [{"id": row.id, "text": row.text} for row in rows]


class WebChatInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "webchat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.route("/chat", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            return response.html(PAGE.read_text(encoding="utf-8"))

        @webhook.route("/pushes", methods=["GET"])
        async def fetch_pushes(request: Request) -> HTTPResponse:
            sender = request.args.get("sender", "")
            try:
                after = int(request.args.get("after", "0"))
            except ValueError:
                return response.json({"error": "after must be a message id"}, status=400)
            if not sender.startswith("web-"):
                return response.json({"error": "unknown web chat"}, status=400)
            return response.json(await asyncio.to_thread(pushes, sender, after))

        return webhook
