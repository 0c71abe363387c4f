"""Rasa's tracker and lock stores, configured from the same environment as the rest of the bot.

`bot/rasa/endpoints.yml` names these classes so that `DATABASE_URL` and `REDIS_URL` alone move
a deployment from the embedded defaults (SQLite, in-process locks) to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import Session

from bot import rasa_speedups
from bot.store.database import database_url, get_engine
from bot.store.recorder import recorder_for
from bot.workers import rasa_workers

# The Rasa server loads this module through endpoints.yml before it serves anything.
rasa_speedups.apply()


class DatabaseTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on the bot's own database (its `events` table sits beside ours),
    which also hands each turn's new messages to the transcript recorder.

    Rasa's event-broker route to the same end re-reads and replays the whole conversation on
    every save; the store already knows which events are new, so the recorder takes them here.
    """

    def __init__(self, domain: Any = None, event_broker: Any = None, **kwargs: Any) -> None:
        kwargs.pop("host", None)
        url = database_url()
        get_engine(url)  # creates the SQLite folder before Rasa connects
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        self.recorder = recorder_for(url)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        # Rasa reads the first conversation after it has loaded the model.
        rasa_speedups.freeze_loaded_heap()
        return await super().retrieve(sender_id)

    def _additional_events(self, session: Session, tracker: DialogueStateTracker) -> Iterator:
        new_events: list[Event] = list(super()._additional_events(session, tracker))
        self.recorder.record(tracker.sender_id, (event.as_dict() for event in new_events))
        return iter(new_events)


class EnvLockStore:
    """Redis lock store when REDIS_URL is set (several servers), else Rasa's in-memory one.

    Rasa instantiates a custom lock store class with `endpoint_config=`; `__new__` hands back
    one of Rasa's own stores so that no locking logic is re-implemented here.
    """

    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
        rasa_workers(os.environ)  # several workers with in-process locks: refuse to serve
        url = os.environ.get("REDIS_URL")
        if not url:
            return InMemoryLockStore()
        parts = urlsplit(url)
        db = parts.path.lstrip("/")
        return RedisLockStore(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=int(db) if db else 0,
            password=unquote(parts.password) if parts.password else None,
            use_ssl=parts.scheme == "rediss",
            key_prefix="bot",
        )
