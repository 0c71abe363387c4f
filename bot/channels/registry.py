"""The outbound sender of each channel, for messages sent outside a conversation's HTTP reply
(work-order follow-ups, operators). A platform is configured by its environment variables,
read by its input channel; an unconfigured platform, or one that cannot push (rest), has none.
The web chat's page fetches what is sent to it."""

from __future__ import annotations

import asyncio
import importlib
import logging

from bot.channels.sender import ChannelSender, Delivery
from bot.store.database import session_scope
from bot.store.outbound import record_outbound

log = logging.getLogger(__name__)

NO_PUSH = "该渠道({channel})不能主动发送消息,用户下次发言时才能看到回复"

# channel name -> (module, input channel class whose from_credentials builds the sender)
INPUTS = {
    "wechat": ("bot.channels.wechat", "WeChatInput"),
    "qq": ("bot.channels.qq", "QQInput"),
    "weibo": ("bot.channels.weibo", "WeiboInput"),
}


def sender_for(channel: str) -> ChannelSender | None:
    if channel == "webchat":
        from bot.channels.webchat import WebChatSender

        return WebChatSender()
    if channel not in INPUTS:
        return None
    module_name, class_name = INPUTS[channel]
    try:  # imported on demand: each platform module pulls in its own client libraries
        input_channel = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        log.warning("no sender for channel %s: %s.%s is missing", channel, module_name, class_name)
        return None
    webhook = input_channel.from_credentials(None).webhook
    return webhook.sender if webhook is not None else None


async def deliver(sender_id: str, channel: str, text: str) -> list[Delivery]:
    """Send `text` to the user of conversation `sender_id` on `channel`. The channel's sender
    records every attempt; a channel that cannot push gets the message recorded as refused,
    with the reason, so nothing is lost and someone can phone instead."""
    sender = sender_for(channel)
    if sender is not None:
        return await sender.send(sender_id, text)
    delivery = Delivery("refused", text, reason=NO_PUSH.format(channel=channel))
    await asyncio.to_thread(_record_refused, sender_id, channel, delivery)
    return [delivery]


def _record_refused(sender_id: str, channel: str, delivery: Delivery) -> None:
    with session_scope() as session:
        record_outbound(
            session,
            sender_id=sender_id,
            channel=channel,
            texts=[delivery.text],
            status=delivery.status,
            reason=delivery.reason,
        )
