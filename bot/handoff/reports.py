"""`python -m bot report`: the shift lead's figures (班长报表) for a period.

How many conversations came in, on which channel and service line; how many asked for a
person, how long they waited to be taken and to hear from the operator; whether work orders
were answered within their deadline; what citizens said at follow-up (回访).

Periods are half-open, [since, until). Counting rules, so the figures can be checked by hand:
- a conversation counts when the user wrote in the period (or asked for a person in it);
- handoff requests count by when they were made; waits are claimed_at − created_at (out of
  hours requests included: they wait for the next shift), first responses first_response_at −
  claimed_at; percentiles are nearest-rank;
- work orders count when their finish deadline fell in the period: on time when the department
  replied by it (after a reopening, 不满意, the new deadline and the reply that followed it),
  overdue when it replied later or not by `until`;
- follow-up verdicts count when the citizen (or the operator phoning them) gave them.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.handoff.console.views import CHANNELS
from bot.hotline.clock import LOCAL, aware
from bot.hotline.workorders import VERDICTS
from bot.nlu.chinese_time import reference_now
from bot.service_lines import SERVICE_LINES
from bot.store.conversation import Conversation, Message
from bot.store.database import session_scope
from bot.store.handoff import HandoffRequest
from bot.store.workorder import WorkOrder, WorkOrderEvent

DEFAULT_DAYS = 7


def build_report(session: Session, since: datetime, until: datetime) -> dict[str, Any]:
    """The period's figures as JSON-ready data."""
    since, until = _utc(since), _utc(until)
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "conversations": _conversations(session, since, until),
        "handoffs": _handoffs(session, since, until),
        "work_orders": _work_orders(session, since, until),
        "satisfaction": _satisfaction(session, since, until),
    }


def _utc(moment: datetime) -> datetime:
    # Stored times are UTC; SQLite compares them as text, so parameters must be UTC too.
    return aware(moment).astimezone(timezone.utc)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _conversations(session: Session, since: datetime, until: datetime) -> dict[str, Any]:
    wrote = select(Message.conversation_id).where(
        Message.direction == "in", Message.created_at >= since, Message.created_at < until
    )
    asked = select(HandoffRequest.conversation_id).where(
        HandoffRequest.created_at >= since, HandoffRequest.created_at < until
    )
    rows = session.execute(
        select(Conversation.id, Conversation.channel, Conversation.service_line).where(
            or_(Conversation.id.in_(wrote), Conversation.id.in_(asked))
        )
    ).all()
    handed = set(session.execute(asked).scalars())
    by_channel: dict[str, dict[str, int]] = {}
    by_line: dict[str, dict[str, int]] = {}
    for conversation_id, channel, line in rows:
        for table, key in ((by_channel, channel), (by_line, line or "unknown")):
            counts = table.setdefault(key, {"conversations": 0, "with_handoff": 0})
            counts["conversations"] += 1
            counts["with_handoff"] += conversation_id in handed
    with_handoff = sum(1 for row in rows if row[0] in handed)
    return {
        "total": len(rows),
        "with_handoff": with_handoff,
        "handoff_rate": _rate(with_handoff, len(rows)),
        "by_channel": dict(sorted(by_channel.items())),
        "by_service_line": dict(sorted(by_line.items())),
    }


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def _spread(seconds: Iterable[float]) -> dict[str, Any]:
    values = list(seconds)
    return {"count": len(values), "p50": percentile(values, 0.5), "p90": percentile(values, 0.9)}


def _between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (aware(end) - aware(start)).total_seconds()


def _handoffs(session: Session, since: datetime, until: datetime) -> dict[str, Any]:
    requests = (
        session.execute(
            select(HandoffRequest).where(
                HandoffRequest.created_at >= since, HandoffRequest.created_at < until
            )
        )
        .scalars()
        .all()
    )
    waits = [_between(r.created_at, r.claimed_at) for r in requests]
    responses = [_between(r.claimed_at, r.first_response_at) for r in requests]
    return {
        "requests": len(requests),
        "by_status": dict(sorted(Counter(r.status for r in requests).items())),
        "wait_seconds": _spread(w for w in waits if w is not None),
        "first_response_seconds": _spread(r for r in responses if r is not None),
    }


def answered_at(order: WorkOrder, until: datetime) -> datetime | None:
    """When the department answered the deadline the order has now, if before `until`: the
    first reply after the last reopening (不满意 sets a new deadline)."""
    before = [(e.action, aware(e.at)) for e in order.events if aware(e.at) < until]
    reopened = max((at for action, at in before if action == "reopen"), default=None)
    replies = [
        at for action, at in before if action == "reply" and (reopened is None or at > reopened)
    ]
    return min(replies, default=None)


def _work_orders(session: Session, since: datetime, until: datetime) -> dict[str, Any]:
    due = (
        session.execute(
            select(WorkOrder).where(WorkOrder.finish_due >= since, WorkOrder.finish_due < until)
        )
        .scalars()
        .all()
    )
    on_time = 0
    for order in due:
        answered = answered_at(order, until)
        on_time += answered is not None and answered <= aware(order.finish_due)
    return {"due": len(due), "on_time": on_time, "overdue": len(due) - on_time}


def _satisfaction(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    # record_verdict writes the verdict as the note of the close (满意/基本满意) or reopen event.
    notes = session.execute(
        select(WorkOrderEvent.note).where(
            WorkOrderEvent.action.in_(("close", "reopen")),
            WorkOrderEvent.note.in_(VERDICTS),
            WorkOrderEvent.at >= since,
            WorkOrderEvent.at < until,
        )
    ).scalars()
    counts = Counter(notes)
    return {verdict: counts[verdict] for verdict in VERDICTS}


# --- text for people --------------------------------------------------------------------------


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}小时{minutes}分"
    return f"{minutes}分{secs}秒" if minutes else f"{secs}秒"


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def _groups(groups: dict[str, dict[str, int]], labels: dict[str, str]) -> str:
    return (
        ",".join(
            f"{labels.get(key, key)} {c['conversations']}(转人工 {c['with_handoff']})"
            for key, c in groups.items()
        )
        or "—"
    )


def as_text(report: dict[str, Any]) -> str:
    """The report in Chinese, for the shift lead to read."""
    talks, handoffs, orders = report["conversations"], report["handoffs"], report["work_orders"]
    wait, first = handoffs["wait_seconds"], handoffs["first_response_seconds"]
    verdicts = report["satisfaction"]
    return "\n".join(
        [
            f"班长报表 {_local(report['since'])} 至 {_local(report['until'])}",
            f"会话 {talks['total']},转人工 {talks['with_handoff']}"
            f"(转人工率 {_percent(talks['handoff_rate'])})",
            f"  按渠道:{_groups(talks['by_channel'], CHANNELS)}",
            f"  按业务线:{_groups(talks['by_service_line'], {**SERVICE_LINES, 'unknown': '未知'})}",
            f"转人工请求 {handoffs['requests']}:等待接入 中位数 {_duration(wait['p50'])},"
            f"P90 {_duration(wait['p90'])}(已接入 {wait['count']})",
            f"  首次回复 中位数 {_duration(first['p50'])},P90 {_duration(first['p90'])}"
            f"(已回复 {first['count']})",
            f"工单(办理时限在本期内){orders['due']}:按时答复 {orders['on_time']},"
            f"超时 {orders['overdue']}",
            "回访评价:" + ",".join(f"{verdict} {n}" for verdict, n in verdicts.items()),
        ]
    )


# --- the command ------------------------------------------------------------------------------


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def period(since: date | None, until: date | None, now: datetime) -> tuple[datetime, datetime]:
    """Whole local days, both inclusive; a period running into the future ends now."""
    today = now.astimezone(LOCAL).date()
    last = until or today
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    start = datetime.combine(first, time(0), tzinfo=LOCAL)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=LOCAL)
    return start, min(end, now)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--since", type=_day, help="first day, YYYY-MM-DD (default: 7 days ago)")
    parser.add_argument("--until", type=_day, help="last day, YYYY-MM-DD (default: today)")
    parser.add_argument("--format", choices=("json", "text"), default="text")
    args = parser.parse_args(argv)
    start, end = period(args.since, args.until, reference_now())  # the clock, or BOT_NOW
    if end <= start:
        parser.error("--since must not be after --until (or after today)")
    with session_scope() as session:
        report = build_report(session, start, end)
    if args.format == "json":
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(as_text(report))
    return 0
