"""Every model, imported in one place so Alembic and `create_all` see the whole schema."""

from bot.store.base import Base
from bot.store.booking import Booking
from bot.store.conversation import Conversation, Message
from bot.store.handoff import HandoffRequest
from bot.store.outbound import OutboundMessage

__all__ = ["Base", "Booking", "Conversation", "HandoffRequest", "Message", "OutboundMessage"]
