"""Operators (话务员) and shift leads (班长) who work the console, and their login sessions."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from bot.store.base import Base, utcnow

ROLES = ("operator", "lead")


class Operator(Base):
    __tablename__ = "operators"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(64), nullable=False)
    role = Column(String(16), nullable=False, default="operator")
    password_hash = Column(String(255), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class OperatorSession(Base):
    """A console login. The browser holds a random token; only its SHA-256 digest is kept,
    so a copy of the database opens no session. The CSRF token is bound to the session."""

    __tablename__ = "operator_sessions"

    id = Column(Integer, primary_key=True)
    operator_id = Column(ForeignKey("operators.id"), nullable=False, index=True)
    token_digest = Column(String(64), nullable=False, unique=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False, index=True)

    operator = relationship("Operator", lazy="joined")
