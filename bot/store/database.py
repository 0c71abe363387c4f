"""Where the durable state lives: one SQLAlchemy engine per database URL.

SQLite (a file under var/) is the embedded default; `DATABASE_URL=postgresql://…` switches the
Rasa tracker store, the action server and the command line together.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "bot.db"
SQLITE_POOL_SIZE = 8


def database_url() -> str:
    """The configured database, normalised to a URL SQLAlchemy 1.4 accepts."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # Heroku-style "postgres://" is common in deployment tooling but SQLAlchemy 1.4 rejects it.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    return url


def _enable_sqlite_concurrency(dbapi_connection, _record) -> None:  # noqa: ANN001 (DBAPI types)
    # Rasa and the action server write the same file: WAL lets readers proceed during a write,
    # and the busy timeout makes a writer wait for the lock instead of failing. The file stays
    # in WAL once switched (`migrate` does it); the switch fails at once, without waiting,
    # while another connection writes, and this connection then goes on without it rather
    # than lose the write it was opened for.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        with suppress(sqlite3.OperationalError):
            cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@cache
def get_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy 1.4 opens a new SQLite connection (and runs the pragmas below) for every
        # session; keeping them, as 2.0 does, saves that on every message the bot records.
        engine = create_engine(
            url,
            future=True,
            poolclass=QueuePool,
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=-1,
            connect_args={"check_same_thread": False},
        )
        event.listen(engine, "connect", _enable_sqlite_concurrency)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


@cache
def _session_factory(url: str) -> sessionmaker:
    # Relationships name classes by string: every model must be imported before the first
    # query, whichever module a process happened to import first.
    import bot.store.models  # noqa: F401

    return sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: committed when the block ends, rolled back if it raises."""
    session: Session = _session_factory(url or database_url())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    url = url or database_url()
    get_engine(url)  # creates the SQLite file's folder (var/ on a fresh clone)
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["url"] = url
    command.upgrade(config, "head")
    with get_engine(url).connect():  # a new SQLite file switches to WAL while nothing writes
        pass
