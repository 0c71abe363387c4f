"""Logging in and out: the login form and its JSON twin for scripts, and who am I.

Before there is a session, the login form's CSRF token is a random value in a cookie that the
form (or the X-CSRF-Token header) must repeat: a page on another site can neither read the
cookie nor, with SameSite=Strict, make the browser send it."""

from __future__ import annotations

import html
from pathlib import Path

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff.console import auth
from bot.handoff.console.web import (
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    ConsoleError,
    clear_cookie,
    in_thread,
    json_body,
    operator_only,
    principal_of,
    set_cookie,
    text_field,
)
from bot.store.database import session_scope

LOGIN_PAGE = Path(__file__).parents[1] / "static" / "login.html"
LOGIN_TOKEN_SECONDS = 3600
SESSION_SECONDS = int(auth.SESSION_LIFETIME.total_seconds())

login = Blueprint("console_session")


def _log_in(username: str, password: str) -> tuple[str, auth.Principal]:
    with session_scope() as session:
        operator = auth.authenticate(session, username, password)
        token = auth.open_session(session, operator)
        principal = auth.find_session(session, token)
    assert principal is not None
    return token, principal


def _log_out(token: str | None) -> None:
    with session_scope() as session:
        auth.close_session(session, token)


def _login_page(request: Request, error: str | None = None, status: int = 200) -> HTTPResponse:
    token = auth.new_token()
    page = LOGIN_PAGE.read_text(encoding="utf-8")
    page = page.replace("{{csrf_token}}", html.escape(token))
    page = page.replace("{{error}}", html.escape(error or ""))
    page = page.replace("{{error_hidden}}", "" if error else "hidden")
    answer = response.html(page, status=status)
    set_cookie(answer, request, LOGIN_COOKIE, token, LOGIN_TOKEN_SECONDS)
    return answer


def _signed_in(answer: HTTPResponse, request: Request, token: str) -> HTTPResponse:
    set_cookie(answer, request, SESSION_COOKIE, token, SESSION_SECONDS)
    clear_cookie(answer, request, LOGIN_COOKIE)
    return answer


@login.get("/login")
async def login_page(request: Request) -> HTTPResponse:
    if request.ctx.principal is not None:
        return response.redirect("/")
    return _login_page(request)


@login.post("/login")
async def login_form(request: Request) -> HTTPResponse:
    form = request.form
    if not auth.tokens_match(request.cookies.get(LOGIN_COOKIE), form.get(CSRF_FIELD)):
        return _login_page(request, "页面已过期,请重新登录", status=403)
    try:
        token, _ = await in_thread(_log_in, form.get("username") or "", form.get("password") or "")
    except auth.LoginFailed as failed:
        return _login_page(request, str(failed), status=401)
    return _signed_in(response.redirect("/", status=303), request, token)


@login.post("/logout")
async def logout_form(request: Request) -> HTTPResponse:
    await in_thread(_log_out, request.cookies.get(SESSION_COOKIE))
    answer = response.redirect("/login", status=303)
    clear_cookie(answer, request, SESSION_COOKIE)
    return answer


@login.get("/api/login")
async def login_token(request: Request) -> HTTPResponse:
    """A login CSRF token for scripts: repeat it in X-CSRF-Token when posting /api/login."""
    token = auth.new_token()
    answer = response.json({"csrf_token": token})
    set_cookie(answer, request, LOGIN_COOKIE, token, LOGIN_TOKEN_SECONDS)
    return answer


@login.post("/api/login")
async def login_api(request: Request) -> HTTPResponse:
    if not auth.tokens_match(request.cookies.get(LOGIN_COOKIE), request.headers.get(CSRF_HEADER)):
        raise ConsoleError(403, "安全校验失败(缺少登录令牌),请先 GET /api/login")
    body = json_body(request)
    username = text_field(body, "username", "请输入用户名")
    password = text_field(body, "password", "请输入密码")
    try:
        token, principal = await in_thread(_log_in, username, password)
    except auth.LoginFailed as failed:
        raise ConsoleError(401, str(failed)) from failed
    answer = response.json({"operator": principal.as_dict(), "csrf_token": principal.csrf_token})
    return _signed_in(answer, request, token)


@login.post("/api/logout")
@operator_only
async def logout_api(request: Request) -> HTTPResponse:
    await in_thread(_log_out, request.cookies.get(SESSION_COOKIE))
    answer = response.json({"ok": True})
    clear_cookie(answer, request, SESSION_COOKIE)
    return answer


@login.get("/api/me")
@operator_only
async def me(request: Request) -> HTTPResponse:
    principal = principal_of(request)
    return response.json({"operator": principal.as_dict(), "csrf_token": principal.csrf_token})
