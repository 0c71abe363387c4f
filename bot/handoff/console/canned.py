"""The canned replies offered in the reply box, from canned_replies.yml (the call centre's to
edit): each group's texts, for one service line or for both."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

CANNED_FILE = Path(__file__).with_name("canned_replies.yml")


@cache
def canned_replies(path: Path = CANNED_FILE) -> list[dict[str, Any]]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        {"group": str(entry["group"]), "line": entry.get("line"), "texts": list(entry["texts"])}
        for entry in entries
    ]


def for_line(service_line: str | None) -> list[dict[str, Any]]:
    """The groups offered in a conversation of `service_line` (all of them when unknown)."""
    return [
        entry
        for entry in canned_replies()
        if service_line is None or entry["line"] in (None, service_line)
    ]
