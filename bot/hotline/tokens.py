"""Departments' API tokens: `python -m bot department token NAME` issues one and prints it once.

A token is 32 random bytes, so a plain SHA-256 digest is enough to store it (a slow password
hash protects guessable secrets; nobody guesses 256 bits), and it lets a request find its
token by digest in one indexed lookup. A new token replaces the department's old ones.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import sys

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.hotline.directory import load_directory
from bot.store.database import session_scope
from bot.store.workorder import DepartmentToken


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, department: str) -> str:
    token = secrets.token_urlsafe(32)
    session.execute(delete(DepartmentToken).where(DepartmentToken.department == department))
    session.add(DepartmentToken(department=department, digest=_digest(token)))
    return token


def department_of(session: Session, token: str) -> str | None:
    """The department a token belongs to; None for an unknown token."""
    return session.execute(
        select(DepartmentToken.department).where(DepartmentToken.digest == _digest(token))
    ).scalar_one_or_none()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot department", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="issue a new API token for a department")
    token.add_argument("name", help="the department's name or alias, as in departments.yml")
    args = parser.parse_args(argv)
    try:
        name = load_directory().department(args.name).name
    except KeyError:
        print(
            f"unknown department {args.name!r} (see bot/hotline/departments.yml)", file=sys.stderr
        )
        return 2
    with session_scope() as session:
        issued = issue_token(session, name)
    print(f"API token for {name} (shown once; a new one replaces it):\n{issued}")
    return 0
