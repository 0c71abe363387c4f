"""Console logins: argon2 password hashes, server-side sessions, CSRF tokens.

The browser holds a random session token in an HttpOnly cookie; the database keeps only its
SHA-256 digest (256 random bits need no slow hash, and a digest is found by index). A session
ends when it expires, when it has been idle too long, at logout, or the moment its operator is
disabled or changes password. Each session has its own CSRF token, which the pages send back
on every request that changes something.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.hotline.clock import aware
from bot.store.base import utcnow
from bot.store.operator import Operator, OperatorSession

SESSION_LIFETIME = timedelta(hours=12)  # one shift, with margin
IDLE_TIMEOUT = timedelta(hours=2)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
MIN_PASSWORD_LENGTH = 8
LOGIN_FAILED = "用户名或密码错误"

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Compared against when the username is unknown, so both failures take the same time.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


class LoginFailed(Exception):
    """Wrong username or password, or a disabled operator (the message does not say which)."""


class WeakPassword(ValueError):
    pass


@dataclass(frozen=True)
class Principal:
    """Who is behind a request: the operator of a live session."""

    session_id: int
    operator_id: int
    username: str
    display_name: str
    role: str
    csrf_token: str

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.operator_id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
        }


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> Operator:
    """The active operator with these credentials; LoginFailed otherwise."""
    operator = session.execute(
        select(Operator).where(Operator.username == username.strip())
    ).scalar_one_or_none()
    stored = operator.password_hash if operator is not None else _UNKNOWN_USER_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError) as error:
        raise LoginFailed(LOGIN_FAILED) from error
    if operator is None or not operator.active:
        raise LoginFailed(LOGIN_FAILED)
    if _hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = _hasher.hash(password)
    return operator


def open_session(session: Session, operator: Operator) -> str:
    """Start a session for `operator`; the token for the browser's cookie."""
    now = utcnow()
    session.execute(delete(OperatorSession).where(OperatorSession.expires_at <= now))
    token = new_token()
    session.add(
        OperatorSession(
            operator_id=operator.id,
            token_digest=digest(token),
            csrf_token=new_token(),
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.flush()
    return token


def find_session(
    session: Session, token: str | None, now: datetime | None = None
) -> Principal | None:
    """The live session behind a cookie's token, or None (unknown, expired, idle, disabled)."""
    if not token:
        return None
    now = now or utcnow()
    row = session.execute(
        select(OperatorSession).where(OperatorSession.token_digest == digest(token))
    ).scalar_one_or_none()
    if row is None:
        return None
    if (
        not row.operator.active
        or aware(row.expires_at) <= now
        or aware(row.last_seen_at) + IDLE_TIMEOUT <= now
    ):
        session.delete(row)
        return None
    if aware(row.last_seen_at) + TOUCH_EVERY <= now:
        row.last_seen_at = now
    return Principal(
        session_id=row.id,
        operator_id=row.operator.id,
        username=row.operator.username,
        display_name=row.operator.display_name,
        role=row.operator.role,
        csrf_token=row.csrf_token,
    )


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(
            delete(OperatorSession).where(OperatorSession.token_digest == digest(token))
        )


def revoke_sessions(session: Session, operator_id: int) -> int:
    """End every session of an operator (disabled, or a new password); how many there were."""
    return session.execute(
        delete(OperatorSession).where(OperatorSession.operator_id == operator_id)
    ).rowcount
