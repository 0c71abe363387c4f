"""What every console route shares: who is asking (the session cookie), what they may do
(roles, CSRF), reading JSON bodies, and errors as JSON {"error": "…"} with a 4xx status."""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff.console import auth
from bot.store.database import session_scope

SESSION_COOKIE = "console_session"
LOGIN_COOKIE = "console_login"  # the CSRF token of the login form, before there is a session
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PREFIXES = ("/static/", "/health", "/favicon.ico")  # no session looked up for these
# Logging in checks the login form's own token (there is no session token yet to compare).
CSRF_EXEMPT = frozenset({"/login", "/api/login"})

NOT_LOGGED_IN = "请先登录"
LEAD_ONLY = "只有班长可以使用此功能"
BAD_CSRF = "安全校验失败(CSRF 令牌缺失或无效),请刷新页面后重试"

T = TypeVar("T")
Handler = Callable[..., Awaitable[HTTPResponse]]


class ConsoleError(Exception):
    """A request the console refuses; `status` is the HTTP status, the message is for people."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """The store is synchronous: run it off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


def is_api(request: Request) -> bool:
    return request.path.startswith("/api/")


def set_cookie(
    response: HTTPResponse, request: Request, name: str, value: str, max_age: int
) -> None:
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    cookie["max-age"] = max_age
    # Behind an HTTPS proxy, set CONSOLE_SECURE_COOKIES=1 (or configure Sanic's forwarding).
    if request.scheme == "https" or os.environ.get("CONSOLE_SECURE_COOKIES") == "1":
        cookie["secure"] = True


def clear_cookie(response: HTTPResponse, request: Request, name: str) -> None:
    set_cookie(response, request, name, "", 0)


def find_principal(token: str | None) -> auth.Principal | None:
    with session_scope() as session:
        return auth.find_session(session, token)


async def resolve_principal(request: Request) -> HTTPResponse | None:
    """Request middleware: attach the logged-in operator (or None) and check the CSRF token
    of every request that changes something in a session."""
    if request.path.startswith(PUBLIC_PREFIXES):
        request.ctx.principal = None
        return None
    token = request.cookies.get(SESSION_COOKIE)
    principal = await in_thread(find_principal, token) if token else None
    request.ctx.principal = principal
    if (
        principal is not None
        and request.method not in SAFE_METHODS
        and request.path not in CSRF_EXEMPT
    ):
        given = request.headers.get(CSRF_HEADER)
        if given is None and request.content_type.startswith("application/x-www-form-urlencoded"):
            given = request.form.get(CSRF_FIELD)
        if not auth.tokens_match(principal.csrf_token, given):
            raise ConsoleError(403, BAD_CSRF)
    return None


def principal_of(request: Request) -> auth.Principal:
    principal: auth.Principal | None = getattr(request.ctx, "principal", None)
    if principal is None:
        raise ConsoleError(401, NOT_LOGGED_IN)
    return principal


def operator_only(handler: Handler) -> Handler:
    """Any logged-in operator or lead."""

    @functools.wraps(handler)
    async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        principal_of(request)
        return await handler(request, *args, **kwargs)

    return guarded


def lead_only(handler: Handler) -> Handler:
    """Shift leads only: operators get 403."""

    @functools.wraps(handler)
    async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        if not principal_of(request).is_lead:
            raise ConsoleError(403, LEAD_ONLY)
        return await handler(request, *args, **kwargs)

    return guarded


def json_body(request: Request) -> dict[str, Any]:
    try:
        body = request.json
    except Exception as error:  # Sanic raises InvalidUsage with an English message
        raise ConsoleError(400, "请求内容不是有效的 JSON") from error
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ConsoleError(400, "请求内容应为 JSON 对象")
    return body


def text_field(body: dict[str, Any], name: str, missing: str) -> str:
    """A non-empty string field of a JSON body; ConsoleError(400, missing) otherwise."""
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ConsoleError(400, missing)
    return value.strip()


def path_part(value: str) -> str:
    """A value from the URL path as the page encoded it (Sanic leaves %3A in sender ids)."""
    return unquote(value)
