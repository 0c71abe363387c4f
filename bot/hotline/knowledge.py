"""Answers for simple consultations (简单咨询) from the hotline's knowledge base.

Entries in knowledge.yml answer what they name; a question of who handles a matter ("路灯不亮
归哪个部门管") is answered from the departments' duties through the router. Anything else gets
None: the bot then records the question for a person rather than answer something unrelated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.hotline.directory import load_directory, normalise
from bot.hotline.router import route

KNOWLEDGE_YML = Path(__file__).with_name("knowledge.yml")
WHO_HANDLES = re.compile(r"哪个部门|哪个单位|哪个部分|哪里管|谁管|归谁|归哪|属于哪|找哪|找谁")


@dataclass(frozen=True)
class KnowledgeAnswer:
    id: str
    answer: str
    department: str | None
    contact: str | None
    confidence: float


@dataclass(frozen=True)
class Entry:
    id: str
    match: tuple[tuple[str, ...], ...]
    questions: tuple[str, ...]
    answer: str
    department: str | None
    contact: str | None

    def matches(self, text: str) -> bool:
        return all(any(word in text for word in group) for group in self.match)


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _similarity(text: str, questions: tuple[str, ...]) -> float:
    """Best Jaccard overlap of character bigrams with one of the typical questions."""
    grams = _bigrams(text)
    return max(
        (len(grams & _bigrams(q)) / len(grams | _bigrams(q)) for q in questions), default=0.0
    )


@cache
def load_entries(path: Path = KNOWLEDGE_YML) -> tuple[Entry, ...]:
    directory = load_directory()
    entries = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]:
        department = item.get("department")
        contact = item.get("contact") or (
            directory.department(department).hotline if department else None
        )
        entries.append(
            Entry(
                id=item["id"],
                match=tuple(tuple(normalise(str(w)) for w in group) for group in item["match"]),
                questions=tuple(normalise(q) for q in item.get("questions") or ()),
                # Folded YAML joins lines with spaces, which Chinese text does not use.
                answer=item["answer"].replace(" ", ""),
                department=department,
                contact=str(contact) if contact else None,
            )
        )
    return tuple(entries)


def _who_handles(text: str) -> KnowledgeAnswer | None:
    proposal = route(text)
    if proposal.needs_review:
        return None
    if proposal.scope:
        return KnowledgeAnswer(
            "scope", proposal.guidance or "", None, proposal.scope, proposal.confidence
        )
    department = load_directory().department(proposal.department or "")
    contact = f",服务热线{department.hotline}" if department.hotline else ""
    answer = (
        f"您好,您咨询的问题属于{department.name}的职责范围{contact}。"
        f"如您需要反映具体情况,我们可以为您登记并转交{department.name}办理。"
    )
    return KnowledgeAnswer(
        "who_handles", answer, department.name, department.hotline, proposal.confidence
    )


def answer(text: str) -> KnowledgeAnswer | None:
    text = normalise(text)
    candidates = [
        (entry, _similarity(text, entry.questions))
        for entry in load_entries()
        if entry.matches(text)
    ]
    if candidates:
        entry, similarity = max(candidates, key=lambda pair: pair[1])
        # Every keyword group matched, which alone is strong evidence; closeness to a typical
        # question adds the rest.
        confidence = 0.7 + 0.3 * similarity
        return KnowledgeAnswer(entry.id, entry.answer, entry.department, entry.contact, confidence)
    if WHO_HANDLES.search(text):
        return _who_handles(text)
    return None
