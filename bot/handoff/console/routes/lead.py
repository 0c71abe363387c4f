"""The shift lead's screens: work orders to dispatch (the router's proposal to confirm or
change), in progress (chase 催办), overdue (chase, supervise 督办); hotel bookings awaiting the
hotel's answer (confirm with the unit price, or fail with the reason and other hotels); and
the reports. Operators get 403 here."""

from __future__ import annotations

from datetime import date
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select

from bot.booking import lifecycle
from bot.handoff import reports
from bot.handoff.console import views
from bot.handoff.console.routes.handoffs import delivery_view
from bot.handoff.console.web import (
    ConsoleError,
    in_thread,
    json_body,
    lead_only,
    principal_of,
    text_field,
)
from bot.hotline import workorders
from bot.hotline.directory import load_directory
from bot.nlu.chinese_time import reference_now
from bot.service_lines import SERVICE_LINES
from bot.store.base import utcnow
from bot.store.booking import FAIL_REASONS
from bot.store.database import session_scope
from bot.store.workorder import WorkOrder

lead = Blueprint("console_lead")

FAIL_REASON_LABELS = {"full": "旺季满房", "event": "酒店有会议或活动"}


def _deadline(order: WorkOrder) -> str:
    """The deadline that binds an order now: dispatch (by the lead) or finish (department)."""
    return "dispatch" if order.status in workorders.WAITING_FOR["dispatch"] else "finish"


def _work_orders() -> dict[str, Any]:
    now = utcnow()
    with session_scope() as session:
        in_progress = session.execute(
            select(WorkOrder)
            .where(WorkOrder.status.in_(workorders.WAITING_FOR["finish"]))
            .order_by(WorkOrder.finish_due, WorkOrder.id)
        ).scalars()
        return {
            "to_dispatch": [
                views.work_order_view(o) for o in workorders.orders_to_dispatch(session)
            ],
            "in_progress": [views.work_order_view(o) for o in in_progress],
            "overdue": [
                {**views.work_order_view(o), "deadline": _deadline(o)}
                for o in workorders.overdue_orders(session, now)
            ],
            "departments": [d.name for d in load_directory().departments],
            "now": views.iso(now),
        }


def _dispatch(number: str, department: str | None, actor: str) -> dict[str, Any]:
    with session_scope() as session:
        return views.work_order_view(
            workorders.dispatch(session, number, actor=actor, department=department)
        )


def _chase(number: str, actor: str) -> dict[str, Any]:
    with session_scope() as session:
        order = workorders.find_order(session, number)
        if order.status not in (
            *workorders.WAITING_FOR["dispatch"],
            *workorders.WAITING_FOR["finish"],
        ):
            raise ConsoleError(409, f"工单{order.number}不在办理中,无需催办")
        workorders.chase(order, _deadline(order), utcnow(), actor)
        return views.work_order_view(order)


def _supervise(number: str, actor: str) -> dict[str, Any]:
    """督办 an overdue order (the reason recorded is the deadline it missed)."""
    now = utcnow()
    with session_scope() as session:
        order = workorders.find_order(session, number)
        if order.id not in {o.id for o in workorders.overdue_orders(session, now)}:
            raise ConsoleError(409, f"工单{order.number}尚未超期")
        workorders.supervise(order, _deadline(order), now, actor)
        return views.work_order_view(order)


def _bookings() -> dict[str, Any]:
    with session_scope() as session:
        return {
            "bookings": [views.booking_view(b) for b in lifecycle.bookings_awaiting(session)],
            "fail_reasons": [{"value": r, "label": FAIL_REASON_LABELS[r]} for r in FAIL_REASONS],
        }


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ConsoleError(400, "日期格式应为 YYYY-MM-DD") from error


def _report(since: date | None, until: date | None) -> dict[str, Any]:
    start, end = reports.period(since, until, reference_now())
    if end <= start:
        raise ConsoleError(400, "开始日期不能晚于结束日期或今天")
    with session_scope() as session:
        return reports.build_report(session, start, end)


@lead.get("/api/lead/work-orders")
@lead_only
async def work_orders(request: Request) -> HTTPResponse:
    return response.json(await in_thread(_work_orders))


@lead.post("/api/lead/work-orders/<number:str>/dispatch")
@lead_only
async def dispatch(request: Request, number: str) -> HTTPResponse:
    department = json_body(request).get("department") or None
    if department is not None:
        try:
            department = load_directory().department(str(department)).name
        except KeyError as error:
            raise ConsoleError(400, f"没有承办单位“{department}”") from error
    actor = principal_of(request).username
    return response.json({"order": await in_thread(_dispatch, number, department, actor)})


@lead.post("/api/lead/work-orders/<number:str>/chase")
@lead_only
async def chase(request: Request, number: str) -> HTTPResponse:
    actor = principal_of(request).username
    return response.json({"order": await in_thread(_chase, number, actor)})


@lead.post("/api/lead/work-orders/<number:str>/supervise")
@lead_only
async def supervise(request: Request, number: str) -> HTTPResponse:
    actor = principal_of(request).username
    return response.json({"order": await in_thread(_supervise, number, actor)})


@lead.get("/api/lead/bookings")
@lead_only
async def bookings(request: Request) -> HTTPResponse:
    return response.json(await in_thread(_bookings))


@lead.post("/api/lead/bookings/<booking_id:int>/confirm")
@lead_only
async def confirm(request: Request, booking_id: int) -> HTTPResponse:
    body = json_body(request)
    price = text_field(body, "unit_price", "请填写酒店给出的单价")
    hotel = body.get("hotel") if isinstance(body.get("hotel"), str) else None
    deliveries = await lifecycle.confirm_booking(
        booking_id, unit_price=price, hotel=hotel, actor=principal_of(request).username
    )
    return response.json({"deliveries": [delivery_view(d) for d in deliveries]})


@lead.post("/api/lead/bookings/<booking_id:int>/fail")
@lead_only
async def fail(request: Request, booking_id: int) -> HTTPResponse:
    body = json_body(request)
    alternatives = body.get("alternatives") or []
    if isinstance(alternatives, str):
        alternatives = [line for line in alternatives.replace(",", "\n").splitlines()]
    if not isinstance(alternatives, list) or not all(isinstance(a, str) for a in alternatives):
        raise ConsoleError(400, "推荐酒店应为酒店名称列表")
    deliveries = await lifecycle.fail_booking(
        booking_id,
        reason=str(body.get("reason") or ""),
        alternatives=alternatives,
        actor=principal_of(request).username,
    )
    return response.json({"deliveries": [delivery_view(d) for d in deliveries]})


@lead.get("/api/lead/report")
@lead_only
async def report(request: Request) -> HTTPResponse:
    """The figures for whole local days, since … until (both inclusive; default the last 7)."""
    since, until = _day(request.args.get("since")), _day(request.args.get("until"))
    labels = {
        "channels": views.CHANNELS,
        "service_lines": {**SERVICE_LINES, "unknown": "未知"},
        "statuses": views.REQUEST_STATUSES,
    }
    return response.json({"report": await in_thread(_report, since, until), "labels": labels})
