"""Our fixes to Rasa's hot path give Rasa's own answers."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from bot import rasa_speedups

rasa_speedups.apply()


def test_every_event_name_resolves_to_the_class_rasa_finds():
    names = {event_class.type_name for event_class in all_subclasses(Event)}
    assert {"user", "bot", "slot", "action", "active_loop"} <= names
    for name in names:
        assert Event.resolve_by_type(name) is rasa_speedups._rasa_resolve_event(name)


def test_unknown_event_names_get_rasas_answers():
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="no_such_event"):
        Event.resolve_by_type("no_such_event")


def test_stored_events_read_back_as_they_were_written():
    said = UserUttered("我想订酒店", {"name": "book_hotel", "confidence": 0.9})
    for event in (said, SlotSet("city", "济南")):
        assert Event.from_parameters(event.as_dict()) == event


def test_action_server_replies_are_judged_as_rasa_judges_them():
    action = RemoteAction("action_ask_city", None)
    assert action._validate_action_result({"events": [], "responses": [{"text": "哪个城市?"}]})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})
