"""A real Rasa server and action server on the trained model, talked to over the REST channel."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from bot.launcher import Servers
from tests.servers import running_servers

Chat = Callable[[str], list[str]]


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with running_servers(tmp_path_factory.mktemp("servers")) as running:
        yield running


@pytest.fixture
def store(servers: Servers, monkeypatch: pytest.MonkeyPatch) -> str:
    """Points this test process at the servers' database, to check what they stored."""
    url = servers.env["DATABASE_URL"]
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def open_chat(
    servers: Servers, line: str = "travel", sender: str | None = None
) -> tuple[str, Chat]:
    sender = sender or f"test-{uuid.uuid4().hex[:12]}"

    def send(text: str) -> list[str]:
        reply = httpx.post(
            f"{servers.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text, "metadata": {"service_line": line}},
            timeout=60,
        )
        reply.raise_for_status()
        return [m["text"] for m in reply.json() if "text" in m]

    return sender, send


@pytest.fixture
def chat(servers: Servers) -> tuple[str, Chat]:
    return open_chat(servers)
