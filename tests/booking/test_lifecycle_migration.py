"""Migration 0006 (members, booking decisions, booking timers) matches the models and runs
both ways, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from bot.store.database import PROJECT_ROOT, get_engine, session_scope
from bot.store.models import Base
from bot.store.workorder import ScheduledJob
from tests.booking.test_lifecycle import book, confirm

OURS = {"members", "bookings", "scheduled_jobs"}


def alembic(database: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "bot/store/migrations"))
    config.attributes["url"] = database
    return config


def differences(database: str) -> list:
    with get_engine(database).connect() as connection:
        found = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # Each difference is a tuple whose items name the table somewhere; keep those about ours.
    return [d for d in found if any(table in repr(d) for table in OURS)]


def test_the_schema_matches_the_models(database):
    assert differences(database) == []
    assert {"ck_scheduled_jobs_one_subject"} <= {
        c["name"] for c in inspect(get_engine(database)).get_check_constraints("scheduled_jobs")
    }


@pytest.mark.parametrize("subjects", [(), ("order_id", "booking_id")])
def test_a_timer_names_exactly_one_order_or_booking(database, subjects):
    booking_id = book()
    subjects = {column: booking_id for column in subjects}  # the check comes before the keys
    with pytest.raises(IntegrityError, match="one_subject"), session_scope() as session:
        session.add(ScheduledJob(kind="x", due_at=datetime.now(timezone.utc), **subjects))


def test_downgrading_drops_booking_timers_and_upgrading_again_works(database):
    confirm(book())  # a member and a weather timer
    command.downgrade(alembic(database), "0005")
    assert "members" not in inspect(get_engine(database)).get_table_names()
    command.upgrade(alembic(database), "head")
    with session_scope() as session:
        assert session.execute(select(ScheduledJob)).scalars().all() == []
    assert differences(database) == []
