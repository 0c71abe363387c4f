"""A real Rasa server and action server on the trained model, talked to over the REST channel."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
import yaml

from bot.launcher import DEFAULT_MODEL, RASA_DIR, Servers, server_env
from bot.store.database import migrate

# Thursday 26 November 2026, 10:00 in Shanghai: every relative date in the tests hangs on it.
BOT_NOW = "2026-11-26T10:00"

Chat = Callable[[str], list[str]]


def free_port() -> int:
    """A port nobody listens on now, so parallel test runs and `make run` do not collide."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"no trained model at {DEFAULT_MODEL}: `make test` trains it first")
    work = tmp_path_factory.mktemp("servers")
    endpoints = yaml.safe_load((RASA_DIR / "endpoints.yml").read_text(encoding="utf-8"))
    actions_port = free_port()
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    (work / "endpoints.yml").write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    database_url = f"sqlite:///{work / 'bot.db'}"
    migrate(database_url)
    env = server_env({"DATABASE_URL": database_url, "BOT_NOW": BOT_NOW})
    with (
        (work / "servers.log").open("wb") as log,
        Servers(
            endpoints=work / "endpoints.yml",
            rasa_port=free_port(),
            actions_port=actions_port,
            env=env,
            log=log,
        ) as running,
    ):
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


def said(replies: list[str], *fragments: str) -> bool:
    """Whether every fragment appears in the bot's replies to one message."""
    text = "\n".join(replies)
    return all(fragment in text for fragment in fragments)
