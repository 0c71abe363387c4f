"""Records every user and bot message of every channel into `conversations` and `messages`.

It is a Rasa event broker: Rasa publishes each new tracker event to it after the turn, whatever
channel the message came in on, so no channel has to remember to record anything.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.store.conversation import Message, get_or_create_conversation
from bot.store.database import session_scope

logger = logging.getLogger(__name__)

RECORDED_EVENTS = {"user": "in", "bot": "out"}


class ConversationRecorder(EventBroker):
    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig | None, event_loop: Any = None
    ) -> ConversationRecorder:
        return cls()

    def publish(self, event: dict[str, Any]) -> None:
        direction = RECORDED_EVENTS.get(event.get("event", ""))
        if direction is None:
            return
        try:
            record_event(event, direction)
        except Exception:  # a recording failure must not break the user's conversation
            logger.exception("could not record a %s event", event.get("event"))

    def is_ready(self) -> bool:
        return True


def record_event(event: dict[str, Any], direction: str) -> None:
    at = datetime.fromtimestamp(event.get("timestamp") or 0, tz=timezone.utc)
    metadata = event.get("metadata") or {}
    with session_scope() as session:
        conversation = get_or_create_conversation(
            session, event["sender_id"], event.get("input_channel")
        )
        if direction == "in" and metadata.get("service_line"):
            conversation.service_line = metadata["service_line"]
        intent = (event.get("parse_data") or {}).get("intent") or {}
        session.add(
            Message(
                conversation_id=conversation.id,
                direction=direction,
                text=event.get("text"),
                intent=intent.get("name"),
                created_at=at,
            )
        )
        conversation.last_message_at = at
