"""Conversations and the messages in them, as every channel saw them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session, relationship

from bot.service_lines import known_service_line
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
    # When the user last wrote on the platform, and what a reply to it needs: platforms open
    # their reply windows from the user's last message (WeChat 48 h, QQ 60/5 min, Weibo 48 h).
    last_inbound_at = Column(DateTime(timezone=True), nullable=True)
    reply_context = Column(JSON, nullable=True)

    # Loaded only when read (exports ask for it): every message the bot records looks its
    # conversation up, and must not read the whole transcript to do so.
    messages = relationship("Message", back_populates="conversation", order_by="Message.id")


class Message(Base):
    """A message in or out. `direction` is "in" (from the user) or "out" (to the user)."""

    __tablename__ = "messages"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    direction = Column(String(3), nullable=False)
    text = Column(Text, nullable=True)
    intent = Column(String(64), nullable=True)
    # Who wrote an outgoing message when it was not the bot: the operator's username.
    author = Column(String(64), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    conversation = relationship("Conversation", back_populates="messages")


def note_inbound(
    session: Session,
    *,
    sender_id: str,
    channel: str,
    at: datetime,
    service_line: str,
    reply_context: dict[str, Any],
    record_text: str | None = None,
) -> None:
    """A platform message the bot does not read (an image, an event) arrived: reopen the
    reply window, keep what a reply needs, and record it in the transcript. (Messages the bot
    reads do the same through their metadata when the turn is recorded: `inbound_changes`.)"""
    conversation = conversation_id(session, sender_id, channel)
    changes = inbound_changes(
        {"service_line": service_line, "received_at": at, "reply_context": reply_context},
        reopens_window=True,
    )
    if record_text is not None:
        add_messages(session, [message_row(conversation, "in", record_text, at)])
        changes["last_message_at"] = at
    update_conversation(session, conversation, **changes)


def inbound_changes(metadata: dict[str, Any], reopens_window: bool) -> dict[str, Any]:
    """What a user message's metadata changes in its conversation: the service line, and for
    a platform's message (`reopens_window`; Inbound.metadata) the reply window it reopens and
    what a reply needs."""
    changes: dict[str, Any] = {}
    # Only a known line: a REST client may send any value, and the column holds 16 characters.
    line = known_service_line(metadata.get("service_line"))
    if line is not None:
        changes["service_line"] = line
    if not reopens_window:
        return changes
    received_at = metadata.get("received_at")
    if isinstance(received_at, str):  # as Rasa keeps it in the event
        try:
            received_at = datetime.fromisoformat(received_at)
        except ValueError:  # not a platform's message: REST clients may send any metadata
            return changes
    reply_context = metadata.get("reply_context")
    if isinstance(received_at, datetime) and isinstance(reply_context, dict):
        # In UTC: SQLite keeps a time without its offset, and readers take naive times as UTC.
        if received_at.tzinfo is not None:
            received_at = received_at.astimezone(timezone.utc)
        changes["last_inbound_at"] = received_at
        changes["reply_context"] = reply_context
    return changes


# Where a session keeps the conversation ids its current transaction has looked up.
_KNOWN_IDS = "bot_conversation_ids"

# The recorder writes every message of every turn: these statements skip loading rows into
# objects and the session's unit of work, which cost more than the writes themselves.


def conversation_id(session: Session, sender_id: str, channel: str | None = None) -> int:
    """The conversation's id, created on its first message.

    Looked up once per transaction: a platform turn's transcript and its passive reply's
    record are written together (ConversationRecorder.together), each naming the conversation.
    """
    if (known := _known_ids(session).get(sender_id)) is not None:
        return known
    found = session.execute(
        select(Conversation.id, Conversation.channel).where(Conversation.sender_id == sender_id)
    ).one_or_none()
    if found is None or (channel and found.channel == "unknown"):
        conversation = get_or_create_conversation(session, sender_id, channel)
        identity, settled = conversation.id, conversation.channel != "unknown"
    else:
        identity, settled = found.id, found.channel != "unknown"
    if settled:  # else a later call that names the channel must still set it
        _known_ids(session)[sender_id] = identity
    return identity


def _known_ids(session: Session) -> dict[str, int]:
    """Conversation ids looked up in the session's current transaction. A rollback may undo
    a conversation created in it, so the ids are not kept past the transaction."""
    transaction = session.get_transaction()
    kept = session.info.get(_KNOWN_IDS)
    if kept is None or kept[0] is not transaction:
        kept = session.info[_KNOWN_IDS] = (transaction, {})
    return kept[1]


def message_row(
    conversation: int, direction: str, text: str | None, at: datetime, intent: str | None = None
) -> dict[str, Any]:
    return {
        "conversation_id": conversation,
        "direction": direction,
        "text": text,
        "intent": intent,
        "created_at": at,
    }


def add_messages(session: Session, rows: list[dict[str, Any]]) -> None:
    """Messages in the order given (rows from `message_row`), in one statement."""
    session.execute(insert(Message), rows)


def update_conversation(session: Session, conversation: int, **changes: Any) -> None:
    session.execute(update(Conversation).where(Conversation.id == conversation).values(**changes))


def find_conversation(session: Session, sender_id: str) -> Conversation | None:
    return session.execute(
        select(Conversation).where(Conversation.sender_id == sender_id)
    ).scalar_one_or_none()


def get_or_create_conversation(
    session: Session, sender_id: str, channel: str | None = None
) -> Conversation:
    conversation = find_conversation(session, sender_id)
    if conversation is None:
        conversation = Conversation(sender_id=sender_id, channel=channel or "unknown")
        session.add(conversation)
        session.flush()
    elif channel and conversation.channel == "unknown":
        conversation.channel = channel
    return conversation
