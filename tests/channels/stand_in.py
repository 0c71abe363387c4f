"""What Rasa does around a stand-in bot: store the turn through the tracker store's recorder."""

from __future__ import annotations

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, UserUttered

from bot.channels.webhook import OnNewMessage
from bot.store.database import database_url
from bot.store.recorder import recorder_for


def recorded(on_new_message: OnNewMessage) -> OnNewMessage:
    """The stand-in's turns recorded as DatabaseTrackerStore records Rasa's: the user's
    message with its metadata (which reopens the reply window) and the replies, before the
    call returns."""

    async def handle(message: UserMessage) -> None:
        await on_new_message(message)
        said = UserUttered(
            message.text, input_channel=message.input_channel, metadata=message.metadata
        )
        replies = [BotUttered(m.get("text")) for m in message.output_channel.messages]
        recorder_for(database_url()).record(
            message.sender_id, [event.as_dict() for event in (said, *replies)]
        )

    return handle
