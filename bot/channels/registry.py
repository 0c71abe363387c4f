"""The outbound sender of each channel, for messages sent outside a conversation's HTTP reply
(work-order follow-ups, operators). A platform is configured by its environment variables,
read by its input channel; an unconfigured platform, or one that cannot push (rest), has none.
The web chat's page fetches what is sent to it."""

from __future__ import annotations

import importlib
import logging

from bot.channels.sender import ChannelSender

log = logging.getLogger(__name__)

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
