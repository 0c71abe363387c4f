"""`python -m bot run`: the action server, the Rasa server (with the web chat and the
departments' work-order API), the work-order scheduler and the operator console together.

`make run` trains a model when needed and calls this. The tests and benchmarks start the same
processes through `Servers`, so what is tested is what runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from bot.store.database import PROJECT_ROOT, migrate
from bot.workers import WorkerSettingError, rasa_workers

RASA_DIR = PROJECT_ROOT / "bot" / "rasa"
DEFAULT_MODEL = PROJECT_ROOT / "models" / "bot.tar.gz"
DEFAULT_CONSOLE_PORT = 5002


# The servers' settings unless the environment says otherwise.
SERVER_DEFAULTS = {
    # No usage reports leave the machine (call centres hold citizens' data), no noise in logs.
    "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
    # Sanic reads 100 MB bodies by default; no chat message or platform push comes near 1 MB.
    "SANIC_REQUEST_MAX_SIZE": "1048576",
}
# The Rasa server's alone: set for the action server, they would make Rasa's CLI load
# TensorFlow there too (~450 MiB) just to configure it.
RASA_SERVER_DEFAULTS = {
    # Rasa's own settings for TensorFlow's thread pools, which by default take every core for
    # each process. A prediction here is a batch of one through a small model; spread over
    # pools, it costs more CPU than it saves time, taken from the other workers, the action
    # server and the database on the same cores (docs/benchmarks.md).
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
}


def server_env(overrides: dict[str, str] | None = None) -> dict[str, str]:
    return {**SERVER_DEFAULTS, **os.environ, **(overrides or {})}


class ServerStartError(RuntimeError):
    """A server process exited or did not answer in time."""


@dataclass
class Servers:
    model: Path = DEFAULT_MODEL
    endpoints: Path = RASA_DIR / "endpoints.yml"
    credentials: Path = RASA_DIR / "credentials.yml"
    rasa_port: int = 5005
    actions_port: int = 5055
    env: dict[str, str] = field(default_factory=server_env)
    log: IO[bytes] | None = None
    services: tuple[str, ...] = ("actions", "rasa", "scheduler", "console")
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    console_port: int | None = None  # None: CONSOLE_PORT in `env`, else 5002
    stop_timeout: float = 15.0  # seconds a server has to stop before its processes are killed

    def __post_init__(self) -> None:
        if self.console_port is None:
            self.console_port = int(self.env.get("CONSOLE_PORT") or DEFAULT_CONSOLE_PORT)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def console_url(self) -> str:
        return f"http://localhost:{self.console_port}"

    @property
    def chat_url(self) -> str:
        return f"http://localhost:{self.rasa_port}/webhooks/webchat/chat"

    def commands(self) -> dict[str, list[str]]:
        rasa = str(Path(sys.executable).with_name("rasa"))
        return {
            "actions": [rasa, "run", "actions", "--actions", "bot.actions",
                        "--port", str(self.actions_port)],
            "rasa": [rasa, "run", "--model", str(self.model), "--endpoints", str(self.endpoints),
                     "--credentials", str(self.credentials), "--enable-api",
                     "--port", str(self.rasa_port)],
            "scheduler": [sys.executable, "-m", "bot", "scheduler"],
            "console": [sys.executable, "-m", "bot", "console", "--port", str(self.console_port),
                        "--rasa-url", self.rasa_url],
        }  # fmt: skip

    def process_env(self, name: str) -> dict[str, str]:
        """The environment of server `name`: this one's, over that server's defaults."""
        return {**RASA_SERVER_DEFAULTS, **self.env} if name == "rasa" else self.env

    def start(self, timeout: float = 180.0) -> None:
        try:
            rasa_workers(self.env)
        except WorkerSettingError as error:
            raise ServerStartError(str(error)) from None
        for name, command in self.commands().items():
            if name not in self.services:
                continue
            # A process group per server: Sanic's workers are its children, and must not
            # outlive it when it has to be killed.
            self.processes[name] = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=self.process_env(name), stdout=self.log,
                stderr=self.log, start_new_session=True,
            )  # fmt: skip
        self._wait_until_ready(timeout)

    def _wait_until_ready(self, timeout: float) -> None:
        checks = {
            name: url
            for name, url in {
                "actions": f"http://127.0.0.1:{self.actions_port}/health",
                "rasa": f"{self.rasa_url}/",
                "console": f"http://127.0.0.1:{self.console_port}/health",
            }.items()
            if name in self.services
        }
        deadline = time.monotonic() + timeout
        while checks:
            for name, url in list(checks.items()):
                if self.processes[name].poll() is not None:
                    raise ServerStartError(f"the {name} server exited while starting")
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        del checks[name]
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise ServerStartError(f"not ready after {timeout:.0f} s: {', '.join(checks)}")
            time.sleep(0.5)
        # The scheduler serves no HTTP: it is ready if it still runs once the servers answer.
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise ServerStartError(f"the {name} process exited while starting")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # each server stops its own workers
        deadline = time.monotonic() + self.stop_timeout
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            # Whatever is left of the server's group, a stuck server or a worker that did not
            # stop with it, would hold the port and the database until someone found it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def wait(self) -> int:
        """Block until one process ends (then stop the other); its exit code."""
        while True:
            for process in self.processes.values():
                if process.poll() is not None:
                    return process.returncode
            time.sleep(1)

    def __enter__(self) -> Servers:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot run", description=__doc__)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--port", type=int, default=5005, help="Rasa server port")
    parser.add_argument(
        "--console-port", type=int, default=None, help="operator console port (CONSOLE_PORT, 5002)"
    )
    args = parser.parse_args(argv)
    if not args.model.exists():
        print(f"no trained model at {args.model}: run `make train` first", file=sys.stderr)
        return 1
    migrate()
    # A service manager stops us with SIGTERM: leave through the same door as Ctrl-C, so the
    # processes are stopped with us instead of being left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    servers = Servers(model=args.model, rasa_port=args.port, console_port=args.console_port)
    try:
        with servers:
            print(f"\n  Web chat:  {servers.chat_url}", flush=True)
            print(f"  Hotline:   {servers.chat_url}?line=hotline", flush=True)
            print(f"  REST API:  {servers.rasa_url}/webhooks/rest/webhook", flush=True)
            workers = rasa_workers(servers.env)
            print(f"  Rasa:      {workers} server process{'es' if workers > 1 else ''}", flush=True)
            print(f"  Console:   {servers.console_url}/\n", flush=True)
            return servers.wait()
    except KeyboardInterrupt:
        return 0
    except ServerStartError as error:
        print(f"could not start: {error}", file=sys.stderr)
        return 1
