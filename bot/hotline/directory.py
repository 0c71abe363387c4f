"""The hotline's departments, their duties and the out-of-scope guidance, from departments.yml.

The YAML is the hotline staff's to edit; this module only reads it and matches its keyword
phrases ("A+B" means both parts occur) against a citizen's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DEPARTMENTS_YML = Path(__file__).with_name("departments.yml")
OFFICE = "市长热线管理办公室"  # the seed's name, when departments.yml names no other

# Full-width ASCII and the ideographic space map one-to-one onto their ASCII forms.
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def normalise(text: str) -> str:
    return text.translate(_HALF_WIDTH).lower().strip()


@dataclass(frozen=True)
class Phrase:
    """A keyword phrase; every part must occur in the text, in any order."""

    text: str
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Phrase:
        return cls(text, tuple(normalise(part) for part in text.split("+") if part.strip()))

    @property
    def weight(self) -> int:
        """Specificity: the characters it pins down, plus one per extra part it requires."""
        return sum(len(part) for part in self.parts) + len(self.parts) - 1

    def spans(self, text: str) -> list[tuple[int, int]] | None:
        """Where each part first occurs in the (normalised) text, or None if one is missing."""
        found = []
        for part in self.parts:
            start = text.find(part)
            if start < 0:
                return None
            found.append((start, start + len(part)))
        return found


@dataclass(frozen=True)
class Department:
    name: str
    aliases: tuple[str, ...]
    hotline: str | None
    duties: tuple[Phrase, ...]
    examples: tuple[str, ...]
    urgent: tuple[Phrase, ...]


@dataclass(frozen=True)
class Scope:
    scope: str
    keywords: tuple[Phrase, ...]
    guidance: str
    category: str | None = None  # the seed's category for such matters (110, 12348: 求助)


@dataclass(frozen=True)
class Directory:
    departments: tuple[Department, ...]
    scopes: tuple[Scope, ...]
    city: str | None = None  # the hotline's city, whose counties have units of their own
    office: str = OFFICE  # takes complaints about city departments' staff

    def department(self, name: str) -> Department:
        """By canonical name or alias."""
        for department in self.departments:
            if name == department.name or name in department.aliases:
                return department
        raise KeyError(name)

    def scope(self, scope: str) -> Scope:
        for entry in self.scopes:
            if entry.scope == scope:
                return entry
        raise KeyError(scope)


def _phrases(items: list[str] | None) -> tuple[Phrase, ...]:
    return tuple(Phrase.parse(str(item)) for item in items or ())


def parse_directory(data: dict) -> Directory:
    departments = tuple(
        Department(
            name=entry["name"],
            aliases=tuple(entry.get("aliases") or ()),
            hotline=str(entry["hotline"]) if entry.get("hotline") else None,
            duties=_phrases(entry.get("duties")),
            examples=tuple(entry.get("examples") or ()),
            urgent=_phrases(entry.get("urgent")),
        )
        for entry in data["departments"]
    )
    scopes = tuple(
        Scope(
            str(entry["scope"]),
            _phrases(entry["keywords"]),
            entry["guidance"],
            entry.get("category"),
        )
        for entry in data["scopes"]
    )
    names = [d.name for d in departments] + [a for d in departments for a in d.aliases]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"department names or aliases used twice: {duplicates}")
    return Directory(departments, scopes, data.get("city"), data.get("office") or OFFICE)


@cache
def load_directory(path: Path = DEPARTMENTS_YML) -> Directory:
    return parse_directory(yaml.safe_load(path.read_text(encoding="utf-8")))
