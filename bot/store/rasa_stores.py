"""Rasa's tracker and lock stores, configured from the same environment as the rest of the bot.

`bot/rasa/endpoints.yml` names these classes so that `DATABASE_URL` and `REDIS_URL` alone move
a deployment from the embedded defaults (SQLite, in-process locks) to PostgreSQL and Redis.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any
from urllib.parse import unquote, urlsplit

from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Query, Session, sessionmaker

from bot import rasa_speedups
from bot.store.database import database_url, get_engine
from bot.store.lock_store import AtomicRedisLockStore
from bot.store.recorder import recorder_for
from bot.workers import rasa_workers

# The Rasa server loads this module through endpoints.yml before it serves anything.
rasa_speedups.apply()

# Set on a tracker this store read or saved: how many of its events the database holds.
STORED_EVENTS = "_bot_stored_events"


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
        if self.engine.dialect.name == "postgresql":
            self._autocommit()
        self.recorder = recorder_for(url)

    def _autocommit(self) -> None:
        """On PostgreSQL a read is one SELECT and a save one INSERT (below): neither needs a
        transaction around it, and psycopg2 opens one with a BEGIN and ends it with a
        ROLLBACK or COMMIT, two more round trips per statement, each of which stops the
        server's event loop until the database answers. (SQLite has no round trips, and
        inserts several rows one statement each: there the transaction stays.)"""
        rasa_engine = self.engine
        self.engine = create_engine(
            rasa_engine.url, isolation_level="AUTOCOMMIT", **create_engine_kwargs(rasa_engine.url)
        )
        rasa_engine.dispose()
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        # Rasa reads the first conversation after it has loaded the model.
        rasa_speedups.freeze_loaded_heap()
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, STORED_EVENTS, len(tracker.events))
        return tracker

    def _event_query(
        self, session: Session, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Query:
        # Rasa reads only each event's `data`: selecting that column alone spares building an
        # ORM object for every stored event on every turn (rows still have `.data`).
        query = super()._event_query(session, sender_id, fetch_events_from_all_sessions)
        return query.with_entities(self.SQLEvent.data)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the events added since the tracker was read or last saved, in one `INSERT`
        (on PostgreSQL a single statement, atomic on its own).

        Rasa's own save counts the stored events with a query to find the new ones, although
        the conversation's lock has kept anyone else from adding any since it read them, and
        adds each to the ORM session, which sends an `INSERT` per event to learn its id. A
        tracker not read here (a new conversation) is still counted as Rasa counts it.
        """
        await self.stream_events(tracker)  # Rasa's event broker, if one is configured
        with self.session_scope() as session:
            stored = getattr(tracker, STORED_EVENTS, None)
            if stored is None:
                stored = self._event_query(
                    session, tracker.sender_id, fetch_events_from_all_sessions=False
                ).count()
            new_events = [e.as_dict() for e in itertools.islice(tracker.events, stored, None)]
            if new_events:
                rows = [self._row(tracker.sender_id, data) for data in new_events]
                session.execute(insert(self.SQLEvent.__table__), rows)
            session.commit()
        setattr(tracker, STORED_EVENTS, len(tracker.events))
        self.recorder.record(tracker.sender_id, new_events)

    @staticmethod
    def _row(sender_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """The columns Rasa's `SQLTrackerStore.save` fills for an event."""
        return {
            "sender_id": sender_id,
            "type_name": data["event"],
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }


class EnvLockStore:
    """Redis lock store when REDIS_URL is set (several servers), else Rasa's in-memory one.

    Rasa instantiates a custom lock store class with `endpoint_config=`; `__new__` hands back
    Rasa's in-memory store, or its Redis store with atomic tickets (bot/store/lock_store.py).
    """

    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
        rasa_workers(os.environ)  # several workers with in-process locks: refuse to serve
        url = os.environ.get("REDIS_URL")
        if not url:
            return InMemoryLockStore()
        parts = urlsplit(url)
        db = parts.path.lstrip("/")
        return AtomicRedisLockStore(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=int(db) if db else 0,
            password=unquote(parts.password) if parts.password else None,
            use_ssl=parts.scheme == "rediss",
            key_prefix="bot",
        )
