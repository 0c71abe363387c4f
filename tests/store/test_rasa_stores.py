"""Rasa's tracker and lock stores follow DATABASE_URL and REDIS_URL."""

from __future__ import annotations

import asyncio
import gc
import uuid
import weakref

import pytest
import redis
from psycopg2.extensions import TRANSACTION_STATUS_IDLE
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, event, select, text

from bot.store.conversation import Conversation
from bot.store.database import migrate, session_scope
from bot.store.rasa_stores import DatabaseTrackerStore, EnvLockStore

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_tracker_store_keeps_a_conversation_in_the_bots_database(database):
    domain = Domain.from_yaml("slots:\n  city:\n    type: any\n    mappings:\n    - type: custom\n")
    store = DatabaseTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events(
        "wx-1", [UserUttered("我想订济南的酒店"), SlotSet("city", "济南")]
    )
    asyncio.run(store.save(tracker))
    again = asyncio.run(DatabaseTrackerStore(domain=domain).retrieve("wx-1"))
    assert again.get_slot("city") == "济南"
    assert again.latest_message.text == "我想订济南的酒店"
    store.recorder.flush()


def test_on_postgresql_each_read_and_save_is_one_statement_without_a_transaction_around_it(
    postgres_url, monkeypatch
):
    # A BEGIN before a statement and a COMMIT or ROLLBACK after it are two more round trips,
    # and the server's event loop waits on each. After every statement the connection must be
    # idle, not inside a transaction that a further round trip would have to end.
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    migrate(postgres_url)
    store = DatabaseTrackerStore(domain=Domain.empty())
    after_statements: list[int] = []

    @event.listens_for(store.engine, "after_cursor_execute")
    def note(connection, cursor, *args) -> None:
        after_statements.append(cursor.connection.info.transaction_status)

    tracker = DialogueStateTracker.from_events("wx-trips", [_user("你好", "greet")])
    asyncio.run(store.save(tracker))  # a new conversation: counted, then inserted
    read = asyncio.run(store.retrieve("wx-trips"))
    read.update(ActionExecuted("utter_greet"))
    asyncio.run(store.save(read))
    assert len(after_statements) == 4
    assert set(after_statements) == {TRANSACTION_STATUS_IDLE}
    assert _stored_rows(postgres_url, "wx-trips") == [
        ("user", "greet", None),
        ("action", None, "utter_greet"),
    ]
    store.recorder.flush()


class _Node:
    partner: _Node | None = None


def test_after_the_first_read_the_loaded_heap_is_left_out_of_collections(database):
    # Rasa reads the first conversation once the model is loaded: what exists then stays for
    # the server's life, and a full collection need not walk it again under load.
    asyncio.run(DatabaseTrackerStore(domain=Domain.empty()).retrieve("wx-first"))
    frozen = gc.get_freeze_count()
    assert frozen > 10_000
    # Garbage made later, cycles included, is still collected.
    first, second = _Node(), _Node()
    first.partner, second.partner = second, first
    gone = weakref.ref(first)
    del first, second
    gc.collect()
    assert gone() is None
    # Frozen once: a later read freezes nothing more (the count only falls, as frozen
    # objects are freed by their reference counts).
    asyncio.run(DatabaseTrackerStore(domain=Domain.empty()).retrieve("wx-later"))
    assert gc.get_freeze_count() <= frozen


def test_saving_a_turn_records_its_messages_once(database):
    domain = Domain.empty()
    store = DatabaseTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events("qq:1", [UserUttered("你好", input_channel="qq")])
    asyncio.run(store.save(tracker))
    tracker.update(BotUttered("您好!这里是康飞旅行网,请问有什么可以帮助您?"))
    asyncio.run(store.save(tracker))  # only the new bot message is recorded this time
    store.recorder.flush()
    with session_scope() as session:
        conversation = session.execute(select(Conversation)).scalar_one()
        assert conversation.channel == "qq"
        assert [(m.direction, m.text) for m in conversation.messages] == [
            ("in", "你好"),
            ("out", "您好!这里是康飞旅行网,请问有什么可以帮助您?"),
        ]


def _stored_rows(url: str, sender_id: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT type_name, intent_name, action_name FROM events "
                "WHERE sender_id = :sender ORDER BY id"
            ),
            {"sender": sender_id},
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def _user(text: str, intent: str) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.9})


def test_each_save_stores_exactly_the_events_added_since_the_last_read_or_save(database):
    domain = Domain.from_yaml("slots:\n  city:\n    type: any\n    mappings:\n    - type: custom\n")
    store = DatabaseTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events(
        "wx-rows", [_user("订济南的酒店", "book_hotel"), ActionExecuted("hotel_form")]
    )
    asyncio.run(store.save(tracker))  # a new conversation: nothing stored before
    tracker.update(SlotSet("city", "济南"))
    asyncio.run(store.save(tracker))  # the same tracker again: only the slot is new
    # The next turn, as Rasa runs it on another server process: read, add, save.
    again = asyncio.run(DatabaseTrackerStore(domain=domain).retrieve("wx-rows"))
    again.update(_user("明天入住", "inform"))
    again.update(ActionExecuted("action_listen"))
    asyncio.run(DatabaseTrackerStore(domain=domain).save(again))
    # The columns Rasa's own store fills, one row per event, none twice.
    assert _stored_rows(database, "wx-rows") == [
        ("user", "book_hotel", None),
        ("action", None, "hotel_form"),
        ("slot", None, "city"),  # Rasa files a slot's name as its action_name
        ("user", "inform", None),
        ("action", None, "action_listen"),
    ]
    # Rasa's stock SQL store reads back the same conversation.
    stock = SQLTrackerStore(domain=domain, host=database)
    read = asyncio.run(stock.retrieve("wx-rows"))
    assert [event.as_dict() for event in read.events] == [event.as_dict() for event in again.events]
    assert read.get_slot("city") == "济南"
    store.recorder.flush()


def test_a_tracker_not_read_here_is_saved_without_repeating_stored_events(database):
    domain = Domain.empty()
    first = DialogueStateTracker.from_events("wx-copy", [_user("你好", "greet")])
    asyncio.run(DatabaseTrackerStore(domain=domain).save(first))
    # A tracker built elsewhere with the stored event and a new one (Rasa's API can do this).
    rebuilt = DialogueStateTracker.from_events(
        "wx-copy", [*first.events, ActionExecuted("utter_greet")]
    )
    store = DatabaseTrackerStore(domain=domain)
    asyncio.run(store.save(rebuilt))
    assert _stored_rows(database, "wx-copy") == [
        ("user", "greet", None),
        ("action", None, "utter_greet"),
    ]
    store.recorder.flush()


def test_without_redis_the_lock_store_is_in_process(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert isinstance(EnvLockStore(), InMemoryLockStore)


def test_with_redis_url_locks_are_shared_through_redis(monkeypatch):
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    store = EnvLockStore()
    assert isinstance(store, RedisLockStore)
    conversation = f"test-{uuid.uuid4().hex}"
    first, second = store.issue_ticket(conversation), store.issue_ticket(conversation)
    assert second == first + 1
    # Another server process sees the same lock, and so queues behind it.
    other = EnvLockStore()
    assert other.get_lock(conversation).last_issued == second
    keys = redis.Redis.from_url(REDIS_URL).keys(f"bot:lock:{conversation}")
    assert keys, "the lock lives in Redis, where every process can see it"
    store.delete_lock(conversation)


@pytest.mark.parametrize("url", ["redis://:s%40cret@127.0.0.1:6379/3", "rediss://h:6380"])
def test_redis_url_parts_are_passed_on(monkeypatch, url):
    monkeypatch.setenv("REDIS_URL", url)
    created = {}
    monkeypatch.setattr(
        "bot.store.rasa_stores.AtomicRedisLockStore", lambda **kwargs: created.update(kwargs)
    )
    EnvLockStore()
    if url.startswith("rediss"):
        assert created["use_ssl"] and created["port"] == 6380 and created["host"] == "h"
    else:
        assert created["password"] == "s@cret" and created["db"] == 3
