"""Personal data never reaches a log unmasked, whoever logs it (us, Rasa, rasa_sdk, structlog).

Two layers:
- Phone and ID numbers are masked in every log record when it is created. Rasa's structlog
  output also ends in the standard `logging` module, so one LogRecord factory covers every log
  line a process writes.
- Names cannot be recognised in free text, so what users and the bot said is kept out of Rasa's
  logs altogether, at any level (it logs it mostly at DEBUG): the structlog fields Rasa itself marks as conversation content (the
  keys its anonymization hook, empty in Rasa Open Source, is given), and the two plain log lines
  that print slot values. Intents, entity types, slot and action names stay, so a DEBUG log
  still shows how a conversation went; the values show only as their length.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import structlog
from rasa.utils import log_utils

from bot.nlu.identifiers import mask_pii

# Rasa 3.6's `log_utils._anonymizer` list: the structlog fields that carry conversation content.
CONTENT_KEYS = frozenset(
    {
        "text", "response_text", "user_text", "slot_values", "parse_data_text",
        "parse_data_entities", "prediction_events", "tracker_latest_message", "prefilled_slots",
        "message", "response", "slot_candidates", "rasa_event", "rasa_events", "tracker_states",
        "current_states", "old_states", "successes", "current_entity", "next_entity", "states",
        "entity", "token_text", "user_message", "json_message",
    }
)  # fmt: skip
# Inside those fields' dicts (events, entities, parse data): the parts users or the bot wrote.
CONTENT_FIELDS = frozenset({"text", "value", "data", "slot_values", "entity_value"})
# Plain (stdlib) DEBUG lines that print slot values or whole events after a fixed prefix.
CONTENT_LINES = (
    ("rasa.core.actions.action", "Validating extracted slots: "),
    ("rasa_sdk.executor", "Contents of ignored event: "),
)
_SLOT_LINE = re.compile(r"^(\t[^:\n]+: )(.*)$", re.MULTILINE)


def hidden(value: Any) -> Any:
    """`value` with everything users or the bot wrote replaced by its length; in dicts, the
    fields that name things (event types, intents, entity types, slot names) kept."""
    if isinstance(value, str):
        return f"‹{len(value)} chars›"
    if isinstance(value, Mapping):
        return {k: hidden(v) if k in CONTENT_FIELDS else _named(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [hidden(item) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    as_dict = getattr(value, "as_dict", None)  # Rasa's events
    return hidden(as_dict()) if callable(as_dict) else f"‹{type(value).__name__}›"


def _named(value: Any) -> Any:
    """A field that is not content itself: kept if plain, else hidden below."""
    return value if value is None or isinstance(value, (str, bool, int, float)) else hidden(value)


def hide_conversation_content(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor: Rasa's conversation-content fields, hidden."""
    for key in CONTENT_KEYS.intersection(event_dict):
        value = event_dict[key]
        if key == "slot_values" and isinstance(value, str):  # Rasa's "\t{slot}: {value}" lines
            event_dict[key] = _SLOT_LINE.sub(
                lambda m: m[0] if m[2] == "None" else m[1] + hidden(m[2]), value
            )
        else:
            event_dict[key] = hidden(value)
    return event_dict


def masked(record: logging.LogRecord, message: str) -> str:
    """The record's message as it may be logged."""
    for logger_name, prefix in CONTENT_LINES:
        if record.name == logger_name and message.startswith(prefix):
            return prefix + hidden(message[len(prefix) :])
    return mask_pii(message)


def _install_processor() -> None:
    """Ours in place of Rasa's (empty) anonymizer: in the processors Rasa has configured
    already, which its loggers hold by reference, and for any later `configure_structlog`."""
    log_utils._anonymizer = hide_conversation_content  # type: ignore[assignment]
    processors = structlog.get_config()["processors"]
    for index, processor in enumerate(processors):
        if getattr(processor, "__name__", "") == "_anonymizer":
            processors[index] = hide_conversation_content
    if hide_conversation_content not in processors:
        processors.insert(0, hide_conversation_content)


def install() -> None:
    """Once per process: masked records, and Rasa's structlog fields hidden."""
    _install_processor()
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_pii", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        message = record.getMessage()
        logged = masked(record, message)
        if logged != message:
            record.msg, record.args = logged, None
        return record

    factory.masks_pii = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
