"""Mainland mobile numbers and resident ID numbers (GB 11643-1999) in free text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class IdentifierMatch:
    start: int
    end: int
    text: str
    value: str  # digits only; an ID number may end in an uppercase X
    valid: bool
    problem: str | None  # "not_mobile", "length", "check_digit", "birth_date", "region"


# Full-width ASCII and the ideographic space map one-to-one, so offsets stay valid.
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Digit groups with single spaces or dashes between them ("138 1234 5678"), an optional
# +86 in front and, for ID numbers, a trailing X.
_CANDIDATE = re.compile(r"(?<![\w+])(?:\+?86[ -]?)?\d+(?:[ -]\d+)*[Xx]?(?![\w])", re.ASCII)
_SEPARATOR = re.compile(r"[ -]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_PROVINCES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55)]
    + [*range(61, 66), 71, 81, 82]
)
_SHANGHAI = ZoneInfo("Asia/Shanghai")


def is_mobile(value: str) -> bool:
    return _MOBILE.fullmatch(value) is not None


def id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def _birth_date_ok(value: str) -> bool:
    try:
        born = datetime.strptime(value[6:14], "%Y%m%d").date()
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= datetime.now(_SHANGHAI).date()


def _id_problem(value: str) -> str | None:
    if id_check_digit(value[:17]) != value[17]:
        return "check_digit"
    if not _birth_date_ok(value):
        return "birth_date"
    if int(value[:2]) not in _PROVINCES:
        return "region"
    return None


def _looks_like_date(digits: str) -> bool:
    """ "20261203" is a date, not a mistyped phone number."""
    if len(digits) != 8 or digits[:2] not in ("19", "20"):
        return False
    try:
        datetime.strptime(digits, "%Y%m%d")
    except ValueError:
        return False
    return True


def _runs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalised value) of every digit run in `text`.

    A run whose separated groups do not add up to a phone or ID length is split at its
    separators, so "13812345678 2位" yields the phone and a stray "2".
    """
    normalised = text.translate(_HALF_WIDTH)
    runs = []
    for m in _CANDIDATE.finditer(normalised):
        value = _normalise(m.group())
        if len(value) in (11, 18) or not _SEPARATOR.search(m.group()):
            runs.append((m.start(), m.end(), value))
            continue
        for part in re.finditer(r"\d+[Xx]?", m.group()):
            runs.append(
                (m.start() + part.start(), m.start() + part.end(), _normalise(part.group()))
            )
    return runs


def _normalise(raw: str) -> str:
    value = _SEPARATOR.sub("", raw).upper()
    if value.startswith("+86") or (value.startswith("86") and len(value) == 13):
        value = value.removeprefix("+").removeprefix("86")
    return value


def extract_phones(text: str) -> list[IdentifierMatch]:
    matches = []
    for start, end, value in _runs(text):
        if not value.isdigit() or _looks_like_date(value) or not 7 <= len(value) <= 12:
            continue
        problem = None if is_mobile(value) else "not_mobile" if len(value) == 11 else "length"
        matches.append(
            IdentifierMatch(start, end, text[start:end], value, problem is None, problem)
        )
    return matches


def extract_id_numbers(text: str) -> list[IdentifierMatch]:
    matches = []
    for start, end, value in _runs(text):
        if _ID_SHAPE.fullmatch(value):
            problem = _id_problem(value)
        elif 15 <= len(value) <= 19 and value[:-1].isdigit():
            problem = "length"
        else:
            continue
        matches.append(
            IdentifierMatch(start, end, text[start:end], value, problem is None, problem)
        )
    return matches


def _mask(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:  # too short to show anything safely
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_phone(value: str) -> str:
    return _mask(value, 3, 4)


def mask_id_number(value: str) -> str:
    return _mask(value, 6, 4)


def mask_pii(text: str) -> str:
    """`text` with every phone and ID number candidate, valid or not, masked (for logs)."""
    spans = [(m.start, m.end, mask_phone(m.value)) for m in extract_phones(text)]
    spans += [(m.start, m.end, mask_id_number(m.value)) for m in extract_id_numbers(text)]
    for start, end, masked in sorted(spans, reverse=True):
        text = text[:start] + masked + text[end:]
    return text
