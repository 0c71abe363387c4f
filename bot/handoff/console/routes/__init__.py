"""One blueprint per part of the console."""

from bot.handoff.console.routes.conversations import conversations
from bot.handoff.console.routes.events import events
from bot.handoff.console.routes.handoffs import handoffs
from bot.handoff.console.routes.lead import lead
from bot.handoff.console.routes.pages import pages
from bot.handoff.console.routes.session import login

BLUEPRINTS = (login, pages, handoffs, conversations, events, lead)

__all__ = ["BLUEPRINTS"]
