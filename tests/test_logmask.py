"""Personal data in log lines is masked, from our loggers and from Rasa's structlog alike."""

from __future__ import annotations

import logging

import structlog

import bot  # noqa: F401  (installs the masking)


def test_phone_and_id_number_are_masked_in_log_records(caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("bot.test").info("user %s gave %s", "13812345678", "11010519491231002X")
    [record] = caplog.records
    assert "13812345678" not in record.getMessage()
    assert "11010519491231002X" not in record.getMessage()
    assert "138****5678" in record.getMessage()


def test_structlog_events_are_masked_too(caplog):
    caplog.set_level(logging.INFO)
    structlog.configure(logger_factory=structlog.stdlib.LoggerFactory())
    try:
        structlog.get_logger("rasa.test").info("rest.message.received", text="电话13912345678")
    finally:
        structlog.reset_defaults()
    assert caplog.records and all("13912345678" not in r.getMessage() for r in caplog.records)
