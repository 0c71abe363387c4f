"""Fixtures the platform tests share."""

from __future__ import annotations

import pytest

from bot.store.database import migrate


@pytest.fixture
def db(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite database, selected through DATABASE_URL as in production. (The
    channels' tests are about the platforms; the store's tests cover PostgreSQL.)"""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate(url)
    return url
