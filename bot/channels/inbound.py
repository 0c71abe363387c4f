"""A platform message after verification and parsing: what every channel hands the bot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Inbound:
    channel: str  # "wechat", "qq", "weibo"
    user_id: str  # the platform's id for the user (OpenID, member_openid, Weibo uid)
    dedup_key: str  # what a platform retry repeats: MsgId, FromUserName+CreateTime, d.id …
    received_at: datetime
    kind: str = "text"  # text, voice, image, location, event
    # What the bot reads. None: recorded and acknowledged, but not a turn of the conversation.
    text: str | None = None
    # For the transcript when the bot does not read the message ("[图片] http://…").
    note: str | None = None
    # Platform data a later reply needs (QQ msg_id and scene, Weibo receiver id, …).
    reply_context: dict[str, Any] = field(default_factory=dict)
    service_line: str = "travel"

    @property
    def sender_id(self) -> str:
        """Rasa's conversation id: platform ids are unique only within their platform."""
        return f"{self.channel}:{self.user_id}"

    @property
    def metadata(self) -> dict[str, Any]:
        """What the bot's turn carries: recording it reopens the conversation's reply window
        (bot.store.conversation.inbound_changes)."""
        return {
            "service_line": self.service_line,
            "kind": self.kind,
            "received_at": self.received_at.isoformat(),
            "reply_context": self.reply_context,
        }
