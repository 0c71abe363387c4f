"""Bookings and conversations in SQL, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
from datetime import datetime

from sqlalchemy import inspect, select, text

from bot.hotline.router import Route
from bot.hotline.workorders import create_work_order, dispatch
from bot.store.booking import Booking, create_booking
from bot.store.conversation import Conversation
from bot.store.database import get_engine, migrate, session_scope
from bot.store.export import export
from bot.store.recorder import ConversationRecorder


def test_migration_creates_the_schema_and_can_run_again(database):
    migrate(database)  # a second run finds nothing to do
    tables = set(inspect(get_engine(database)).get_table_names())
    assert {
        "conversations",
        "messages",
        "bookings",
        "handoff_requests",
        "work_orders",
        "work_order_events",
        "scheduled_jobs",
        "callback_tasks",
        "department_tokens",
        "alembic_version",
    } <= tables


def test_a_booking_gets_a_reference_and_keeps_its_fields(database):
    with session_scope() as session:
        booking = create_booking(
            session,
            kind="hotel",
            sender_id="wx-openid-1",
            channel="wechat",
            details={"city": "济南", "rooms": [{"type": "大床房", "count": 2}]},
            contact_name="路静",
            contact_phone="13812345678",
        )
        reference = booking.reference
    with session_scope() as session:
        stored = session.execute(select(Booking)).scalar_one()
        assert stored.reference == reference and reference.startswith("KF")
        assert stored.status == "submitted"
        assert stored.details["rooms"] == [{"type": "大床房", "count": 2}]
        assert stored.conversation.channel == "wechat"


def test_the_recorder_keeps_both_sides_of_a_conversation(database):
    recorder = ConversationRecorder()
    recorder.record(
        "web-1",
        [
            {
                "event": "user",
                "timestamp": 1764122400.0,
                "text": "我想订酒店",
                "input_channel": "webchat",
                "metadata": {"service_line": "travel"},
                "parse_data": {"intent": {"name": "book_hotel", "confidence": 0.98}},
            },
            {"event": "bot", "timestamp": 1764122401.0, "text": "请问您需要预订哪里的酒店?"},
            {"event": "slot", "name": "city", "value": "济南"},
        ],
    )
    recorder.flush()
    with session_scope() as session:
        conversation = session.execute(select(Conversation)).scalar_one()
        assert (conversation.channel, conversation.service_line) == ("webchat", "travel")
        assert [(m.direction, m.text, m.intent) for m in conversation.messages] == [
            ("in", "我想订酒店", "book_hotel"),
            ("out", "请问您需要预订哪里的酒店?", None),
        ]


def test_a_platform_message_reopens_the_reply_window_when_its_turn_is_recorded(database):
    recorder = ConversationRecorder()
    platform = {"service_line": "hotline", "kind": "text",
                "received_at": "2026-11-27T09:30:00+08:00",
                "reply_context": {"scene": "c2c", "msg_id": "ROBOT1.0_abc"}}  # fmt: skip
    turns = {
        "qq:u-7": ("qq", platform),
        # A REST client may post as a platform's user, with any metadata: no window opens.
        "qq:u-8": ("rest", platform),
        # A time that is not one must not lose the message.
        "qq:u-9": ("qq", {**platform, "received_at": "yesterday"}),
    }
    for sender, (channel, metadata) in turns.items():
        recorder.record(sender, [
            {"event": "user", "timestamp": 1764207000.0, "text": "路灯坏了",
             "input_channel": channel, "metadata": metadata},
            {"event": "bot", "timestamp": 1764207001.0, "text": "请问在哪条路?"},
        ])  # fmt: skip
    recorder.flush()
    with session_scope() as session:
        found = {c.sender_id: c for c in session.execute(select(Conversation)).scalars()}
        opened = found["qq:u-7"]
        assert opened.last_inbound_at.replace(tzinfo=None) == datetime(2026, 11, 27, 1, 30)
        assert opened.reply_context == {"scene": "c2c", "msg_id": "ROBOT1.0_abc"}
        for sender in ("qq:u-8", "qq:u-9"):
            unopened = found[sender]
            assert (unopened.last_inbound_at, unopened.reply_context) == (None, None)
            assert [m.text for m in unopened.messages] == ["路灯坏了", "请问在哪条路?"]
        assert {c.service_line for c in found.values()} == {"hotline"}


def test_a_rest_clients_unknown_service_line_is_ignored_and_its_turn_kept(database):
    recorder = ConversationRecorder()
    lines = {"rest-1": "x" * 40, "rest-2": ["travel"], "rest-3": {"line": "hotline"}}
    for sender, line in lines.items():
        recorder.record(sender, [
            {"event": "user", "timestamp": 1764207000.0, "text": "我想订酒店",
             "input_channel": "rest", "metadata": {"service_line": line}},
            {"event": "bot", "timestamp": 1764207001.0, "text": "请问您需要预订哪里的酒店?"},
        ])  # fmt: skip
    recorder.flush()
    with session_scope() as session:
        found = {c.sender_id: c for c in session.execute(select(Conversation)).scalars()}
        assert set(found) == set(lines)
        for conversation in found.values():
            assert conversation.service_line is None
            assert [m.text for m in conversation.messages] == [
                "我想订酒店",
                "请问您需要预订哪里的酒店?",
            ]


def test_export_as_json_and_csv(database):
    with session_scope() as session:
        create_booking(session, kind="flight", sender_id="qq-1", channel="qq",
                       details={"departure_city": "北京", "arrival_city": "上海"},
                       contact_name="李明", contact_phone="13912345678")  # fmt: skip
    out = io.StringIO()
    export("bookings", "json", out)
    [booking] = json.loads(out.getvalue())
    assert booking["kind"] == "flight" and booking["details"]["arrival_city"] == "上海"

    out = io.StringIO()
    export("bookings", "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["contact_name"] == "李明"
    assert json.loads(rows[0]["details"]) == {"departure_city": "北京", "arrival_city": "上海"}


def test_csv_export_of_nothing_still_has_its_header(database):
    out = io.StringIO()
    export("conversations", "csv", out)
    assert out.getvalue().splitlines() == [
        "sender_id,channel,service_line,started_at,direction,text,intent,created_at"
    ]


def test_work_orders_export_with_their_history(database):
    with session_scope() as session:
        number = create_work_order(
            session,
            route=Route("request", "住建局", 0.9, None, False, False),
            fields={"where": "幸福路", "what": "路灯坏了"},
            channel="qq",
            sender_id="qq:u-1",
        ).number
        dispatch(session, number, actor="班长")
    out = io.StringIO()
    export("workorders", "json", out)
    [order] = json.loads(out.getvalue())
    assert order["number"] == number and order["department"] == "住建局"
    assert [(h["from"], h["to"]) for h in order["history"]] == [
        ("created", "created"),
        ("created", "dispatched"),
    ]
    out = io.StringIO()
    export("workorders", "csv", out)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["status"] == "dispatched" and json.loads(row["fields"])["where"] == "幸福路"
    assert len(json.loads(row["history"])) == 2


def test_migrating_creates_the_sqlite_folder_of_a_fresh_checkout(tmp_path):
    url = f"sqlite:///{tmp_path / 'var' / 'bot.db'}"  # var/ does not exist yet
    migrate(url)
    assert "bookings" in inspect(get_engine(url)).get_table_names()


def test_a_migrated_sqlite_file_is_in_wal_mode(tmp_path):
    # Readers then go on while Rasa or the recorder writes.
    path = tmp_path / "bot.db"
    migrate(f"sqlite:///{path}")
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_sqlite_connection_opened_during_another_write_waits_for_it(tmp_path):
    # A file not yet in WAL (made before the switch, or by another tool), written by another
    # connection (Rasa's own engine): the recorder's new connection must wait its turn, not
    # fail with "database is locked" and lose the messages it was opened to store.
    path = tmp_path / "other.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE notes (text TEXT)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO notes VALUES ('Rasa''s turn')")
    threading.Timer(0.3, writer.execute, ("COMMIT",)).start()
    with get_engine(f"sqlite:///{path}").begin() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('the transcript')"))
    writer.close()
    with sqlite3.connect(path) as plain:
        assert [row[0] for row in plain.execute("SELECT text FROM notes")] == [
            "Rasa's turn",
            "the transcript",
        ]
