"""Bookings taken by chat: hotel, meeting venue and flight, one table with the fields as JSON.

The three forms collect different fields, but operators handle them the same way (queue,
confirm or fail, notify), so they share one lifecycle and one table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Session, relationship

from bot.store.base import Base, utcnow
from bot.store.conversation import get_or_create_conversation

BOOKING_KINDS = ("hotel", "meeting", "flight")
BOOKING_STATUSES = ("submitted", "confirmed", "failed", "cancelled")
# The seed's two reasons a hotel will not take a booking: peak season, or an event there.
FAIL_REASONS = ("full", "event")


class Booking(Base):
    __tablename__ = "bookings"

    id = Column(Integer, primary_key=True)
    reference = Column(String(32), unique=True, nullable=True)
    kind = Column(String(16), nullable=False)
    status = Column(String(16), nullable=False, default="submitted")
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    sender_id = Column(String(191), nullable=False)
    contact_name = Column(String(64), nullable=True)
    contact_phone = Column(String(32), nullable=True)
    details = Column(JSON, nullable=False, default=dict)
    # The operator's decision after calling the hotel (bot/booking/lifecycle.py).
    unit_price = Column(String(32), nullable=True)  # as the operator wrote it: "364"
    fail_reason = Column(String(16), nullable=True)  # FAIL_REASONS
    alternatives = Column(JSON, nullable=True)  # hotels recommended instead
    decided_by = Column(String(64), nullable=True)
    decided_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    conversation = relationship("Conversation")


def create_booking(
    session: Session,
    *,
    kind: str,
    sender_id: str,
    channel: str,
    details: dict[str, Any],
    contact_name: str | None,
    contact_phone: str | None,
) -> Booking:
    """Store a confirmed booking request as `submitted` and give it a reference number."""
    if kind not in BOOKING_KINDS:
        raise ValueError(f"unknown booking kind {kind!r}")
    conversation = get_or_create_conversation(session, sender_id, channel)
    booking = Booking(
        kind=kind,
        status="submitted",
        conversation_id=conversation.id,
        channel=channel,
        sender_id=sender_id,
        contact_name=contact_name,
        contact_phone=contact_phone,
        details=details,
    )
    session.add(booking)
    session.flush()
    # The reference is what the traveller quotes on the phone: short, dated, unique.
    booking.reference = f"KF{booking.created_at:%y%m%d}{booking.id:05d}"
    return booking
