"""Fixtures the platform tests share."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.store.conversation import Conversation
from bot.store.database import database_url, migrate, session_scope
from bot.store.recorder import recorder_for


@pytest.fixture
def db(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite database, selected through DATABASE_URL as in production. (The
    channels' tests are about the platforms; the store's tests cover PostgreSQL.)"""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate(url)
    return url


def settled() -> None:
    """Wait for the writes a webhook queued before it answered (the transcript recorder
    stores them off the request's path), so the test reads what the request recorded."""
    recorder_for(database_url()).flush()


def conversation(sender_id: str) -> Conversation | None:
    """The conversation as the webhook recorded it, with its transcript, once its queued
    writes are stored."""
    settled()
    with session_scope() as session:
        query = select(Conversation).where(Conversation.sender_id == sender_id)
        return session.execute(
            query.options(selectinload(Conversation.messages))
        ).scalar_one_or_none()
