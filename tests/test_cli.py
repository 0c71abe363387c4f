"""`python -m bot …` as a deployer types it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bot.store.booking import create_booking
from bot.store.database import PROJECT_ROOT, session_scope


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_parse_time_prints_iso_json():
    result = run("parse-time", "12月3号入住,5号退房", "--now", "2026-11-26T10:00")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"start": "2026-12-03", "end": "2026-12-05", "grain": "day"}


def test_parse_time_without_a_time_fails_clearly():
    result = run("parse-time", "你好", "--now", "2026-11-26T10:00")
    assert result.returncode == 1
    assert "error" in json.loads(result.stdout)


def test_unknown_command_lists_the_commands():
    result = run("frobnicate")
    assert result.returncode == 2
    assert "parse-time" in result.stderr and "export" in result.stderr


def test_export_bookings_as_json(database, monkeypatch):
    with session_scope() as session:
        create_booking(session, kind="meeting", sender_id="web-9", channel="webchat",
                       details={"attendees": 80}, contact_name="王经理",
                       contact_phone="13912345678")  # fmt: skip
    result = run("export", "bookings", "--format", "json", env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    [booking] = json.loads(result.stdout)
    assert booking["kind"] == "meeting" and booking["details"] == {"attendees": 80}
