"""Sending to a platform user outside the HTTP reply: deferred bot answers, scheduled
notifications, operators. Each platform says whether its reply window is open; every attempt
is recorded with its outcome, so a refused message is never silently lost."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
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


@dataclass(frozen=True)
class WindowState:
    """What an operator needs to know before replying: can a message go out, until when,
    and how many are left."""

    open: bool
    closes_at: datetime | None = None
    remaining: int | None = None
    reason: str | None = None

    def warning(self, now: datetime, ahead: timedelta = timedelta(minutes=10)) -> str | None:
        if not self.open:
            return None
        if self.closes_at is not None and self.closes_at - now <= ahead:
            minutes = max(0, int((self.closes_at - now).total_seconds() // 60))
            return f"回复窗口将在 {minutes} 分钟后关闭"
        if self.remaining == 1:
            return "只能再发 1 条消息, 之后需等用户再发言"
        return None

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "open": self.open,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "remaining": self.remaining,
            "reason": self.reason,
            "warning": self.warning(now),
        }


class ChannelSender(ABC):
    channel: ClassVar[str]
    max_chars: ClassVar[int]
    # Which recorded outcomes a platform's quota counts (WeChat's customer-service quota
    # ignores passive replies; a Weibo mention allows one reply of either kind).
    quota_statuses: ClassVar[tuple[str, ...]] = ("sent",)

    @abstractmethod
    def check_window(self, window: ReplyWindow, now: datetime) -> None:
        """Raise DeliveryRefused when the platform would not accept a message now."""

    def window_opened(self, window: ReplyWindow) -> datetime | None:
        """When the platform's reply window opened: the user's last message, by default."""
        last = window.last_inbound_at
        if last is not None and last.tzinfo is None:  # SQLite returns naive UTC
            last = last.replace(tzinfo=timezone.utc)
        return last

    @abstractmethod
    def window_limits(self, window: ReplyWindow) -> tuple[timedelta | None, int | None]:
        """How long the window stays open after it opens, and how many messages it allows."""

    def window_state(self, window: ReplyWindow, now: datetime) -> WindowState:
        length, quota = self.window_limits(window)
        opened = self.window_opened(window)
        closes_at = opened + length if opened is not None and length is not None else None
        remaining = None if quota is None else max(0, quota - window.sent_since_inbound)
        try:
            self.check_window(window, now)
        except DeliveryRefused as refused:
            return WindowState(False, closes_at, remaining, str(refused))
        return WindowState(True, closes_at, remaining)

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
        window = await asyncio.to_thread(self.current_window, sender_id)
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

    def current_window(self, sender_id: str) -> ReplyWindow:
        """The conversation's reply window as the platform sees it now."""
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
                texts=[delivery.text],
                status=delivery.status,
                reason=delivery.reason,
                platform_message_id=delivery.platform_message_id,
            )
