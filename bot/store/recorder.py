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
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime, timezone
from functools import cache, partial
from typing import Any

from rasa.shared.core.constants import IS_EXTERNAL
from sqlalchemy.orm import Session

from bot.handoff import live
from bot.store.conversation import add_message, conversation_id, update_conversation
from bot.store.database import database_url, session_scope

logger = logging.getLogger(__name__)

RECORDED_EVENTS = {"user": "in", "bot": "out"}


def _record(session: Session, event: dict[str, Any], direction: str) -> None:
    if direction == "in" and (event.get("metadata") or {}).get(IS_EXTERNAL):
        return  # an intent triggered through Rasa's API (the console's hand-back), not said
    at = datetime.fromtimestamp(event.get("timestamp") or 0, tz=timezone.utc)
    metadata = event.get("metadata") or {}
    conversation = conversation_id(session, event["sender_id"], event.get("input_channel"))
    intent = (event.get("parse_data") or {}).get("intent") or {}
    add_message(
        session,
        conversation,
        direction=direction,
        text=event.get("text"),
        intent=intent.get("name"),
        at=at,
    )
    changes: dict[str, Any] = {"last_message_at": at}
    if direction == "in" and metadata.get("service_line"):
        changes["service_line"] = metadata["service_line"]
    update_conversation(session, conversation, **changes)
    # Operators watching this conversation see the message once it is stored.
    live.announce_conversation(session, event["sender_id"])


Job = Callable[[Session], None]


class ConversationRecorder:
    """A queue and one writer thread: ordered, batched, off the server's event loop.

    Besides Rasa's events it takes any other write that belongs in the same order (a platform
    message noted before the bot reads it, a passive reply after): `submit` returns a future
    that is done once the write is committed, for the few callers that must wait for it.
    """

    def __init__(self, url: str | None = None) -> None:
        # The database is fixed when the recorder starts, like the tracker store's.
        self._url = url or database_url()
        self._queue: queue.Queue[tuple[Job, Future[None]]] = queue.Queue()
        self._thread = threading.Thread(target=self._write, name="recorder", daemon=True)
        self._thread.start()

    def record(self, sender_id: str, events: Iterable[dict[str, Any]]) -> None:
        for event in events:
            direction = RECORDED_EVENTS.get(event.get("event", ""))
            if direction is not None:
                self.submit(
                    partial(_record, event={"sender_id": sender_id, **event}, direction=direction)
                )

    def submit(self, job: Job) -> Future[None]:
        done: Future[None] = Future()
        self._queue.put((job, done))
        return done

    def flush(self) -> None:
        """Wait until everything recorded so far is stored."""
        self._queue.join()

    def _write(self) -> None:
        while True:
            batch = [self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                self._run(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _run(self, batch: list[tuple[Job, Future[None]]]) -> None:
        # Once running a future cannot be cancelled; a waiter that gave up (False) still gets
        # its write, just no answer.
        waiting = [
            done for _, done in batch if done.running() or done.set_running_or_notify_cancel()
        ]
        try:
            with session_scope(self._url) as session:
                for job, _ in batch:
                    job(session)
        except Exception:  # noqa: BLE001 (one bad write must not lose the others)
            if len(batch) > 1:
                for single in batch:
                    self._run([single])
                return
            logger.exception("could not record a conversation write")
            for done in waiting:
                done.set_exception(RecordingFailed("see the log"))
            return
        for done in waiting:
            done.set_result(None)


class RecordingFailed(Exception):
    """A write the recorder could not commit (the log has the cause)."""


@cache
def recorder_for(url: str) -> ConversationRecorder:
    """The one recorder per database in this process, shared by Rasa's tracker store and the
    platform webhooks, so that their writes about one conversation stay in order."""
    return ConversationRecorder(url)
