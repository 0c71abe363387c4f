"""Every model, imported in one place so Alembic and `create_all` see the whole schema."""

from bot.store.base import Base
from bot.store.booking import Booking
from bot.store.conversation import Conversation, Message
from bot.store.handoff import HandoffEvent, HandoffNote, HandoffRequest
from bot.store.member import Member
from bot.store.operator import Operator, OperatorSession
from bot.store.outbound import OutboundMessage
from bot.store.workorder import (
    CallbackTask,
    DepartmentToken,
    ScheduledJob,
    WorkOrder,
    WorkOrderEvent,
)

__all__ = [
    "Base",
    "Booking",
    "CallbackTask",
    "Conversation",
    "DepartmentToken",
    "HandoffEvent",
    "HandoffNote",
    "HandoffRequest",
    "Member",
    "Message",
    "Operator",
    "OperatorSession",
    "OutboundMessage",
    "ScheduledJob",
    "WorkOrder",
    "WorkOrderEvent",
]
