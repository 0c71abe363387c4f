"""Chinese date and time expressions -> ISO values for booking dialogues.

A regex grammar covers what callers book with (relative days, weekdays, month-day, full
dates, holidays, times of day, and ranges such as "12月3号入住,5号退房"), because jionlp gets
several of these wrong for bookings: it resolves yearless dates to the past ("4月1日" in
November -> April of this year), raises on "4.1—4.3", links no check-in/check-out pair and
blurs "下周五入住,住两晚" into an evening span. jionlp still converts lunar festivals to
solar dates and serves as a fallback for expressions outside the grammar ("下个月3号").
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache
from types import ModuleType

import chinese_calendar

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class TimeValue:
    start: str
    end: str
    grain: str

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start, "end": self.end, "grain": self.grain}

    @property
    def is_range(self) -> bool:
        return self.start != self.end


@dataclass(frozen=True)
class TimeMention:
    start_char: int
    end_char: int
    text: str
    value: TimeValue


def reference_now(now: datetime | str | None = None) -> datetime:
    """The instant "明天" etc. are relative to: `now`, else $BOT_NOW, else the clock."""
    if now is None:
        now = os.environ.get("BOT_NOW") or None
    if now is None:
        return datetime.now(SHANGHAI)
    if isinstance(now, str):
        now = datetime.fromisoformat(now)
    return now.replace(tzinfo=SHANGHAI) if now.tzinfo is None else now.astimezone(SHANGHAI)


# --- normalisation and numerals ---------------------------------------------------------

# Full-width ASCII and the ideographic space map one-to-one, so offsets stay valid.
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def _to_int(numeral: str) -> int:
    """ "12", "十二", "二十三", "两", "二〇二七" -> int."""
    if numeral.isdigit():
        return int(numeral)
    if "十" in numeral:
        tens, _, ones = numeral.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return int("".join(str(_CN_DIGITS[c]) for c in numeral))


# --- grammar ------------------------------------------------------------------------------

_NUM = r"(?:\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"
# "3号线", "5号楼", "一日游" are not days of the month.
_NOT_DAY = r"(?![楼线房床门桌座位口台栋单元期次游])"
_RELATIVE = {
    "大前天": -3, "前天": -2, "昨天": -1, "昨日": -1, "今天": 0, "今日": 0, "今晚": 0,
    "今早": 0, "明天": 1, "明日": 1, "明晚": 1, "明早": 1, "后天": 2, "大后天": 3,
}  # fmt: skip
_IMPLIED_PERIOD = {"今晚": "晚上", "明晚": "晚上", "今早": "上午", "明早": "上午"}
_WEEK_SHIFT = {"下下": 2, "下": 1, "这": 0, "本": 0, "上": -1}
_WEEKDAYS = {c: i for i, c in enumerate("一二三四五六")} | {"日": 6, "天": 6}
# A period word adds 12 hours to clock hours below this ("晚上12点" is midnight).
_PM_BELOW = {"中午": 4, "下午": 12, "傍晚": 12, "晚上": 13, "夜里": 13, "夜间": 13}
_PERIODS = "凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间"

_DATE_PATTERNS: dict[str, str] = {
    "full": r"(?P<y>\d{4}|[零〇一二三四五六七八九]{4})\s*年\s*(?P<m>{n})\s*月\s*(?P<d>{n})\s*[日号]?",
    "full_numeric": r"(?<![\d.])(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)",
    "month_day": r"(?P<m>{n})\s*月\s*(?P<d>{n})\s*[日号]?" + _NOT_DAY,
    # "12.3", "12/3" but not prices, ratios or decimals.
    "numeric_md": r"(?<![\d.:/])(?P<m>\d{1,2})[./](?P<d>\d{1,2})(?![\d.:/%]|\s*[元块折倍米万亿个分秒岁])",
    "day": r"(?<![\d月])(?P<d>{n})\s*[日号]" + _NOT_DAY,
    "relative": "(?P<rel>" + "|".join(sorted(_RELATIVE, key=len, reverse=True)) + ")",
    "days_later": r"(?P<n>\d{1,3}|[一二两三四五六七八九十]{1,3})\s*个?\s*[天日]\s*(?:以后|之后|后)",
    "weekday": r"(?:(?P<pre>下下|下|这|本|上)个?\s*)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])",
    "holiday": r"(?P<hol>元旦|春节|除夕|清明|五一|劳动节|端午|中秋|国庆)节?",  # see _HOLIDAYS
}
_DATE_RES = {kind: re.compile(p.replace("{n}", _NUM)) for kind, p in _DATE_PATTERNS.items()}
_TIME_RE = re.compile(
    rf"(?P<period>{_PERIODS})?\s*"
    r"(?:(?P<h>\d{1,2}|[零一二两三四五六七八九十]{1,3})\s*[点时]钟?"
    r"(?:\s*(?P<half>半)|\s*(?P<quarter>[一三])刻|\s*(?P<mi>\d{1,2}|[零一二三四五六七八九十]{1,3})\s*分?)?"
    r"|(?<![\d:])(?P<ch>\d{1,2}):(?P<cm>\d{2})(?![\d:]))"
    # "18:00前" is a latest-arrival time; the caller wants the point 18:00.
    r"(?:\s*(?:之前|以前|前|左右|以后|之后))?"
)
_DATE_TIME_GAP = re.compile(r"\s*的?\s*")
_RANGE_GAP = re.compile(r"\s*(?:入住|住)?\s*(?:到|至|—+|–|-|~)\s*")
_CHECKIN_GAP = re.compile(r"\s*(?:入住|住进去?|开始住)\s*[,、;\s]\s*(?:然后|再)?\s*")
_CHECKOUT_AFTER = re.compile(r"\s*(?:退房|离店|离开|走)")


@dataclass(frozen=True)
class _Piece:
    """One date and/or time in the text, before it is resolved against `now`."""

    start: int
    end: int
    kind: str  # a key of _DATE_PATTERNS, or "time" for a bare time of day
    fields: dict[str, str | None]
    clock: tuple[int, int] | None = None  # (hour, minute) as said, before the period
    period: str | None = None


def _clock(m: re.Match[str]) -> tuple[int, int] | None:
    if m["ch"]:
        hour, minute = int(m["ch"]), int(m["cm"])
    else:
        # "便宜一点" / "快一点" say "a bit", not 1 o'clock.
        if m["h"] == "一" and not (m["period"] or m["half"] or m["quarter"] or m["mi"]):
            return None
        hour = _to_int(m["h"])
        minute = 30 if m["half"] else 15 * _to_int(m["quarter"]) if m["quarter"] else 0
        minute = _to_int(m["mi"]) if m["mi"] else minute
    return (hour, minute) if hour <= 24 and minute < 60 else None


def _scan(text: str) -> list[_Piece]:
    """Date and time atoms, leftmost-longest, without overlaps."""
    found = [
        _Piece(m.start(), m.end(), kind, m.groupdict())
        for kind, rx in _DATE_RES.items()
        for m in rx.finditer(text)
    ]
    for m in _TIME_RE.finditer(text):
        clock = _clock(m)
        if clock:
            found.append(_Piece(m.start(), m.end(), "time", {}, clock, m["period"]))
    found.sort(key=lambda p: (p.start, -(p.end - p.start)))
    pieces: list[_Piece] = []
    for piece in found:
        if not pieces or piece.start >= pieces[-1].end:
            pieces.append(piece)
    return pieces


def _attach_times(text: str, pieces: list[_Piece]) -> list[_Piece]:
    """Merge "明天" + "下午3点" into one piece carrying both."""
    merged: list[_Piece] = []
    for piece in pieces:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and piece.kind == "time"
            and prev.kind != "time"
            and prev.clock is None
            and _DATE_TIME_GAP.fullmatch(text, prev.end, piece.start)
        ):
            period = piece.period or _IMPLIED_PERIOD.get(prev.fields.get("rel") or "")
            merged[-1] = replace(prev, end=piece.end, clock=piece.clock, period=period)
        else:
            merged.append(piece)
    return merged


# --- resolution ---------------------------------------------------------------------------


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_month_day(day: int, anchor: date) -> date | None:
    """The first date on `day` of a month that is not before `anchor`."""
    year, month = anchor.year, anchor.month
    for _ in range(13):
        found = _safe_date(year, month, day)
        if found and found >= anchor:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _next_year_date(month: int, day: int, anchor: date) -> date | None:
    """The first `month`/`day` not before `anchor` (booking dates point forward)."""
    for year in (anchor.year, anchor.year + 1, anchor.year + 4):  # +4: 2月29日
        found = _safe_date(year, month, day)
        if found and found >= anchor:
            return found
    return None


class _JionlpTracebacks(logging.Filter):
    """jionlp logs a traceback on the root logger for each phrase it cannot parse ("300元左右")
    and then returns nothing: expected for chat text, and no error of ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        return f"{os.sep}jionlp{os.sep}" not in record.pathname


@cache
def _jionlp() -> ModuleType:
    """jionlp, imported on first use (0.3 s) with its import banner swallowed."""
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp

    logging.getLogger().addFilter(_JionlpTracebacks())
    return jionlp


def _lunar(month: int, day: int) -> Callable[[int], date]:
    def on(year: int) -> date:
        return _jionlp().lunar2solar(year, month, day, False).date()

    return on


def _qingming(year: int) -> date:
    terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
    return next(day for day, name in terms if name == "清明")


# The festival day itself, not the statutory break around it (which shifts every year).
_HOLIDAYS: dict[str, Callable[[int], date]] = {
    "元旦": lambda year: date(year, 1, 1),
    "春节": _lunar(1, 1),
    "除夕": lambda year: _lunar(1, 1)(year) - timedelta(days=1),
    "清明": _qingming,
    "五一": lambda year: date(year, 5, 1),
    "劳动节": lambda year: date(year, 5, 1),
    "端午": _lunar(5, 5),
    "中秋": _lunar(8, 15),
    "国庆": lambda year: date(year, 10, 1),
}


def _holiday(name: str, anchor: date) -> date:
    on = _HOLIDAYS[name]
    this_year = on(anchor.year)
    return this_year if this_year >= anchor else on(anchor.year + 1)


def _weekday(prefix: str | None, weekday: int, today: date) -> date:
    if prefix is None:  # bare "周五": the coming one, today included (it is not past)
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=_WEEK_SHIFT[prefix], days=weekday)


def _resolve_date(piece: _Piece, anchor: date, today: date) -> date | None:
    """The date `piece` names; yearless or monthless dates move forward from `anchor`."""
    f = piece.fields
    kind = piece.kind
    if kind in ("full", "full_numeric"):
        return _safe_date(_to_int(f["y"]), _to_int(f["m"]), _to_int(f["d"]))
    if kind in ("month_day", "numeric_md"):
        return _next_year_date(_to_int(f["m"]), _to_int(f["d"]), anchor)
    if kind == "day":
        return _next_month_day(_to_int(f["d"]), anchor)
    if kind == "relative":
        return today + timedelta(days=_RELATIVE[f["rel"]])
    if kind == "days_later":
        return today + timedelta(days=_to_int(f["n"]))
    if kind == "weekday":
        return _weekday(f["pre"], _WEEKDAYS[f["wd"]], today)
    if kind == "holiday":
        return _holiday(f["hol"], anchor)
    return anchor  # a bare time of day


def _resolve(piece: _Piece, anchor: date, today: date) -> datetime | date | None:
    day = _resolve_date(piece, anchor, today)
    if day is None or piece.clock is None:
        return day
    hour, minute = piece.clock
    if hour < _PM_BELOW.get(piece.period or "", 0):
        hour += 12
    return datetime(day.year, day.month, day.day) + timedelta(hours=hour, minutes=minute)


def _fmt(value: datetime | date) -> str:
    return value.strftime("%Y-%m-%dT%H:%M") if isinstance(value, datetime) else value.isoformat()


def _point(piece: _Piece, today: date) -> TimeValue | None:
    # A bare time already past today stays today: whether "9点" then means tomorrow
    # depends on the dialogue (arrival vs. complaint), so the caller decides.
    value = _resolve(piece, today, today)
    if value is None:
        return None
    grain = "minute" if isinstance(value, datetime) else "day"
    return TimeValue(_fmt(value), _fmt(value), grain)


def _range(first: _Piece, second: _Piece, today: date) -> TimeValue | None:
    start = _resolve(first, today, today)
    if start is None:
        return None
    anchor = start.date() if isinstance(start, datetime) else start
    if second.kind == "time" and second.period is None:
        second = replace(second, period=first.period)  # "下午2点到4点"
    end = _resolve(second, anchor, today)
    if end is None:
        return None
    if isinstance(start, datetime) != isinstance(end, datetime):
        start, end = _as_date(start), _as_date(end)  # mixed grains: keep the days
    if isinstance(end, datetime) and end < start:
        end += timedelta(days=1)  # "晚上10点到凌晨2点"
    if end < start:
        return None
    grain = "minute" if isinstance(start, datetime) else "day"
    return TimeValue(_fmt(start), _fmt(end), grain)


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _links(text: str, first: _Piece, second: _Piece) -> bool:
    """Whether the text between two pieces makes them the ends of one range."""
    if _RANGE_GAP.fullmatch(text, first.end, second.start):
        return True
    return bool(
        _CHECKIN_GAP.fullmatch(text, first.end, second.start)
        and _CHECKOUT_AFTER.match(text, second.end)
    )


def _own_mentions(text: str, normalised: str, today: date) -> list[TimeMention]:
    pieces = _attach_times(normalised, _scan(normalised))
    mentions: list[TimeMention] = []
    i = 0
    while i < len(pieces):
        first, end, value = pieces[i], pieces[i].end, None
        if i + 1 < len(pieces) and _links(normalised, first, pieces[i + 1]):
            value = _range(first, pieces[i + 1], today)
            if value is not None:
                i += 1
                end = pieces[i].end
        value = value or _point(first, today)
        i += 1
        if value is not None:
            mentions.append(TimeMention(first.start, end, text[first.start : end], value))
    return mentions


# --- jionlp fallback ----------------------------------------------------------------------


def _from_jionlp(detail: dict, today: date) -> TimeValue | None:
    """An accurate jionlp point, or a span of whole days up to a week, not in the past."""
    times = detail.get("time")
    if detail.get("definition") != "accurate" or not isinstance(times, list) or "inf" in times:
        return None
    start, end = (datetime.fromisoformat(t) for t in times)
    whole_days = start.time().isoformat() == "00:00:00" and end.time().isoformat() == "23:59:59"
    if start.date() < today:
        return None
    if whole_days and (end.date() - start.date()).days <= 7:
        return TimeValue(start.date().isoformat(), end.date().isoformat(), "day")
    if detail["type"] == "time_point":
        return TimeValue(_fmt(start), _fmt(start), "minute")
    return None


def _jionlp_mentions(text: str, normalised: str, now: datetime) -> list[TimeMention]:
    base = now.replace(tzinfo=None)
    try:
        found = _jionlp().ner.extract_time(normalised, time_base=base, with_parsing=True)
    except Exception:  # jionlp raises on some inputs ("4.1—4.3"); the fallback then has none
        return []
    mentions = []
    for item in found:
        value = _from_jionlp(item["detail"], now.date())
        start, end = item["offset"]
        if value is not None and re.match(_NOT_DAY, normalised[end:]) is not None:
            mentions.append(TimeMention(start, end, text[start:end], value))
    return mentions


def _merge(own: list[TimeMention], extra: list[TimeMention]) -> list[TimeMention]:
    """Own mentions, plus jionlp's where they are new or strictly longer than ours."""
    result = list(own)
    for cand in extra:
        overlapping = [
            m for m in result if m.start_char < cand.end_char and cand.start_char < m.end_char
        ]
        covers = all(
            cand.start_char <= m.start_char and m.end_char <= cand.end_char for m in overlapping
        )
        longer = all(
            m.end_char - m.start_char < cand.end_char - cand.start_char for m in overlapping
        )
        if covers and longer:
            result = [m for m in result if m not in overlapping] + [cand]
    return sorted(result, key=lambda m: m.start_char)


# --- public API ---------------------------------------------------------------------------


def find_times(text: str, now: datetime | str | None = None) -> list[TimeMention]:
    current = reference_now(now)
    normalised = text.translate(_HALF_WIDTH)
    own = _own_mentions(text, normalised, current.date())
    return _merge(own, _jionlp_mentions(text, normalised, current))


def parse_time(text: str, now: datetime | str | None = None) -> TimeValue | None:
    mentions = find_times(text, now)
    return mentions[0].value if mentions else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot parse-time")
    parser.add_argument("text")
    parser.add_argument("--now", help="reference time, ISO 8601 (default: $BOT_NOW or now)")
    args = parser.parse_args(argv)
    value = parse_time(args.text, args.now)
    if value is None:
        print(json.dumps({"error": f"no time found in {args.text!r}"}, ensure_ascii=False))
        return 1
    print(json.dumps(value.as_dict(), ensure_ascii=False))
    return 0
