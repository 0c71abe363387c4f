"""The hand-labelled citizen messages and their fixed train / held-out split.

The split is by a hash of the text, so it never changes when messages are added or reordered,
and the router is trained on the train part only: the held-out part measures it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

LABELLED_YML = Path(__file__).resolve().parents[2] / "data" / "hotline_routing.yml"
HELD_OUT_PERCENT = 30


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    category: str
    department: str | None
    scope: str | None

    @property
    def target(self) -> str:
        """What the router must pick: a department, or "scope:<guidance>" for out-of-scope."""
        return self.department if self.department else f"scope:{self.scope}"


def is_held_out(text: str) -> bool:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT


def load_labelled(path: Path = LABELLED_YML) -> list[LabelledMessage]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        LabelledMessage(
            text=entry["text"],
            category=entry["category"],
            department=entry.get("department"),
            scope=str(entry["scope"]) if entry.get("scope") else None,
        )
        for entry in data["messages"]
    ]


def split(messages: list[LabelledMessage]) -> tuple[list[LabelledMessage], list[LabelledMessage]]:
    """(train, held_out)."""
    train = [m for m in messages if not is_held_out(m.text)]
    held_out = [m for m in messages if is_held_out(m.text)]
    return train, held_out
