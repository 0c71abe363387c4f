"""`python -m bot export bookings|workorders|conversations --format json|csv`.

JSON keeps the structure (a booking's fields, a work order's status history, a conversation's
messages); CSV gives one flat row per booking, per work order or per message, for spreadsheets.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.store.booking import Booking
from bot.store.conversation import Conversation
from bot.store.database import session_scope
from bot.store.workorder import WorkOrder


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def booking_rows() -> Iterator[dict[str, Any]]:
    with session_scope() as session:
        for booking in session.execute(select(Booking).order_by(Booking.id)).scalars():
            yield {
                "reference": booking.reference,
                "kind": booking.kind,
                "status": booking.status,
                "channel": booking.channel,
                "sender_id": booking.sender_id,
                "contact_name": booking.contact_name,
                "contact_phone": booking.contact_phone,
                "details": booking.details,
                "created_at": _iso(booking.created_at),
                "updated_at": _iso(booking.updated_at),
            }


def workorder_rows() -> Iterator[dict[str, Any]]:
    with session_scope() as session:
        for order in session.execute(select(WorkOrder).order_by(WorkOrder.id)).scalars():
            yield order.as_dict()


def conversation_rows() -> Iterator[dict[str, Any]]:
    with session_scope() as session:
        for conversation in session.execute(
            select(Conversation)
            .options(selectinload(Conversation.messages))
            .order_by(Conversation.id)
        ).scalars():
            yield {
                "sender_id": conversation.sender_id,
                "channel": conversation.channel,
                "service_line": conversation.service_line,
                "started_at": _iso(conversation.started_at),
                "messages": [
                    {
                        "direction": m.direction,
                        "text": m.text,
                        "intent": m.intent,
                        "created_at": _iso(m.created_at),
                    }
                    for m in conversation.messages
                ],
            }


def _flat(what: str, rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One CSV row per booking or work order (nested values as JSON text), or per message
    (with its conversation)."""
    for row in rows:
        if what == "bookings":
            yield {**row, "details": json.dumps(row["details"], ensure_ascii=False)}
        elif what == "workorders":
            yield {
                **row,
                "fields": json.dumps(row["fields"], ensure_ascii=False),
                "history": json.dumps(row["history"], ensure_ascii=False),
            }
        else:
            head = {k: v for k, v in row.items() if k != "messages"}
            for message in row["messages"]:
                yield {**head, **message}


BOOKING_COLUMNS = [
    "reference",
    "kind",
    "status",
    "channel",
    "sender_id",
    "contact_name",
    "contact_phone",
    "details",
    "created_at",
    "updated_at",
]
WORKORDER_COLUMNS = [
    "number",
    "category",
    "status",
    "department_proposed",
    "department",
    "route_confidence",
    "needs_review",
    "urgent",
    "fields",
    "channel",
    "sender_id",
    "bound_to",
    "dispatch_due",
    "finish_due",
    "followup_due",
    "reply",
    "satisfaction",
    "chased_at",
    "supervised_at",
    "created_at",
    "updated_at",
    "history",
]
MESSAGE_COLUMNS = [
    "sender_id",
    "channel",
    "service_line",
    "started_at",
    "direction",
    "text",
    "intent",
    "created_at",
]


EXPORTS = {
    "bookings": (booking_rows, BOOKING_COLUMNS),
    "workorders": (workorder_rows, WORKORDER_COLUMNS),
    "conversations": (conversation_rows, MESSAGE_COLUMNS),
}


def export(what: str, fmt: str, out: TextIO) -> None:
    produce, columns = EXPORTS[what]
    rows = produce()
    if fmt == "json":
        json.dump(list(rows), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(_flat(what, rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot export", description=__doc__)
    parser.add_argument("what", choices=list(EXPORTS))
    parser.add_argument("--format", choices=["json", "csv"], default="json")
    args = parser.parse_args(argv)
    export(args.what, args.format, sys.stdout)
    return 0
