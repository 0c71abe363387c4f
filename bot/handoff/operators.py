"""`python -m bot operator add|passwd|disable|list`: the people who work the console.

    python -m bot operator add wangfang --name 王芳 --role operator   # asks for the password
    echo "$PASSWORD" | python -m bot operator add zhao --name 赵班长 --role lead --password-stdin
    python -m bot operator passwd wangfang
    python -m bot operator disable wangfang       # signed out everywhere at once
    python -m bot operator list

A new password or disabling an operator ends all of that operator's console sessions.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.handoff.console.auth import WeakPassword, hash_password, revoke_sessions
from bot.store.database import session_scope
from bot.store.operator import ROLES, Operator


class OperatorError(Exception):
    """An operator command that cannot be carried out; the message says why."""


def find_operator(session: Session, username: str) -> Operator:
    operator = session.execute(
        select(Operator).where(Operator.username == username)
    ).scalar_one_or_none()
    if operator is None:
        raise OperatorError(f"no operator {username!r}")
    return operator


def add_operator(
    session: Session, username: str, *, display_name: str, role: str, password: str
) -> Operator:
    if role not in ROLES:
        raise OperatorError(f"role must be one of {', '.join(ROLES)}")
    if not username.strip() or not display_name.strip():
        raise OperatorError("username and name must not be empty")
    exists = session.execute(select(Operator.id).where(Operator.username == username)).first()
    if exists:
        raise OperatorError(f"operator {username!r} exists already (use passwd)")
    operator = Operator(
        username=username.strip(),
        display_name=display_name.strip(),
        role=role,
        password_hash=hash_password(password),
        active=True,
    )
    session.add(operator)
    session.flush()
    return operator


def set_password(session: Session, username: str, password: str) -> Operator:
    operator = find_operator(session, username)
    operator.password_hash = hash_password(password)
    revoke_sessions(session, operator.id)
    return operator


def disable_operator(session: Session, username: str) -> Operator:
    operator = find_operator(session, username)
    operator.active = False
    revoke_sessions(session, operator.id)
    return operator


def list_operators(session: Session) -> list[Operator]:
    return list(session.execute(select(Operator).order_by(Operator.username)).scalars())


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != password:
        raise OperatorError("the passwords differ")
    return password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot operator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add an operator or shift lead")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="the name shown in the console (显示名)")
    add.add_argument("--role", choices=ROLES, default="operator")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    passwd = commands.add_parser("passwd", help="set a new password (ends their sessions)")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    disable = commands.add_parser("disable", help="disable an operator (ends their sessions)")
    disable.add_argument("username")
    commands.add_parser("list", help="list operators")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            with session_scope() as session:
                for operator in list_operators(session):
                    state = "active" if operator.active else "disabled"
                    print(f"{operator.username}\t{operator.display_name}\t{operator.role}\t{state}")
            return 0
        if args.command == "disable":
            with session_scope() as session:
                disable_operator(session, args.username)
            print(f"disabled {args.username}")
            return 0
        password = _read_password(args.password_stdin)
        with session_scope() as session:
            if args.command == "add":
                add_operator(
                    session,
                    args.username,
                    display_name=args.name,
                    role=args.role,
                    password=password,
                )
            else:
                set_password(session, args.username, password)
    except (OperatorError, WeakPassword) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{'added' if args.command == 'add' else 'new password for'} {args.username}")
    return 0
