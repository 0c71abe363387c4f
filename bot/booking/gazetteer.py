"""City and room-type vocabularies, read from the NLU lookup tables and synonyms.

`data/lookups.yml` is the one place these words live: Rasa uses it to train, and the form
parsers use it to find the same words deterministically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

LOOKUPS_PATH = Path(__file__).resolve().parents[2] / "data" / "lookups.yml"


@dataclass(frozen=True)
class Vocabulary:
    """Surface forms mapped to canonical values, matched longest first."""

    canonical: dict[str, str]

    @property
    def pattern(self) -> re.Pattern[str]:
        return _alternation(tuple(self.canonical))

    def find_all(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, canonical) of every non-overlapping mention, left to right."""
        if not self.canonical:
            return []
        return [
            (m.start(), m.end(), self.canonical[m.group(0)]) for m in self.pattern.finditer(text)
        ]

    def first(self, text: str) -> str | None:
        found = self.find_all(text)
        return found[0][2] if found else None


@cache
def _alternation(words: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ordered))


def _examples(block: str) -> list[str]:
    return [
        line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")
    ]


@cache
def load_vocabulary(lookup: str, path: Path = LOOKUPS_PATH) -> Vocabulary:
    """The lookup table `lookup`, plus every synonym whose canonical value is in it."""
    items = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", [])
    canonical: dict[str, str] = {}
    for item in items:
        if item.get("lookup") == lookup:
            for word in _examples(item.get("examples", "")):
                canonical[word] = word
    for item in items:
        target = item.get("synonym")
        if target in canonical.values() or target in canonical:
            for word in _examples(item.get("examples", "")):
                canonical[word] = target  # a synonym names its canonical form, even if listed
    # A trailing 市 is optional when people name a city ("济南市" / "济南").
    if lookup == "city":
        for word, value in list(canonical.items()):
            bare = word.removesuffix("市")
            if len(bare) >= 2:
                canonical.setdefault(bare, value.removesuffix("市"))
                canonical[word] = value.removesuffix("市")
    return Vocabulary(canonical)


def cities() -> Vocabulary:
    return load_vocabulary("city")


def room_types() -> Vocabulary:
    return load_vocabulary("room_type")
