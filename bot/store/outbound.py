"""Every message sent to a user through a platform, with what became of it.

The transcript (`messages`) says what the bot or an operator said; this log says whether the
platform took it, and if not, why (window closed, quota used, user unfollowed, API error), so
nothing an operator writes is silently lost.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, func, insert, select
from sqlalchemy.orm import Session

from bot.store.base import Base, utcnow
from bot.store.conversation import Conversation, conversation_id

DELIVERY_STATUSES = ("passive", "sent", "refused", "failed")


class OutboundMessage(Base):
    __tablename__ = "outbound_messages"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    text = Column(Text, nullable=False)
    status = Column(String(16), nullable=False)
    reason = Column(String(255), nullable=True)
    platform_message_id = Column(String(128), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


def record_outbound(
    session: Session,
    *,
    sender_id: str,
    channel: str,
    texts: Sequence[str],
    status: str,
    reason: str | None = None,
    platform_message_id: str | None = None,
) -> None:
    """A row per text, in order. One lookup and one insert for all of them: a passive reply's
    texts are recorded on every turn of every platform conversation."""
    if status not in DELIVERY_STATUSES:
        raise ValueError(f"unknown delivery status {status!r}")
    if not texts:  # nothing was sent: no lookup, and no conversation created for it
        return
    conversation = conversation_id(session, sender_id, channel)
    rows = [
        {
            "conversation_id": conversation,
            "channel": channel,
            "text": text,
            "status": status,
            "reason": reason,
            "platform_message_id": platform_message_id,
        }
        for text in texts
    ]
    session.execute(insert(OutboundMessage), rows)


def delivered_since(
    session: Session, conversation: Conversation, statuses: tuple[str, ...] = ("passive", "sent")
) -> int:
    """Messages with one of `statuses` since the user last wrote: what quotas count."""
    since = conversation.last_inbound_at
    query = select(func.count(OutboundMessage.id)).where(
        OutboundMessage.conversation_id == conversation.id,
        OutboundMessage.status.in_(statuses),
    )
    if since is not None:
        query = query.where(OutboundMessage.created_at >= since)
    return session.execute(query).scalar_one()
