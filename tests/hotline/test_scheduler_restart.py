"""A pending chase survives a restart of the scheduler process: it lives in the database."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta

from bot.hotline import workorders
from bot.hotline.workorders import find_order
from bot.launcher import server_env
from bot.store.base import utcnow
from bot.store.database import PROJECT_ROOT, session_scope
from tests.hotline.test_workorders import file


def start_scheduler(database: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "scheduler", "--poll", "0.2"],
        cwd=PROJECT_ROOT,
        env=server_env({"DATABASE_URL": database}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def chased(number: str) -> bool:
    with session_scope() as session:
        return find_order(session, number).chased_at is not None


def test_a_chase_pending_across_a_restart_still_fires(database):
    number = file(now=utcnow()).number
    with session_scope() as session:
        order = find_order(session, number)
        workorders.schedule(session, order, "chase", utcnow() + timedelta(seconds=6),
                            deadline="dispatch")  # fmt: skip
    first = start_scheduler(database)
    try:
        time.sleep(2)
        assert first.poll() is None and not chased(number)
    finally:
        first.send_signal(signal.SIGKILL)  # a crash, not a clean stop
        first.wait()
    second = start_scheduler(database)
    try:
        deadline = time.monotonic() + 30
        while not chased(number):
            assert time.monotonic() < deadline, "the chase did not fire after the restart"
            assert second.poll() is None
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGINT)
        assert second.wait(15) == 0
