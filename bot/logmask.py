"""Phone and ID numbers never reach a log unmasked, whoever logs them (us, Rasa, structlog).

Rasa's structlog output also ends in the standard `logging` module, so one LogRecord factory
covers every log line a process writes.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.nlu.identifiers import mask_pii


def install() -> None:
    """Wrap the process's LogRecord factory once; records are masked when they are created."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_pii", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        message = record.getMessage()
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    factory.masks_pii = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
