"""The human queue in SQL: one place per conversation, urgent first, exactly one owner."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.handoff import queue
from bot.store.database import session_scope
from bot.store.operator import Operator


def operator(name: str, role: str = "operator") -> int:
    with session_scope() as session:
        person = Operator(username=name, display_name=name, role=role, password_hash="x")
        session.add(person)
        session.flush()
        return person.id


def escalate(sender: str, **kwargs) -> int:
    with session_scope() as session:
        return queue.escalate(
            session, sender_id=sender, channel="wechat", reason="user_request", **kwargs
        ).id


def test_asking_twice_keeps_one_place_in_the_queue(database):
    first = escalate("wechat:u1")
    assert escalate("wechat:u1", urgent=True) == first
    with session_scope() as session:
        [request] = queue.waiting(session)
        assert request.urgent and request.status == "waiting"


def test_urgent_requests_go_first_and_positions_follow(database):
    calm, later, urgent = (
        escalate("wechat:a"),
        escalate("wechat:b"),
        escalate("wechat:c", urgent=True),
    )
    with session_scope() as session:
        assert [r.id for r in queue.waiting(session)] == [urgent, calm, later]
        positions = [
            queue.position(session, queue.get_request(session, i)) for i in (urgent, calm, later)
        ]
        assert positions == [1, 2, 3]
        # No history yet: two minutes a place.
        assert queue.estimated_wait_seconds(session, queue.get_request(session, later)) == 360


def test_out_of_hours_requests_wait_for_the_next_shift(database):
    request_id = escalate("wechat:night", in_hours=False)
    with session_scope() as session:
        request = queue.get_request(session, request_id)
        assert request.status == "next_shift"
        assert [event.kind for event in request.events] == ["next_shift"]


def test_two_operators_claiming_at_once_get_one_owner(database):
    request_id = escalate("wechat:race")
    people = [operator(f"op{i}") for i in range(6)]
    outcomes: list[str] = []
    start = threading.Barrier(len(people))

    def try_claim(person: int) -> None:
        start.wait()
        try:
            with session_scope() as session:
                queue.claim(session, request_id, person)
            outcomes.append("won")
        except queue.AlreadyClaimed as refused:
            outcomes.append(str(refused))

    threads = [threading.Thread(target=try_claim, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("won") == 1
    assert all(o.startswith("该会话已由") for o in outcomes if o != "won")
    with session_scope() as session:
        request = queue.get_request(session, request_id)
        assert request.status == "claimed" and request.operator_id in people
        assert [event.kind for event in request.events] == ["queued", "claimed"]


def test_only_the_owner_transfers_closes_or_hands_back(database):
    request_id = escalate("wechat:own")
    owner, other = operator("owner"), operator("other")
    with session_scope() as session:
        queue.claim(session, request_id, owner)
    with session_scope() as session, pytest.raises(queue.NotOwner):
        queue.close(session, request_id, other, "已解决")
    with session_scope() as session, pytest.raises(queue.HandoffError, match="结束原因"):
        queue.close(session, request_id, owner, "  ")
    with session_scope() as session:
        queue.transfer(session, request_id, owner, other)
    with session_scope() as session:
        request = queue.close(session, request_id, other, "已为用户改订")
        assert request.status == "closed" and request.close_reason == "已为用户改订"
        assert [e.kind for e in request.events] == ["queued", "claimed", "transferred", "closed"]
    # Closed: the next request for the same conversation is a new one.
    assert escalate("wechat:own") != request_id


def test_taking_over_a_conversation_the_bot_is_handling(database):
    escalate("wechat:bot")  # creates the conversation
    with session_scope() as session:
        request = queue.get_request(session, escalate("wechat:bot"))
        request.status = "handed_back"
    person = operator("lead", role="lead")
    with session_scope() as session:
        request = queue.take_over(session, "wechat:bot", person)
        assert request.status == "claimed" and request.reason == "operator_takeover"
    with session_scope() as session, pytest.raises(queue.RequestNotFound):
        queue.take_over(session, "wechat:nobody", person)


def test_notes_are_kept_and_empty_ones_refused(database):
    request_id = escalate("wechat:notes")
    person = operator("noter")
    with session_scope() as session:
        queue.add_note(session, request_id, person, "用户情绪激动,注意安抚")
        with pytest.raises(queue.HandoffError):
            queue.add_note(session, request_id, person, " ")
    with session_scope() as session:
        assert [n.text for n in queue.get_request(session, request_id).notes] == [
            "用户情绪激动,注意安抚"
        ]


def test_hold_notices_fall_due_per_interval(database):
    request_id = escalate("wechat:hold")
    with session_scope() as session:
        created = queue.get_request(session, request_id).created_at
        created = created if created.tzinfo else created.replace(tzinfo=timezone.utc)
        every = timedelta(minutes=2)
        assert queue.due_hold_notices(session, every, created + timedelta(minutes=1)) == []
        [due] = queue.due_hold_notices(session, every, created + timedelta(minutes=2))
        due.last_hold_notice_at = created + timedelta(minutes=2)
    with session_scope() as session:
        later = created + timedelta(minutes=3)
        assert queue.due_hold_notices(session, every, later) == []
        assert (
            len(queue.due_hold_notices(session, every, datetime(2100, 1, 1, tzinfo=timezone.utc)))
            == 1
        )
