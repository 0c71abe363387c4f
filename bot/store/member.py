"""康飞 members: one account per mobile number, made when a hotel booking is confirmed.

The seed used the phone's last four digits as the password; anyone who knows the number could
log in. A member gets a random one-time password instead, in the registration message, and we
keep only its argon2 hash. A member who never received theirs (the channel could not push) gets
a new one with their next booking.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Session

from bot.store.base import Base, utcnow

# Read off a phone screen and typed on another device: no 0/O, 1/l/I look-alikes.
PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
PASSWORD_LENGTH = 8  # ~46 bits: enough for a password the member must change at first login
_hasher = PasswordHasher()


class Member(Base):
    __tablename__ = "members"

    id = Column(Integer, primary_key=True)
    phone = Column(String(32), nullable=False, unique=True)  # also the member number
    password_hash = Column(String(255), nullable=False)
    # When the one-time password reached the member; None until a registration message did.
    password_sent_at = Column(DateTime(timezone=True), nullable=True)
    booking_id = Column(ForeignKey("bookings.id"), nullable=True)  # the booking that made them
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def find_member(session: Session, phone: str) -> Member | None:
    return session.execute(select(Member).where(Member.phone == phone)).scalar_one_or_none()


def issue_password(
    session: Session, phone: str, *, booking_id: int, now: datetime
) -> tuple[Member, str | None]:
    """The member with this phone, made if new, and the one-time password to send them:
    None for a returning member who already received one."""
    member = find_member(session, phone)
    if member is not None and member.password_sent_at is not None:
        return member, None
    password = new_password()
    if member is None:
        member = Member(phone=phone, booking_id=booking_id, created_at=now)
        session.add(member)
    member.password_hash = _hasher.hash(password)
    session.flush()
    return member, password


def verify_password(member: Member, password: str) -> bool:
    try:
        return _hasher.verify(member.password_hash, password)
    except VerificationError:
        return False
