"""Answers from the hotline's knowledge base: simple consultations (简单咨询), simple
requests (简单诉求) and unreasonable suggestions (不合理建议).

Entries in knowledge.yml answer what they name; a question of who handles a matter ("路灯不亮
归哪个部门管") is answered from the departments' duties through the router. Anything else gets
None: the bot then records the question for a person rather than answer something unrelated.

A request is simple, and gets the responsible unit's number instead of a work order, when the
unit has a nationwide number (`hotline` in departments.yml) and either the citizen asks whom to
contact, or a `refer: true` entry says the matter is the unit's own business that its service
line settles (a broadband fault, property left in a taxi). Not when the citizen says they
already went to a unit (报修了没人来, 打了好几次电话): sending them back would be 推诿, so that
becomes a work order, as does anything urgent (the intake checks that first).

suggestions.yml lists, in the same format, the suggestions the hotline declines politely
(国家统一规定, 违法, 歧视 …) with the reason it gives.
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
SUGGESTIONS_YML = Path(__file__).with_name("suggestions.yml")
WHO_HANDLES = re.compile(
    r"哪个部门|哪个单位|哪个部分|哪里管|谁管|归谁|归哪|属于哪|找哪|找谁"
    r"|(?:打|拨)(?:什么|哪个)电话|电话(?:号码)?是多少|有没有.{0,8}(?:电话|联系方式)"
)
# The citizen already went to a unit and got nowhere: referring them back would be 推诿.
ALREADY_TRIED = re.compile(
    r"报修了|报修过|报了修|打过|打了.{0,8}电话|电话.{0,6}(?:没人接|打不通)|反映过|投诉过|联系过|"
    r"好几次|多次|没人来|没人管|没人理|推诿|踢皮球"
)


@dataclass(frozen=True)
class KnowledgeAnswer:
    id: str
    answer: str
    department: str | None
    contact: str | None
    confidence: float
    refer: bool = False  # the unit settles it itself: its number is the answer to a request


@dataclass(frozen=True)
class Entry:
    id: str
    match: tuple[tuple[str, ...], ...]
    questions: tuple[str, ...]
    answer: str
    department: str | None
    contact: str | None
    refer: bool = False
    unless: tuple[str, ...] = ()  # words that mean the entry is not about this message

    def matches(self, text: str) -> bool:
        return all(any(word in text for word in group) for group in self.match) and not any(
            word in text for word in self.unless
        )


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
        entry = Entry(
            id=item["id"],
            match=tuple(tuple(normalise(str(w)) for w in group) for group in item["match"]),
            questions=tuple(normalise(q) for q in item.get("questions") or ()),
            # Folded YAML joins lines with spaces, which Chinese text does not use.
            answer=item["answer"].replace(" ", ""),
            department=department,
            contact=str(contact) if contact else None,
            refer=bool(item.get("refer")),
            unless=tuple(normalise(str(w)) for w in item.get("unless") or ()),
        )
        if entry.refer and not entry.contact:
            raise ValueError(f"{path.name}: {entry.id} refers to a unit but has no number")
        entries.append(entry)
    return tuple(entries)


def _best(text: str, entries: tuple[Entry, ...]) -> KnowledgeAnswer | None:
    """The matching entry closest to one of its typical questions."""
    candidates = [(e, _similarity(text, e.questions)) for e in entries if e.matches(text)]
    if not candidates:
        return None
    entry, similarity = max(candidates, key=lambda pair: pair[1])
    # Every keyword group matched, which alone is strong evidence; closeness to a typical
    # question adds the rest.
    return KnowledgeAnswer(
        entry.id,
        entry.answer,
        entry.department,
        entry.contact,
        0.7 + 0.3 * similarity,
        entry.refer,
    )


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
        "who_handles", answer, department.name, department.hotline, proposal.confidence, True
    )


def answer(text: str) -> KnowledgeAnswer | None:
    text = normalise(text)
    found = _best(text, load_entries())
    if found is None and WHO_HANDLES.search(text):
        return _who_handles(text)
    return found


def referral(text: str) -> KnowledgeAnswer | None:
    """For a simple request: the answer that gives the responsible unit's number, or None
    when the request needs a work order (see the module's docstring)."""
    found = answer(text)
    if found is None or not found.refer or not found.contact or ALREADY_TRIED.search(text):
        return None
    return found


def unreasonable_suggestion(text: str) -> KnowledgeAnswer | None:
    """The polite refusal for a suggestion suggestions.yml lists as unreasonable."""
    return _best(normalise(text), load_entries(SUGGESTIONS_YML))
