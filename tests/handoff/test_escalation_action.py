"""The escalation action: on shift the bot pauses with the user's place in the queue; off
shift it says when people are back and carries on with the form."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.conversation import ActionHandBack, ActionHumanHandoff, ActionMediaReceived
from bot.handoff import queue
from bot.store.database import session_scope


def tracker(active_form: str | None = "hotel_form", **slots) -> Tracker:
    return Tracker(
        sender_id="wechat:o1",
        slots={"service_line": "travel", "city": "济南", **slots},
        latest_message={"text": "转人工", "intent": {"name": "human_handoff"}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": active_form} if active_form else {},
        latest_action_name="action_listen",
    )


async def run(action, tracker_: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, {})
    return dispatcher.messages, events


@pytest.mark.asyncio
async def test_on_shift_the_bot_pauses_and_keeps_the_form_to_resume(database, monkeypatch):
    monkeypatch.setenv("BOT_NOW", "2026-11-26T10:00")
    messages, events = await run(ActionHumanHandoff(), tracker())
    assert [m["response"] for m in messages] == ["utter_handoff", "utter_handoff_queued"]
    assert messages[1]["position"] == 1 and messages[1]["wait_minutes"] == 2
    assert {
        "event": "slot",
        "timestamp": None,
        "name": "paused_form",
        "value": "hotel_form",
    } in events
    assert [e["event"] for e in events[-2:]] == ["pause", "action"]
    with session_scope() as session:
        [request] = queue.waiting(session)
        assert (request.status, request.category, request.reason) == (
            "waiting",
            "hotel",
            "user_request",
        )
        assert "济南" in request.summary


@pytest.mark.asyncio
async def test_off_shift_the_request_waits_for_the_next_shift_and_the_form_goes_on(
    database, monkeypatch
):
    monkeypatch.setenv("BOT_NOW", "2026-11-26T23:30")
    messages, events = await run(ActionHumanHandoff(), tracker())
    assert messages[1]["response"] == "utter_handoff_out_of_hours"
    assert messages[1]["opens"] == "11月27日 08:00"
    assert [e["event"] for e in events] == ["followup"]
    assert events[0]["name"] == "hotel_form"
    with session_scope() as session:
        [request] = queue.waiting(session)
        assert request.status == "next_shift"


@pytest.mark.asyncio
async def test_hand_back_continues_the_paused_form():
    messages, events = await run(ActionHandBack(), tracker(None, paused_form="meeting_form"))
    assert [m["response"] for m in messages] == ["utter_handed_back_to_form"]
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "meeting_form"}
    messages, events = await run(ActionHandBack(), tracker(None))
    assert ([m["response"] for m in messages], events) == (["utter_handed_back"], [])


@pytest.mark.asyncio
async def test_a_picture_is_queued_for_a_person_while_the_bot_carries_on(database, monkeypatch):
    monkeypatch.setenv("BOT_NOW", "2026-11-26T10:00")
    messages, events = await run(ActionMediaReceived(), tracker())
    assert [m["response"] for m in messages] == ["utter_media_received"]
    assert events == []  # no pause: the form goes on until an operator takes over
    with session_scope() as session:
        [request] = queue.waiting(session)
        assert (request.reason, request.status) == ("share_media", "waiting")
