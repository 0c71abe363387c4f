"""Records every user and bot message of every channel into `conversations` and `messages`.

The tracker store hands it each turn's new events as it saves them; a single writer thread
stores them in order, one transaction per batch, so the Rasa server never waits on these
writes. Rasa's own `events` table holds the same turns durably; this transcript is the
readable copy that operators and exports use.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from bot.handoff import live
from bot.store.conversation import Message, get_or_create_conversation
from bot.store.database import database_url, session_scope

logger = logging.getLogger(__name__)

RECORDED_EVENTS = {"user": "in", "bot": "out"}


def record_events(events: Iterable[dict[str, Any]], url: str | None = None) -> None:
    """Store the user and bot messages among `events` (Rasa event dicts with sender_id)."""
    with session_scope(url) as session:
        for event in events:
            direction = RECORDED_EVENTS.get(event.get("event", ""))
            if direction is not None:
                _record(session, event, direction)
                # Operators watching this conversation see the message once it is stored.
                live.announce_conversation(session, event["sender_id"])


def _record(session: Any, event: dict[str, Any], direction: str) -> None:
    at = datetime.fromtimestamp(event.get("timestamp") or 0, tz=timezone.utc)
    metadata = event.get("metadata") or {}
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


class ConversationRecorder:
    """A queue and one writer thread: ordered, batched, off the server's event loop."""

    def __init__(self, url: str | None = None) -> None:
        # The database is fixed when the recorder starts, like the tracker store's.
        self._url = url or database_url()
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self._thread = threading.Thread(target=self._write, name="recorder", daemon=True)
        self._thread.start()

    def record(self, sender_id: str, events: Iterable[dict[str, Any]]) -> None:
        for event in events:
            if event.get("event") in RECORDED_EVENTS:
                self._queue.put({"sender_id": sender_id, **event})

    def flush(self) -> None:
        """Wait until everything recorded so far is stored."""
        self._queue.join()

    def _write(self) -> None:
        while True:
            batch = [self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                record_events(batch, self._url)
            except Exception:  # a recording failure must not stop the recorder
                logger.exception("could not record %d conversation events", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()
