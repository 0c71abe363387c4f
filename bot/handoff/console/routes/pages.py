"""The console's pages: the queue and conversation screen for everyone, the shift lead's
screen for leads. The pages are static; their scripts fetch everything from /api/."""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff.console.web import lead_only, operator_only

STATIC = Path(__file__).parents[1] / "static"

pages = Blueprint("console_pages")


def _page(name: str) -> HTTPResponse:
    return response.html((STATIC / name).read_text(encoding="utf-8"))


@pages.get("/")
@operator_only
async def console(request: Request) -> HTTPResponse:
    return _page("console.html")


@pages.get("/lead")
@lead_only
async def lead(request: Request) -> HTTPResponse:
    return _page("lead.html")


@pages.get("/health")
async def health(request: Request) -> HTTPResponse:
    return response.json({"status": "ok"})


@pages.get("/favicon.ico")
async def favicon(request: Request) -> HTTPResponse:
    return response.empty()
