"""Counts written in digits or Chinese numerals ("两间", "2间", "二十人", "１０位")."""

from __future__ import annotations

import unicodedata

import cn2an

NUMERAL = r"[0-9０-９零〇一二两俩三四五六七八九十百千]+"


def parse_count(token: str) -> int | None:
    """The integer a numeral token stands for, or None when it is not a number."""
    token = unicodedata.normalize("NFKC", token).replace("俩", "两")
    if token.isdigit():
        return int(token)
    try:
        return int(cn2an.cn2an(token, "smart"))
    except (ValueError, KeyError):
        return None
