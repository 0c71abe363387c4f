"""Sending to a platform user outside the HTTP reply: deferred bot answers, scheduled
notifications, operators. Each platform says whether its reply window is open; every attempt
is recorded with its outcome, so a refused message is never silently lost."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar

from bot.store.conversation import find_conversation
from bot.store.database import session_scope
from bot.store.outbound import delivered_since, record_outbound


class DeliveryRefused(Exception):
    """The platform would refuse this message now: the reason says why, for people to read."""


class DeliveryFailed(Exception):
    """The platform was asked and answered with an error (or not at all)."""


@dataclass(frozen=True)
class ReplyWindow:
    """What a platform's reply rules depend on, read from the conversation's record."""

    last_inbound_at: datetime | None
    sent_since_inbound: int
    reply_context: dict[str, Any] = field(default_factory=dict)

    def age_seconds(self, now: datetime) -> float | None:
        if self.last_inbound_at is None:
            return None
        last = self.last_inbound_at
        if last.tzinfo is None:  # SQLite returns naive UTC
            last = last.replace(tzinfo=timezone.utc)
        return (now - last).total_seconds()


@dataclass(frozen=True)
class Delivery:
    status: str  # "sent", "refused", "failed"
    text: str
    reason: str | None = None
    platform_message_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "sent"


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters, broken at line ends where possible."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            parts.append(current)
            current = ""
        current += line
    if current:
        parts.append(current)
    return [part.rstrip("\n") for part in parts if part.strip()]


class ChannelSender(ABC):
    channel: ClassVar[str]
    max_chars: ClassVar[int]
    # Which recorded outcomes a platform's quota counts (WeChat's customer-service quota
    # ignores passive replies; a Weibo mention allows one reply of either kind).
    quota_statuses: ClassVar[tuple[str, ...]] = ("sent",)

    @abstractmethod
    def check_window(self, window: ReplyWindow, now: datetime) -> None:
        """Raise DeliveryRefused when the platform would not accept a message now."""

    @abstractmethod
    async def deliver(self, user_id: str, text: str, window: ReplyWindow) -> str | None:
        """Send one part; the platform's message id. Raise DeliveryRefused/DeliveryFailed."""

    async def send(self, sender_id: str, text: str) -> list[Delivery]:
        """Send `text` to the user of conversation `sender_id`, recording every part."""
        user_id = sender_id.split(":", 1)[1] if ":" in sender_id else sender_id
        deliveries = []
        for part in split_text(text, self.max_chars):
            delivery = await self._send_part(sender_id, user_id, part)
            deliveries.append(delivery)
        return deliveries

    async def _send_part(self, sender_id: str, user_id: str, text: str) -> Delivery:
        window = await asyncio.to_thread(self._window, sender_id)
        try:
            self.check_window(window, datetime.now(timezone.utc))
            message_id = await self.deliver(user_id, text, window)
            delivery = Delivery("sent", text, platform_message_id=message_id)
        except DeliveryRefused as refused:
            delivery = Delivery("refused", text, reason=str(refused))
        except DeliveryFailed as failed:
            delivery = Delivery("failed", text, reason=str(failed))
        await asyncio.to_thread(self._record, sender_id, delivery)
        return delivery

    def _window(self, sender_id: str) -> ReplyWindow:
        with session_scope() as session:
            conversation = find_conversation(session, sender_id)
            if conversation is None:
                return ReplyWindow(None, 0)
            return ReplyWindow(
                conversation.last_inbound_at,
                delivered_since(session, conversation, self.quota_statuses),
                dict(conversation.reply_context or {}),
            )

    def _record(self, sender_id: str, delivery: Delivery) -> None:
        with session_scope() as session:
            record_outbound(
                session,
                sender_id=sender_id,
                channel=self.channel,
                text=delivery.text,
                status=delivery.status,
                reason=delivery.reason,
                platform_message_id=delivery.platform_message_id,
            )
