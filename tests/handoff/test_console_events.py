"""The live feed (Server-Sent Events): the queue and the open conversation, pushed when they
change, whether the change came through this console process or another one; and the stream
ends when the session does."""

from __future__ import annotations

import json
import queue as stdlib_queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from bot.handoff.operators import disable_operator
from bot.store.database import session_scope
from tests.handoff.conftest import Client
from tests.handoff.test_console_api import waiting_request

WITHIN = 10.0  # seconds: a change reaches the screen on the next event, or at most one poll later


class EventStream:
    """The events one browser receives, read in a thread."""

    def __init__(self) -> None:
        self.events: stdlib_queue.Queue[tuple[str, Any]] = stdlib_queue.Queue()

    def next_matching(self, name: str, test: Any = lambda data: True) -> Any:
        deadline = time.monotonic() + WITHIN
        while (left := deadline - time.monotonic()) > 0:
            try:
                event, data = self.events.get(timeout=left)
            except stdlib_queue.Empty:
                break
            if event == name and test(data):
                return data
        raise AssertionError(f"no {name} event as expected within {WITHIN} s")


@contextmanager
def listening(client: Client, sender: str | None = None) -> Iterator[EventStream]:
    stream = EventStream()
    params = {"sender": sender} if sender else {}
    # The browser's EventSource: its own connection, with the page's cookies.
    http = httpx.Client(base_url=client.http.base_url, cookies=client.http.cookies)

    def read() -> None:
        try:
            with http.stream("GET", "/api/events", params=params, timeout=None) as answer:
                event = None
                for line in answer.iter_lines():
                    if line.startswith("event: "):
                        event = line[len("event: ") :]
                    elif line.startswith("data: ") and event:
                        stream.events.put((event, json.loads(line[len("data: ") :])))
                        event = None
            stream.events.put(("closed", None))
        except httpx.HTTPError:
            pass  # the test is over and closed the connection

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield stream
    finally:
        http.close()
        reader.join(timeout=5)


def test_the_stream_pushes_the_queue_and_the_conversation_as_they_change(
    browser_for, console_server
):
    request_id, sender = waiting_request(console_server.database_url)
    watcher, colleague = browser_for(), browser_for(name="李静")
    with listening(watcher, sender) as stream:
        queue = stream.next_matching("queue")
        assert request_id in [item["id"] for item in queue["waiting"]]
        first = stream.next_matching("conversation")
        assert first["conversation"]["sender_id"] == sender and first["notes"] == []

        # A change made through the console (announced in its own process) …
        colleague.post(f"/api/requests/{request_id}/notes", {"text": "客人很着急"})
        view = stream.next_matching("conversation", lambda data: data["notes"])
        assert view["notes"][0]["text"] == "客人很着急"

        colleague.post(f"/api/requests/{request_id}/claim")
        stream.next_matching(
            "queue", lambda data: request_id not in [item["id"] for item in data["waiting"]]
        )

        # … and one made by another process (the action server), seen at the next poll.
        other_id, _ = waiting_request(console_server.database_url, urgent=True)
        pushed = stream.next_matching(
            "queue", lambda data: other_id in [item["id"] for item in data["waiting"]]
        )
        assert pushed["waiting"][0]["urgent"] is True


def test_the_stream_ends_when_the_operator_is_disabled(browser_for, console_server):
    client = browser_for()
    with listening(client) as stream:
        stream.next_matching("queue")
        with session_scope(console_server.database_url) as session:
            disable_operator(session, client.operator["username"])
        stream.next_matching("logout")
        stream.next_matching("closed")
