"""Fixes for Rasa 3.6's server hot path, applied when the server loads our stores.

Each was measured with py-spy under load (docs/benchmarks.md), and each gives Rasa's own
answers, computed once instead of on every call:
- Rasa checks every action server reply with `jsonschema.validate`, which re-checks the schema
  itself and builds a new validator on each call: about a fifth of the server's CPU. The schema
  never changes, so one validator gives the same verdict and the same error.
- Rasa finds each stored event's class by walking every subclass of `Event`, testing each for
  abstractness, once per event, when it reads a conversation from the tracker store: 7 % of
  the server's CPU. The classes are fixed once Rasa is imported, so a name → class table is
  built once; a name not in it still goes to Rasa's own search and gets Rasa's own answer.
- Rasa's DIET and TED models predict through a `tf.function` with a fixed input signature,
  traced on the first prediction. Each call still looks the traced graph up again, deriving a
  type for each of its ~50 inputs: about a third of the 1.7 ms each call spends before the
  graph runs. After the first prediction the graph is called directly, through TensorFlow's
  public `get_concrete_function`.
- Python's full garbage collection walks every object the process holds: with the model loaded
  that is ~900 000 objects and 0.5-0.8 s with the server's event loop stopped, every 10-20 s
  under load, which every conversation in flight on that process waits through. What exists
  once the model is loaded lives as long as the server, so it is moved out of the collector's
  sight (`gc.freeze`) before the first conversation is read; later garbage is collected as
  before.
- Rasa opens a new HTTP session, and so a new connection, for every call to the action server
  (several per message), and closes it after one request. Each endpoint now keeps one session
  per event loop, with Rasa's own headers, authentication and timeout, whose connections are
  reused while they have been idle for less than `KEEPALIVE_SECONDS`.
- Rasa runs TED's model for every next-action prediction, also when a rule or memorized story
  already decided it with certainty and TED cannot win: `bot.settled_predictions`.
"""

from __future__ import annotations

import asyncio
import gc
from functools import cache
from typing import Any

import aiohttp
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig
from rasa.utils.tensorflow.models import RasaModel
from tensorflow.types.experimental import ConcreteFunction

from bot import settled_predictions

_rasa_resolve_event = Event.resolve_by_type
_rasa_predict = RasaModel._rasa_predict
# An idle connection is closed after this long: well before servers close theirs (Sanic, which
# the action server runs on, after 5 s), so no request goes out on one the server is closing.
KEEPALIVE_SECONDS = 2.0


@cache
def _action_result_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    try:
        _action_result_validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


@cache
def _event_classes() -> dict[str, type[Event]]:
    table: dict[str, type[Event]] = {}
    for event_class in all_subclasses(Event):  # Rasa's order: the first class of a name wins
        table.setdefault(event_class.type_name, event_class)
    return table


def _resolve_event(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    found = _event_classes().get(type_name)
    return found if found is not None else _rasa_resolve_event(type_name, default)


def _predict(self: RasaModel, batch_in: tuple[Any, ...]) -> dict[str, Any]:
    traced = self._tf_predict_step  # None until Rasa's first prediction traces it
    if traced is not None and not isinstance(traced, ConcreteFunction):
        # The signature fixes every shape Rasa predicts with: there is only one graph.
        self._tf_predict_step = traced.get_concrete_function()
    return _rasa_predict(self, batch_in)


class _KeptSession:
    """What `EndpointConfig.session()` returns: `async with` gives the endpoint's session for
    this event loop, and leaves it open for the next request."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def _session(self: EndpointConfig) -> _KeptSession:
    loop = asyncio.get_running_loop()
    kept: tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession] | None = self.__dict__.get(
        "_kept_session"
    )
    if kept is None or kept[0] is not loop or kept[1].closed:
        auth = None
        if self.basic_auth:  # Rasa's settings for the endpoint, as its `session` makes them
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        )
        kept = self.__dict__["_kept_session"] = (loop, session)
    return _KeptSession(kept[1])


@cache
def freeze_loaded_heap() -> None:
    """Once per process, after the model is loaded: collect what is garbage now, then leave
    the rest out of every later collection."""
    gc.collect()
    gc.freeze()


def apply() -> None:
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_event)  # type: ignore[method-assign]
    RasaModel._rasa_predict = _predict  # type: ignore[method-assign]
    EndpointConfig.session = _session  # type: ignore[assignment]
    settled_predictions.apply()
