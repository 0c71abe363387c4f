"""Personal data in log lines is masked, from our loggers and from Rasa's structlog alike, and
what users said stays out of Rasa's DEBUG logs."""

from __future__ import annotations

import logging
import re

import pytest
import structlog
from rasa.core.agent import Agent
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.utils.log_utils import configure_structlog

from bot import logmask
from bot.launcher import DEFAULT_MODEL


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


NAME = "王小明"


@pytest.fixture
def rasa_debug_logs(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture):
    """Rasa's own structlog setup at DEBUG, as `rasa run --debug` makes it, configured before
    or after our masking was installed; the previous configuration restored afterwards."""
    saved = structlog.get_config()
    saved["processors"] = list(saved["processors"])
    caplog.set_level(logging.DEBUG)
    if request.param == "rasa first":
        configure_structlog(logging.DEBUG)
        logmask.install()
    else:
        logmask.install()
        configure_structlog(logging.DEBUG)
    yield caplog
    structlog.configure(**saved)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every line, with Rasa's JSON lines' escapes (\\u738b…) read back as characters."""
    text = "\n".join(record.getMessage() for record in caplog.records)
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text)


@pytest.mark.parametrize("rasa_debug_logs", ["rasa first", "ours first"], indirect=True)
def test_rasa_debug_logs_keep_names_out_and_the_conversation_readable(rasa_debug_logs):
    log = structlog.get_logger()
    log.debug("processor.slots.log", slot_values=f"\tperson_name: {NAME}\n\tphone: None")
    log.debug(
        "processor.message.parse",
        parse_data_text=f"我叫{NAME}",
        parse_data_intent={"name": "inform", "confidence": 0.98},
        parse_data_entities=[{"entity": "person_name", "value": NAME, "start": 2, "end": 5}],
    )
    log.debug(
        "processor.extract.slots",
        rasa_events=[SlotSet("person_name", NAME), UserUttered(f"我叫{NAME}"), BotUttered(NAME)],
    )
    logging.getLogger("rasa.core.actions.action").debug(
        f"Validating extracted slots: {{'person_name': '{NAME}'}}"
    )
    text = logged(rasa_debug_logs)
    assert NAME not in text
    # What a developer reads a DEBUG log for is still there.
    for kept in ("person_name", "phone: None", "inform", '"event": "slot"', "‹3 chars›"):
        assert kept in text


@pytest.mark.asyncio
@pytest.mark.parametrize("rasa_debug_logs", ["rasa first"], indirect=True)
async def test_a_real_turn_logged_at_debug_shows_no_name_or_phone(rasa_debug_logs):
    agent = Agent.load(str(DEFAULT_MODEL))
    await agent.handle_text(f"我要订酒店，我叫{NAME}，手机13812345678", sender_id="logmask-test")
    text = logged(rasa_debug_logs)
    assert "processor.message.parse" in text  # Rasa did log the turn at DEBUG
    assert NAME not in text
    assert "13812345678" not in text
