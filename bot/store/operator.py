"""Operators (话务员) and shift leads (班长) who work the console."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, String

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
