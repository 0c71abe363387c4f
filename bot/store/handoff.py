"""The human queue: a conversation handed to operators, its notes and its history.

A request is `waiting` until an operator claims it, `claimed` while one owns it, and ends
`closed` (with a reason) or `handed_back` (the bot continues). Out of hours it is filed as
`next_shift`: nobody is waiting on it live, the next shift picks it up.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from bot.store.base import Base, utcnow

OPEN_STATUSES = ("waiting", "claimed", "next_shift")


class HandoffRequest(Base):
    """A conversation waiting for, or owned by, an operator, with why it was handed over."""

    __tablename__ = "handoff_requests"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    reason = Column(String(64), nullable=False)
    summary = Column(Text, nullable=True)
    status = Column(String(16), nullable=False, default="waiting", index=True)
    service_line = Column(String(16), nullable=True)
    category = Column(String(32), nullable=True)  # the flow or hotline category it came from
    urgent = Column(Boolean, nullable=False, default=False)
    operator_id = Column(ForeignKey("operators.id"), nullable=True, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    first_response_at = Column(DateTime(timezone=True), nullable=True)
    closed_at = Column(DateTime(timezone=True), nullable=True)
    close_reason = Column(Text, nullable=True)
    # The seed's hold rule, in chat: the waiting user hears from us every so often.
    last_hold_notice_at = Column(DateTime(timezone=True), nullable=True)

    conversation = relationship("Conversation")
    operator = relationship("Operator")
    notes = relationship("HandoffNote", order_by="HandoffNote.id", lazy="selectin")
    events = relationship("HandoffEvent", order_by="HandoffEvent.id", lazy="selectin")


class HandoffNote(Base):
    """An operator's private note on a request: never sent to the user."""

    __tablename__ = "handoff_notes"

    id = Column(Integer, primary_key=True)
    request_id = Column(ForeignKey("handoff_requests.id"), nullable=False, index=True)
    operator_id = Column(ForeignKey("operators.id"), nullable=True)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    operator = relationship("Operator")


class HandoffEvent(Base):
    """What happened to a request and who did it: queued, claimed, transferred, closed …"""

    __tablename__ = "handoff_events"

    id = Column(Integer, primary_key=True)
    request_id = Column(ForeignKey("handoff_requests.id"), nullable=False, index=True)
    kind = Column(String(32), nullable=False)
    operator_id = Column(ForeignKey("operators.id"), nullable=True)
    detail = Column(Text, nullable=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
