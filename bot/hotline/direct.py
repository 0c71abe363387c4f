"""Matters the hotline settles itself (直办): recorded as a work order that the hotline closes
at once, never dispatched, with how it was handled and the result (the seed's 直办工单填写规范:
如实记录,并详细填写处理方式及结果)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.hotline import workorders
from bot.hotline.router import Route
from bot.store.workorder import ScheduledJob, WorkOrderEvent


def handle_directly(
    session: Session,
    *,
    route: Route,
    category: str,
    fields: dict[str, Any],
    channel: str,
    sender_id: str,
    handling: str,
    now: datetime | None = None,
) -> workorders.CreatedOrder:
    """File the matter and close it: no department (so nothing is dispatched, nor bound to
    a department's open order), its dispatch timers cancelled, `handling` in its history."""
    created = workorders.create_work_order(
        session,
        route=replace(route, department=None, needs_review=False, urgent=False),
        category=category,
        fields=fields,
        channel=channel,
        sender_id=sender_id,
        now=now,
    )
    order = workorders.find_order(session, created.number)
    session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.order_id == order.id, ScheduledJob.status == "pending")
        .values(status="cancelled")
    )
    order.events.append(
        WorkOrderEvent(
            action="handle_directly",
            from_status=order.status,
            to_status="closed",
            actor="hotline",
            note=handling,
            at=order.created_at,
        )
    )
    order.status = "closed"
    order.dispatch_due = order.finish_due = None
    return replace(created, status="closed", dispatch_due=None, finish_due=None)
