"""A pending chase survives a restart of the scheduler process: it lives in the database."""

from __future__ import annotations

from datetime import timedelta

from bot.hotline import workorders
from bot.hotline.workorders import find_order
from bot.store.base import utcnow
from bot.store.database import session_scope
from tests.hotline.test_workorders import file
from tests.scheduler_process import crash_then_restart


def chased(number: str) -> bool:
    with session_scope() as session:
        return find_order(session, number).chased_at is not None


def test_a_chase_pending_across_a_restart_still_fires(database):
    number = file(now=utcnow()).number
    with session_scope() as session:
        order = find_order(session, number)
        workorders.schedule(session, order, "chase", utcnow() + timedelta(seconds=6),
                            deadline="dispatch")  # fmt: skip
    crash_then_restart(
        {"DATABASE_URL": database}, pending=lambda: not chased(number), done=lambda: chased(number)
    )
