"""The web chat: Rasa's REST channel plus the page that talks to it.

`GET /webhooks/webchat/chat` serves the page; it posts to `/webhooks/webchat/webhook` with the
service line in the message metadata (`?line=hotline` on the page URL picks the hotline).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

PAGE = Path(__file__).parent / "static" / "webchat.html"


class WebChatInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "webchat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.route("/chat", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            return response.html(PAGE.read_text(encoding="utf-8"))

        return webhook
