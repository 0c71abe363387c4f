"""Requests for a human: the bot records them so an operator can pick them up."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Session, relationship

from bot.store.base import Base, utcnow
from bot.store.conversation import get_or_create_conversation


class HandoffRequest(Base):
    """A conversation waiting for an operator, with why it was handed over."""

    __tablename__ = "handoff_requests"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    reason = Column(String(64), nullable=False)
    summary = Column(Text, nullable=True)
    status = Column(String(16), nullable=False, default="pending")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    conversation = relationship("Conversation")


def request_handoff(
    session: Session, *, sender_id: str, channel: str, reason: str, summary: str | None
) -> HandoffRequest:
    conversation = get_or_create_conversation(session, sender_id, channel)
    request = HandoffRequest(conversation_id=conversation.id, reason=reason, summary=summary)
    session.add(request)
    session.flush()
    return request
