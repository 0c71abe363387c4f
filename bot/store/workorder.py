"""Hotline work orders (工单), their status history, the timers on them, the phone call-back
tasks they leave for operators, and the departments' API tokens.

One module for the aggregate: the timers and call-backs exist only for orders, and the tokens
only to let departments act on them. The lifecycle rules are in bot/hotline/workorders.py.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import relationship

from bot.store.base import Base, utcnow

# `bound` is where a duplicate report starts: it waits for its main order's reply.
STATUSES = (
    "created",
    "dispatched",
    "accepted",
    "returned",
    "replied",
    "follow_up",
    "closed",
    "reopened",
    "bound",
)
JOB_STATUSES = ("pending", "done", "cancelled", "failed")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()


class WorkOrder(Base):
    __tablename__ = "work_orders"

    id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=False, unique=True)  # GD20261126-0001
    category = Column(String(16), nullable=False)
    department_proposed = Column(String(64), nullable=True)  # by the router
    department = Column(String(64), nullable=True, index=True)  # confirmed by the shift lead
    route_confidence = Column(Float, nullable=False, default=0.0)
    needs_review = Column(Boolean, nullable=False, default=False)
    urgent = Column(Boolean, nullable=False, default=False)
    status = Column(String(16), nullable=False, default="created", index=True)
    # name (or 匿名), when, where, what, contact, staff_name, staff_number, note
    fields = Column(JSON, nullable=False, default=dict)
    contact_phone = Column(String(32), nullable=True, index=True)  # to find repeat reporters
    channel = Column(String(32), nullable=False)
    sender_id = Column(String(191), nullable=False, index=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=True, index=True)
    dispatch_due = Column(DateTime(timezone=True), nullable=True)
    finish_due = Column(DateTime(timezone=True), nullable=True)
    followup_due = Column(DateTime(timezone=True), nullable=True)
    reply = Column(Text, nullable=True)  # the department's latest reply
    satisfaction = Column(String(8), nullable=True)  # 满意 / 基本满意 / 不满意
    bound_to_id = Column(ForeignKey("work_orders.id"), nullable=True, index=True)
    chased_at = Column(DateTime(timezone=True), nullable=True)
    supervised_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    bound_to = relationship("WorkOrder", remote_side=[id], backref="duplicates")
    events = relationship(
        "WorkOrderEvent", back_populates="order", order_by="WorkOrderEvent.id", lazy="selectin"
    )

    def as_dict(self) -> dict[str, Any]:
        """The order with its history, as the export and the departments' API give it."""
        return {
            "number": self.number,
            "category": self.category,
            "status": self.status,
            "department_proposed": self.department_proposed,
            "department": self.department,
            "route_confidence": self.route_confidence,
            "needs_review": self.needs_review,
            "urgent": self.urgent,
            "fields": self.fields,
            "channel": self.channel,
            "sender_id": self.sender_id,
            "bound_to": self.bound_to.number if self.bound_to else None,
            "dispatch_due": _iso(self.dispatch_due),
            "finish_due": _iso(self.finish_due),
            "followup_due": _iso(self.followup_due),
            "reply": self.reply,
            "satisfaction": self.satisfaction,
            "chased_at": _iso(self.chased_at),
            "supervised_at": _iso(self.supervised_at),
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "history": [
                {
                    "action": e.action,
                    "from": e.from_status,
                    "to": e.to_status,
                    "actor": e.actor,
                    "note": e.note,
                    "at": _iso(e.at),
                }
                for e in self.events
            ],
        }


class WorkOrderEvent(Base):
    """One step in an order's history: a status change, or a chase, supervision or binding
    (then from_status equals to_status)."""

    __tablename__ = "work_order_events"

    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("work_orders.id"), nullable=False, index=True)
    action = Column(String(16), nullable=False)
    from_status = Column(String(16), nullable=True)
    to_status = Column(String(16), nullable=False)
    actor = Column(String(64), nullable=False)
    note = Column(Text, nullable=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    order = relationship("WorkOrder", back_populates="events")


class ScheduledJob(Base):
    """A timer on a work order or on a booking, run by the scheduler process when due
    (bot/hotline/scheduler.py). Timers began with work orders; bookings need them too (the
    weather note the day before check-in), so exactly one of the two is set and the handler
    of `kind` knows which."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (
        CheckConstraint("(order_id IS NULL) <> (booking_id IS NULL)", name="one_subject"),
    )

    id = Column(Integer, primary_key=True)
    kind = Column(String(32), nullable=False)
    order_id = Column(ForeignKey("work_orders.id"), nullable=True, index=True)
    booking_id = Column(ForeignKey("bookings.id"), nullable=True, index=True)
    payload = Column(JSON, nullable=False, default=dict)
    due_at = Column(DateTime(timezone=True), nullable=False, index=True)
    status = Column(String(16), nullable=False, default="pending", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)
    # What a job that ran chose to do, for people to read: why a notice was not sent.
    outcome = Column(Text, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    finished_at = Column(DateTime(timezone=True), nullable=True)

    order = relationship("WorkOrder")
    booking = relationship("Booking")


class CallbackTask(Base):
    """A follow-up (回访) an operator makes by phone: chat could not reach the citizen or
    they did not answer in time."""

    __tablename__ = "callback_tasks"

    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("work_orders.id"), nullable=False, index=True)
    reason = Column(String(255), nullable=False)
    status = Column(String(16), nullable=False, default="open", index=True)
    due_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    done_at = Column(DateTime(timezone=True), nullable=True)

    order = relationship("WorkOrder")


class DepartmentToken(Base):
    """A department's API token, kept only as its SHA-256 digest."""

    __tablename__ = "department_tokens"

    id = Column(Integer, primary_key=True)
    department = Column(String(64), nullable=False, index=True)
    digest = Column(String(64), nullable=False, unique=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
