"""Conversations and the messages in them, as every channel saw them."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Session, relationship

from bot.store.base import Base, utcnow


class Conversation(Base):
    """One Rasa conversation (Rasa's sender_id), with the channel it came in on."""

    __tablename__ = "conversations"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(191), nullable=False, unique=True)
    channel = Column(String(32), nullable=False, default="unknown")
    service_line = Column(String(16), nullable=True)
    started_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_message_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    messages = relationship(
        "Message", back_populates="conversation", order_by="Message.id", lazy="selectin"
    )


class Message(Base):
    """A message in or out. `direction` is "in" (from the user) or "out" (to the user)."""

    __tablename__ = "messages"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    direction = Column(String(3), nullable=False)
    text = Column(Text, nullable=True)
    intent = Column(String(64), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    conversation = relationship("Conversation", back_populates="messages")


def get_or_create_conversation(
    session: Session, sender_id: str, channel: str | None = None
) -> Conversation:
    conversation = session.execute(
        select(Conversation).where(Conversation.sender_id == sender_id)
    ).scalar_one_or_none()
    if conversation is None:
        conversation = Conversation(sender_id=sender_id, channel=channel or "unknown")
        session.add(conversation)
        session.flush()
    elif channel and conversation.channel == "unknown":
        conversation.channel = channel
    return conversation
