"""`python -m bot operator add|passwd|disable|list`, as the person who runs the call centre
types it: passwords from a prompt or stdin, stored only as argon2 hashes."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from bot.handoff.console import auth
from bot.store.database import PROJECT_ROOT, session_scope
from bot.store.operator import Operator, OperatorSession


def operator_command(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "operator", *args],
        cwd=PROJECT_ROOT,
        input=password,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )


def stored(username: str) -> Operator:
    with session_scope() as session:
        return session.execute(select(Operator).where(Operator.username == username)).scalar_one()


def test_adding_operators_and_leads_with_hashed_passwords(database):
    added = operator_command(
        "add", "wangfang", "--name", "王芳", "--password-stdin", password="s3cret-pass\n"
    )
    assert added.returncode == 0, added.stderr
    lead = operator_command(
        "add",
        "zhao",
        "--name",
        "赵班长",
        "--role",
        "lead",
        "--password-stdin",
        password="lead-pass-1",
    )
    assert lead.returncode == 0, lead.stderr
    person = stored("wangfang")
    assert (person.display_name, person.role, person.active) == ("王芳", "operator", True)
    assert (
        person.password_hash.startswith("$argon2id$") and "s3cret-pass" not in person.password_hash
    )
    with session_scope() as session:
        assert auth.authenticate(session, "wangfang", "s3cret-pass").id == person.id
    listed = operator_command("list")
    assert listed.stdout.splitlines() == [
        "wangfang\t王芳\toperator\tactive",
        "zhao\t赵班长\tlead\tactive",
    ]


def test_refusals(database):
    assert (
        operator_command(
            "add", "li", "--name", "李", "--password-stdin", password="short\n"
        ).returncode
        == 1
    )
    operator_command("add", "li", "--name", "李", "--password-stdin", password="long-enough\n")
    again = operator_command(
        "add", "li", "--name", "李", "--password-stdin", password="long-enough\n"
    )
    assert again.returncode == 1 and "exists already" in again.stderr
    assert operator_command("disable", "nobody").returncode == 1
    bad_role = operator_command("add", "x", "--name", "X", "--role", "boss", "--password-stdin")
    assert bad_role.returncode == 2


def test_a_new_password_or_disabling_ends_every_session(database):
    operator_command("add", "chen", "--name", "陈", "--password-stdin", password="first-pass\n")

    def sessions() -> int:
        with session_scope() as session:
            return len(session.execute(select(OperatorSession)).scalars().all())

    def log_in(password: str) -> None:
        with session_scope() as session:
            auth.open_session(session, auth.authenticate(session, "chen", password))

    log_in("first-pass")
    assert sessions() == 1
    changed = operator_command("passwd", "chen", "--password-stdin", password="second-pass\n")
    assert changed.returncode == 0, changed.stderr
    assert sessions() == 0
    log_in("second-pass")
    assert operator_command("disable", "chen").returncode == 0
    assert sessions() == 0 and stored("chen").active is False
    assert "disabled" in operator_command("list").stdout
