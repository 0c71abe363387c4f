"""Rasa's tracker and lock stores, configured from the same environment as the rest of the bot.

`bot/rasa/endpoints.yml` names these classes so that `DATABASE_URL` and `REDIS_URL` alone move
a deployment from the embedded defaults (SQLite, in-process locks) to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore

from bot.store.database import database_url, get_engine


class DatabaseTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on the bot's own database (its `events` table sits beside ours)."""

    def __init__(self, domain: Any = None, event_broker: Any = None, **kwargs: Any) -> None:
        kwargs.pop("host", None)
        url = database_url()
        get_engine(url)  # creates the SQLite folder before Rasa connects
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)


class EnvLockStore:
    """Redis lock store when REDIS_URL is set (several servers), else Rasa's in-memory one.

    Rasa instantiates a custom lock store class with `endpoint_config=`; `__new__` hands back
    one of Rasa's own stores so that no locking logic is re-implemented here.
    """

    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
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
