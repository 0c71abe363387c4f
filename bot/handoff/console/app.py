"""The console's Sanic app, and `python -m bot console`, which serves it alone (`python -m bot
run` starts it beside the Rasa server, the action server and the scheduler).

    python -m bot console [--host 0.0.0.0] [--port 5002] [--rasa-url http://127.0.0.1:5005]

CONSOLE_PORT sets the default port; RASA_URL where the Rasa server's HTTP API is.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff.console.errors import as_console_error
from bot.handoff.console.routes import BLUEPRINTS
from bot.handoff.console.web import ConsoleError, is_api, resolve_principal

log = logging.getLogger(__name__)

DEFAULT_PORT = 5002
STATIC = Path(__file__).parent / "static"
APP_NAME = "operator_console"
FORBIDDEN_PAGE = (
    '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>无权访问</title>'
    '<link rel="stylesheet" href="/static/console.css"><body class="message-page">'
    '<main><h1>无权访问</h1><p>{message}</p><p><a href="/">返回工作台</a></p></main></body></html>'
)
# No inline scripts or styles, nothing from other origins, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
STATUS_MESSAGES = {404: "没有这个地址", 405: "不支持该请求方法", 413: "请求内容过大"}
DATABASE_THREADS = 12


def console_port() -> int:
    return int(os.environ.get("CONSOLE_PORT") or DEFAULT_PORT)


def _error_response(request: Request, error: ConsoleError) -> HTTPResponse:
    if is_api(request):
        return response.json({"error": str(error)}, status=error.status)
    if error.status == 401:
        return response.redirect("/login")
    if error.status == 403:
        return response.html(FORBIDDEN_PAGE.format(message=str(error)), status=403)
    return response.text(str(error), status=error.status)


async def _handle_error(request: Request, error: Exception) -> HTTPResponse:
    known = as_console_error(error)
    if known is None and isinstance(error, SanicException):
        status = getattr(error, "status_code", 500) or 500
        known = ConsoleError(status, STATUS_MESSAGES.get(status, str(error)))
    if known is None:
        log.exception("console request %s %s failed", request.method, request.path)
        known = ConsoleError(500, "服务器内部错误,请稍后重试")
    return _error_response(request, known)


async def _security_headers(request: Request, answer: HTTPResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        answer.headers.setdefault(name, value)
    if is_api(request):
        answer.headers.setdefault("Cache-Control", "no-store")


async def _database_threads(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
    # Every page and event stream reads SQL in a thread; the default pool (CPUs + 4) would
    # queue twenty operators' streams behind each other on a two-core box.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=DATABASE_THREADS))


def create_app() -> Sanic:
    app = Sanic(APP_NAME)
    app.register_listener(_database_threads, "before_server_start")
    app.config.REQUEST_MAX_SIZE = 1_048_576
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 2.0  # event streams never end on their own
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.register_middleware(resolve_principal, "request")
    app.register_middleware(_security_headers, "response")
    app.error_handler.add(Exception, _handle_error)
    for blueprint in BLUEPRINTS:
        app.blueprint(blueprint)
    app.static("/static", str(STATIC), name="console_static")
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot console", description=__doc__)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=console_port())
    parser.add_argument("--rasa-url", help="the Rasa server's HTTP API (default: $RASA_URL)")
    args = parser.parse_args(argv)
    if args.rasa_url:
        os.environ["RASA_URL"] = args.rasa_url
    create_app().run(host=args.host, port=args.port, access_log=False, motd=False)
    return 0
