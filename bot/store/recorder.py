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
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from functools import cache, partial
from typing import Any

from rasa.shared.core.constants import IS_EXTERNAL
from sqlalchemy.orm import Session

from bot.handoff import live
from bot.store.conversation import (
    add_messages,
    conversation_id,
    inbound_changes,
    message_row,
    update_conversation,
)
from bot.store.database import database_url, session_scope

logger = logging.getLogger(__name__)

RECORDED_EVENTS = {"user": "in", "bot": "out"}


def _record_turn(session: Session, sender_id: str, events: list[dict[str, Any]]) -> None:
    """A turn's messages in one go: one lookup, one insert, one update of the conversation."""
    said = [
        (event, direction)
        for event in events
        if (direction := RECORDED_EVENTS.get(event.get("event", ""))) is not None
        # An intent triggered through Rasa's API (the console's hand-back) was not said.
        and not (direction == "in" and (event.get("metadata") or {}).get(IS_EXTERNAL))
    ]
    if not said:
        return
    channel = next((e["input_channel"] for e, _ in said if e.get("input_channel")), None)
    conversation = conversation_id(session, sender_id, channel)
    rows = [
        message_row(
            conversation,
            direction,
            event.get("text"),
            datetime.fromtimestamp(event.get("timestamp") or 0, tz=timezone.utc),
            ((event.get("parse_data") or {}).get("intent") or {}).get("name"),
        )
        for event, direction in said
    ]
    add_messages(session, rows)
    changes: dict[str, Any] = {"last_message_at": rows[-1]["created_at"]}
    for event, direction in said:
        if direction == "in":
            # Only the platform's own webhook opens its users' reply windows, not (say) a
            # REST client that posts as "wechat:<openid>".
            platform = sender_id.startswith(f"{event.get('input_channel')}:")
            changes |= inbound_changes(event.get("metadata") or {}, reopens_window=platform)
    update_conversation(session, conversation, **changes)
    # Operators watching this conversation see the messages once they are stored.
    live.announce_conversation(session, sender_id)


Job = Callable[[Session], None]
Write = tuple[Job, Future[None]]


class Hold:
    """Writes submitted inside `ConversationRecorder.together`, kept until released."""

    def __init__(self, writer_queue: queue.Queue[list[Write]]) -> None:
        self.queue = writer_queue
        self._writes: list[Write] = []
        self._open = True
        # Context variables also reach threads started with asyncio.to_thread.
        self._lock = threading.Lock()

    def keep(self, write: Write) -> bool:
        """Hold `write`; False once released (it then goes straight to the writer)."""
        with self._lock:
            if self._open:
                self._writes.append(write)
            return self._open

    def release(self) -> None:
        """Queue what is held, in one piece. Tasks started inside the block share this hold
        and may outlive it: their later writes pass straight through, after these."""
        with self._lock:
            if self._open and self._writes:
                self.queue.put(self._writes)
            self._open = False


_current_hold: ContextVar[Hold | None] = ContextVar("recorder_hold", default=None)


class ConversationRecorder:
    """A queue and one writer thread: ordered, batched, off the server's event loop.

    Besides Rasa's events it takes any other write that belongs in the same order (a platform
    message noted before the bot reads it, a passive reply after): `submit` returns a future
    that is done once the write is committed, for the few callers that must wait for it.
    """

    def __init__(self, url: str | None = None) -> None:
        # The database is fixed when the recorder starts, like the tracker store's.
        self._url = url or database_url()
        # Each item is writes that go in the same batch (one, or a released Hold's).
        self._queue: queue.Queue[list[Write]] = queue.Queue()
        self._thread = threading.Thread(target=self._write, name="recorder", daemon=True)
        self._thread.start()

    def record(self, sender_id: str, events: Iterable[dict[str, Any]]) -> None:
        said = [event for event in events if event.get("event") in RECORDED_EVENTS]
        if said:
            self.submit(partial(_record_turn, sender_id=sender_id, events=said))

    def submit(self, job: Job) -> Future[None]:
        done: Future[None] = Future()
        hold = self._hold()
        if hold is None or not hold.keep((job, done)):
            self._queue.put([(job, done)])
        return done

    @contextmanager
    def together(self) -> Iterator[Hold]:
        """Writes submitted in this block (by this task and those it starts) reach the writer
        together at its end, or at `Hold.release`, so that it stores them in one transaction:
        a turn's transcript and its passive reply's record, instead of a transaction each."""
        hold = Hold(self._queue)
        token = _current_hold.set(hold)
        try:
            yield hold
        finally:
            _current_hold.reset(token)
            hold.release()

    def written(self) -> Future[None]:
        """Done once everything submitted so far is stored (the writer keeps the order)."""
        hold = self._hold()
        if hold is not None:
            hold.release()  # else a task would wait for its own held writes
        return self.submit(_nothing)

    def _hold(self) -> Hold | None:
        hold = _current_hold.get()
        return hold if hold is not None and hold.queue is self._queue else None

    def flush(self) -> None:
        """Wait until everything recorded so far is stored."""
        self._queue.join()

    def _write(self) -> None:
        while True:
            items = [self._queue.get()]
            while not self._queue.empty():
                items.append(self._queue.get_nowait())
            try:
                self._run([write for item in items for write in item])
            finally:
                for _ in items:
                    self._queue.task_done()

    def _run(self, batch: list[Write]) -> None:
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


def _nothing(session: Session) -> None:
    """A write that waits its turn and stores nothing."""


class RecordingFailed(Exception):
    """A write the recorder could not commit (the log has the cause)."""


@cache
def recorder_for(url: str) -> ConversationRecorder:
    """The one recorder per database in this process, shared by Rasa's tracker store and the
    platform webhooks, so that their writes about one conversation stay in order."""
    return ConversationRecorder(url)
