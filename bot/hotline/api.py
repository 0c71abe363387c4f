"""The departments' work-order API, served by the Rasa server at /webhooks/workorders/….

A Rasa input channel that never talks to the bot: registering it in credentials.yml is how a
blueprint joins the Rasa server that `make run` starts, so the API needs no process of its own.
Every request carries `Authorization: Bearer <token>` (`python -m bot department token NAME`).

    GET  /webhooks/workorders/orders[?status=dispatched]  the department's orders
    GET  /webhooks/workorders/orders/<number>             one order with its history
    POST /webhooks/workorders/orders/<number>/accept      签收
    POST /webhooks/workorders/orders/<number>/return      退单, {"reason": "…"}
    POST /webhooks/workorders/orders/<number>/reply       答复, {"text": "…"}

401 missing or unknown token, 403 another department's order, 404 unknown order, 400 bad
JSON or a missing field (with the reason), 409 an action the order's status does not allow.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.hotline import workorders
from bot.hotline.tokens import department_of
from bot.store.database import session_scope
from bot.store.workorder import STATUSES

# The JSON field each action needs.
TEXT_FIELDS = {"return": "reason", "reply": "text"}


class ApiError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _error(status: int, reason: str) -> HTTPResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return response.json({"error": reason}, status=status, headers=headers)


def _department(request: Request) -> str:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "missing bearer token")
    with session_scope() as session:
        department = department_of(session, token.strip())
    if department is None:
        raise ApiError(401, "unknown token")
    return department


def _text_field(request: Request, name: str) -> str:
    try:
        body = json.loads(request.body or b"")
    except ValueError as error:
        raise ApiError(400, f"body is not JSON: {error}") from error
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f'body must be a JSON object with a non-empty "{name}" string')
    return value


def _list(department: str, status: str | None) -> list[dict[str, Any]]:
    if status is not None and status not in STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(STATUSES)}")
    with session_scope() as session:
        orders = workorders.orders_for_department(session, department, status)
        return [order.as_dict() for order in orders]


def _act(department: str, number: str, action: str, text: str | None) -> dict[str, Any]:
    with session_scope() as session:
        try:
            order = workorders.find_order(session, number)
        except workorders.OrderNotFound as error:
            raise ApiError(404, str(error)) from error
        if order.department != department:
            raise ApiError(403, f"work order {number} is not assigned to {department}")
        try:
            if action == "accept":
                workorders.accept(session, number, actor=department)
            elif action == "return":
                workorders.return_order(session, number, reason=text or "", actor=department)
            elif action == "reply":
                workorders.reply(session, number, text=text or "", actor=department)
        except workorders.InvalidTransition as error:
            raise ApiError(409, str(error)) from error
        return order.as_dict()


class WorkOrderAPI(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "workorders"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        api = Blueprint("workorders_api", __name__)

        async def serve(request: Request, work: Callable[[str], Any]) -> HTTPResponse:
            # The store is synchronous: keep it off the Rasa server's event loop.
            try:
                department = await asyncio.to_thread(_department, request)
                return response.json(await asyncio.to_thread(work, department))
            except ApiError as error:
                return _error(error.status, str(error))

        @api.route("/orders", methods=["GET"])
        async def list_orders(request: Request) -> HTTPResponse:
            status = request.args.get("status")
            return await serve(request, lambda department: _list(department, status))

        @api.route("/orders/<number:str>", methods=["GET"])
        async def show(request: Request, number: str) -> HTTPResponse:
            return await serve(request, lambda department: _act(department, number, "show", None))

        @api.route("/orders/<number:str>/<action:str>", methods=["POST"])
        async def act(request: Request, number: str, action: str) -> HTTPResponse:
            if action not in ("accept", "return", "reply"):
                return _error(404, f"no action {action!r}: accept, return or reply")

            def work(department: str) -> dict[str, Any]:
                text = _text_field(request, TEXT_FIELDS[action]) if action in TEXT_FIELDS else None
                return _act(department, number, action, text)

            return await serve(request, work)

        return api
