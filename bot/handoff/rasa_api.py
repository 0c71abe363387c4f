"""The bot's side of a handoff, through Rasa's HTTP API (`rasa run --enable-api`).

Rasa's own events do the work: `pause` makes Rasa record the user's messages without
answering them (ConversationPaused), `resume` lets it answer again (ConversationResumed), slot
events carry an operator's corrections, and the external intent `EXTERNAL_hand_back` makes the
bot continue the form that was running when the person took over.

RASA_URL (default http://127.0.0.1:5005) and RASA_AUTH_TOKEN (when Rasa runs with
--auth-token) say where Rasa is.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import httpx

HAND_BACK_INTENT = "EXTERNAL_hand_back"
TIMEOUT_SECONDS = 15.0
# Slots the bot keeps for itself: an operator corrects what the user said, not these.
INTERNAL_SLOTS = frozenset(
    {"requested_slot", "session_started_metadata", "paused_form", "hotline_next", "service_line"}
)


class RasaUnavailable(Exception):
    """Rasa did not answer, or refused: the reason is for the operator's screen."""


def _base() -> str:
    return os.environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/")


def _params() -> dict[str, str]:
    token = os.environ.get("RASA_AUTH_TOKEN")
    return {"token": token} if token else {}


async def _call(method: str, path: str, params: dict[str, str] | None = None, **kwargs: Any) -> Any:
    url = f"{_base()}/conversations/{path}"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            answer = await client.request(
                method, url, params={**_params(), **(params or {})}, **kwargs
            )
    except httpx.HTTPError as error:
        raise RasaUnavailable(f"智能客服服务无法访问: {type(error).__name__}") from error
    if answer.status_code >= 400:
        raise RasaUnavailable(
            f"智能客服服务拒绝了请求: HTTP {answer.status_code} {answer.text[:200]}"
        )
    return answer.json()


def _conversation(sender_id: str) -> str:
    return quote(sender_id, safe="")


async def append_events(sender_id: str, events: list[dict[str, Any]]) -> None:
    await _call("POST", f"{_conversation(sender_id)}/tracker/events", json=events)


async def pause(sender_id: str) -> None:
    """The bot stops answering; Rasa still records every message."""
    await append_events(sender_id, [{"event": "pause"}])


async def conversation_state(sender_id: str) -> dict[str, Any]:
    """The slots the bot collected, the form running now, and the form a handoff paused."""
    tracker = await _call(
        "GET", f"{_conversation(sender_id)}/tracker", params={"include_events": "NONE"}
    )
    slots = tracker.get("slots") or {}
    return {
        "slots": {name: value for name, value in slots.items() if name not in INTERNAL_SLOTS},
        "active_form": (tracker.get("active_loop") or {}).get("name"),
        "paused_form": slots.get("paused_form"),
        "paused": bool(tracker.get("paused")),
    }


async def resume(sender_id: str, corrections: dict[str, Any]) -> list[str]:
    """Apply the operator's corrections, let the bot answer again and continue the paused
    form; what the bot says next, for the caller to send to the user."""
    known = (await conversation_state(sender_id))["slots"]
    unknown = sorted(set(corrections) - set(known))
    if unknown:
        raise ValueError(f"没有这些字段: {', '.join(unknown)}")
    events = [{"event": "resume"}] + [
        {"event": "slot", "name": name, "value": value} for name, value in corrections.items()
    ]
    await append_events(sender_id, events)
    answer = await _call(
        "POST", f"{_conversation(sender_id)}/trigger_intent", json={"name": HAND_BACK_INTENT}
    )
    return [message["text"] for message in answer.get("messages") or [] if message.get("text")]
