"""What a platform account and its buttons say to the bot: the service line it serves, a menu
key, a follow, a picture.

Platform channels turn these into the intents the bot already handles (`/intent` is read by
Rasa directly), so WeChat, QQ and Weibo menus with the same keys behave the same.
"""

from __future__ import annotations

import os

from bot.service_lines import DEFAULT_SERVICE_LINE, SERVICE_LINES, known_service_line

GREET = "/greet"
# A picture, voice or file the bot cannot read: acknowledged, and a person offered.
SHARE_MEDIA = "/share_media"

MENU_INTENTS = {
    "BOOK_HOTEL": "/book_hotel",
    "BOOK_MEETING": "/book_meeting",
    "BOOK_FLIGHT": "/book_flight",
    "HUMAN": "/human_handoff",
}


def menu_text(key: str | None) -> str:
    """The bot's input for a menu click; an unknown key (a menu edited on the platform
    before the bot learned it) greets, so the user still gets an answer."""
    return MENU_INTENTS.get((key or "").strip().upper(), GREET)


def service_line_from_env(variable: str) -> str:
    """The service line an account declares (travel when unset); a typo stops the server."""
    line = os.environ.get(variable) or DEFAULT_SERVICE_LINE
    if known_service_line(line) is None:
        raise ValueError(f"{variable} must be one of {tuple(SERVICE_LINES)}, not {line!r}")
    return line
