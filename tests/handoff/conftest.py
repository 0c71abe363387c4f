"""The operator console as its tests drive it: the real console server in its own process (as
`python -m bot run` starts it) on SQLite and on PostgreSQL, a fake of the three calls it makes
to Rasa's HTTP API (pause, read the tracker, resume), and logged-in HTTP clients.

The fake stands in for Rasa only in these API tests; the browser test in
test_console_browser.py runs against the real Rasa server and action server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx
import pytest

from bot.handoff.operators import add_operator
from bot.launcher import server_env
from bot.store.database import PROJECT_ROOT, migrate, session_scope
from tests.conftest import postgres_database
from tests.servers import free_port

PASSWORD = "correct-horse-1"


# --- a fake of Rasa's HTTP API ---------------------------------------------------------------


@dataclass
class FakeRasa:
    """Trackers by sender id, and every event and intent the console sent."""

    url: str = ""
    trackers: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    intents: list[tuple[str, str]] = field(default_factory=list)
    says: list[str] = field(default_factory=lambda: ["请问您是哪天入住?"])

    def tracker(self, sender: str) -> dict[str, Any]:
        return self.trackers.setdefault(
            sender,
            {"sender_id": sender, "slots": {"city": None, "paused_form": None},
             "active_loop": {}, "paused": False},
        )  # fmt: skip

    def events_of(self, sender: str) -> list[dict[str, Any]]:
        return [event for who, batch in self.events if who == sender for event in batch]


def _fake_rasa_handler(rasa: FakeRasa) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, body: Any, status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self) -> tuple[str, str]:
            parts = urlparse(self.path).path.strip("/").split("/")
            return unquote(parts[1]), "/".join(parts[2:])

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            sender, rest = self._route()
            if rest != "tracker":
                return self._answer({"error": "not found"}, 404)
            return self._answer(rasa.tracker(sender))

        def do_POST(self) -> None:  # noqa: N802
            sender, rest = self._route()
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)) or b"null")
            tracker = rasa.tracker(sender)
            if rest == "tracker/events":
                rasa.events.append((sender, body))
                for event in body:
                    if event["event"] in ("pause", "resume"):
                        tracker["paused"] = event["event"] == "pause"
                    elif event["event"] == "slot":
                        tracker["slots"][event["name"]] = event["value"]
                return self._answer(tracker)
            if rest == "trigger_intent":
                rasa.intents.append((sender, body["name"]))
                messages = [{"recipient_id": sender, "text": said} for said in rasa.says]
                return self._answer({"tracker": tracker, "messages": messages})
            return self._answer({"error": "not found"}, 404)

    return Handler


@pytest.fixture(scope="session")
def fake_rasa() -> Iterator[FakeRasa]:
    rasa = FakeRasa()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _fake_rasa_handler(rasa))
    rasa.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rasa
    server.shutdown()


# --- the console server ----------------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleServer:
    url: str  # where the console answers
    database_url: str


@contextmanager
def console_process(
    database_url: str, rasa_url: str, log: Path, env: dict[str, str] | None = None
) -> Iterator[str]:
    """`python -m bot console` on a free port; its URL once /health answers."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "console", "--host", "127.0.0.1",
             "--port", str(port), "--rasa-url", rasa_url],
            cwd=PROJECT_ROOT,
            env=server_env({"DATABASE_URL": database_url, **(env or {})}),
            stdout=output,
            stderr=output,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    pytest.fail(f"the console exited: {log.read_text(errors='replace')}")
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("the console did not answer within 60 s")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def console_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, fake_rasa: FakeRasa
) -> Iterator[ConsoleServer]:
    work = tmp_path_factory.mktemp(f"console-{request.param}")
    with (
        postgres_database("bot_console")
        if request.param == "postgresql"
        else _nothing(f"sqlite:///{work / 'bot.db'}")
    ) as database_url:
        migrate(database_url)
        with console_process(database_url, fake_rasa.url, work / "console.log") as url:
            yield ConsoleServer(url, database_url)


@contextmanager
def _nothing(value: str) -> Iterator[str]:
    yield value


@pytest.fixture
def store(console_server: ConsoleServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """Points this test process at the console's database (to arrange and to check)."""
    monkeypatch.setenv("DATABASE_URL", console_server.database_url)
    return console_server.database_url


# --- operators and their browsers' HTTP --------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def new_operator(database_url: str, role: str = "operator", name: str | None = None) -> str:
    """A new operator (or lead) with PASSWORD; the username."""
    username = unique("op" if role == "operator" else "lead")
    with session_scope(database_url) as session:
        add_operator(session, username, display_name=name or username, role=role, password=PASSWORD)
    return username


class Client:
    """One browser: its cookies, and the CSRF token the page would send back."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
        self.csrf: str | None = None
        self.operator: dict[str, Any] = {}

    def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        token = self.http.get("/api/login").json()["csrf_token"]
        answer = self.http.post(
            "/api/login",
            json={"username": username, "password": password},
            headers={"X-CSRF-Token": token},
        )
        if answer.status_code == 200:
            self.csrf = answer.json()["csrf_token"]
            self.operator = answer.json()["operator"]
        return answer

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, body: Any = None, *, csrf: str | None = "session") -> httpx.Response:
        headers = {}
        token = self.csrf if csrf == "session" else csrf
        if token is not None:
            headers["X-CSRF-Token"] = token
        return self.http.post(path, json=body if body is not None else {}, headers=headers)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def browser_for(console_server: ConsoleServer) -> Iterator[Any]:
    """browser_for(role) → a Client logged in as a new operator (or lead)."""
    clients: list[Client] = []

    def log_in(role: str = "operator", name: str | None = None) -> Client:
        client = Client(console_server.url)
        clients.append(client)
        answer = client.login(new_operator(console_server.database_url, role, name))
        assert answer.status_code == 200, answer.text
        return client

    yield log_in
    for client in clients:
        client.close()


# --- the browser -----------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    return (
        f"Debian's chromium and chromium-driver are needed ({', '.join(missing)} missing)"
        if missing
        else None
    )


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Headless Chromium under selenium. Skipped where Chromium is not installed, unless
    CI_REQUIRE_BROWSER is set (as .ci/run does): then its absence fails the test."""
    reason = browser_missing()
    if reason is not None:
        if os.environ.get("CI_REQUIRE_BROWSER"):
            pytest.fail(f"{reason}, and CI_REQUIRE_BROWSER is set")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1440,900",
        "--lang=zh-CN",
        "--disable-gpu",
    ):
        options.add_argument(argument)  # fmt: skip
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
