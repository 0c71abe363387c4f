"""The scheduler as its own process, crashed mid-wait and started again: what the tests that
show a persisted timer survives a restart have in common."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable

from bot.launcher import server_env
from bot.store.database import PROJECT_ROOT


def start_scheduler(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "scheduler", "--poll", "0.2"],
        cwd=PROJECT_ROOT,
        env=server_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def crash_then_restart(
    env: dict[str, str], *, pending: Callable[[], bool], done: Callable[[], bool]
) -> None:
    """Start the scheduler, kill it (a crash, not a clean stop) while the job is `pending`,
    start another, and wait until the job is `done`; then stop that one cleanly."""
    first = start_scheduler(env)
    try:
        time.sleep(2)
        assert first.poll() is None and pending()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    second = start_scheduler(env)
    try:
        deadline = time.monotonic() + 30
        while not done():
            assert time.monotonic() < deadline, "the job did not run after the restart"
            assert second.poll() is None
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGINT)
        assert second.wait(15) == 0
