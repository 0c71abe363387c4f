"""Our fixes to Rasa's hot path give Rasa's own answers."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
import tensorflow as tf
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig
from rasa.utils.tensorflow.models import RasaModel

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


class _Scorer(RasaModel):
    """A model that predicts as Rasa's do: a batch of arrays in, named tensors out."""

    def batch_predict(self, batch_in):
        tokens, weights = batch_in
        return {"score": tf.reduce_sum(tokens * weights, axis=-1), "count": tf.shape(tokens)[0]}


def test_predictions_after_the_first_use_the_traced_graph_and_give_the_same_outputs():
    model = _Scorer(random_seed=1)
    rng = np.random.default_rng(7)
    traced = None
    for rows in (1, 3, 2, 5):  # Rasa's signature leaves every dimension but the last open
        tokens = rng.random((rows, 4, 8), dtype=np.float32)
        weights = rng.random((rows, 1, 8), dtype=np.float32)
        outputs = model._rasa_predict((tokens, weights))
        np.testing.assert_allclose(outputs["score"], (tokens * weights).sum(-1), rtol=1e-6)
        assert outputs["count"] == rows
        if traced is None:
            traced = model._tf_predict_step
        else:  # one graph, traced once, called directly from the second prediction on
            assert isinstance(model._tf_predict_step, tf.types.experimental.ConcreteFunction)
            assert model._tf_predict_step is traced.get_concrete_function()
    assert traced.experimental_get_tracing_count() == 1


async def _call_action_server(
    endpoint: EndpointConfig, times: int, pause: float = 0.0
) -> list[dict[str, Any]]:
    """Rasa's requests to a stand-in action server, which answers with what it saw."""

    async def webhook(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "client_port": request.transport.get_extra_info("peername")[1],
                "token": request.query.get("token"),
                "authorization": request.headers.get("Authorization"),
                "next_action": (await request.json())["next_action"],
            }
        )

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    endpoint.url = f"http://127.0.0.1:{port}/webhook"
    seen = []
    try:
        for number in range(times):
            await asyncio.sleep(pause)
            seen.append(await endpoint.request(json={"next_action": f"action_{number}"}))
    finally:
        async with endpoint.session() as session:  # the server would keep it to its end
            await session.close()
        await runner.cleanup()
    return seen


def test_calls_to_the_action_server_reuse_one_connection_with_rasas_settings():
    endpoint = EndpointConfig(
        token="secret", basic_auth={"username": "rasa", "password": "pw"}, headers={}
    )
    seen = asyncio.run(_call_action_server(endpoint, times=3))
    assert [s["next_action"] for s in seen] == ["action_0", "action_1", "action_2"]
    assert len({s["client_port"] for s in seen}) == 1  # one connection for all three
    assert {s["token"] for s in seen} == {"secret"}
    assert {s["authorization"] for s in seen} == {"Basic cmFzYTpwdw=="}  # rasa:pw


def test_an_idle_connection_is_closed_before_the_server_would_and_a_new_loop_works(
    monkeypatch,
):
    monkeypatch.setattr(rasa_speedups, "KEEPALIVE_SECONDS", 0.2)
    endpoint = EndpointConfig()
    seen = asyncio.run(_call_action_server(endpoint, times=2, pause=0.5))
    assert seen[0]["client_port"] != seen[1]["client_port"]
    # Another event loop (the first is closed) gets a session of its own.
    again = asyncio.run(_call_action_server(endpoint, times=1))
    assert again[0]["next_action"] == "action_0"
