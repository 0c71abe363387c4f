"""The servers under test: the production stack and Rasa's stock stores, on a temp SQLite file.

Both start through `bot.launcher.Servers`, as `make run` does, on ports of their own so that a
benchmark never meets a running bot or the tests' servers.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.conversations import BOT_NOW
from bot.launcher import DEFAULT_MODEL, RASA_DIR, Servers, ServerStartError, server_env
from bot.store.database import migrate


@dataclass(frozen=True)
class Stack:
    name: str
    rasa_port: int
    actions_port: int
    stock_stores: bool  # Rasa's in-memory tracker store and no event broker

    def endpoints(self) -> dict:
        action_endpoint = {"url": f"http://127.0.0.1:{self.actions_port}/webhook"}
        if self.stock_stores:
            return {"action_endpoint": action_endpoint}
        endpoints = yaml.safe_load((RASA_DIR / "endpoints.yml").read_text(encoding="utf-8"))
        endpoints["action_endpoint"] = action_endpoint
        return endpoints


FULL = Stack("full stack (SQL tracker store + recorder)", 5205, 5255, stock_stores=False)
BASELINE = Stack("baseline (stock in-memory stores)", 5207, 5257, stock_stores=True)


@contextmanager
def running(stack: Stack, model: Path = DEFAULT_MODEL) -> Iterator[Servers]:
    """The stack's two servers on a fresh database; their log is shown if they fail to start."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        (work / "endpoints.yml").write_text(yaml.safe_dump(stack.endpoints()), encoding="utf-8")
        database_url = f"sqlite:///{work / 'bot.db'}"
        migrate(database_url)
        env = server_env({"DATABASE_URL": database_url, "BOT_NOW": BOT_NOW})
        env.pop("REDIS_URL", None)  # in-process locks in both stacks: one server, like for like
        log_path = work / "servers.log"
        with log_path.open("wb") as log:
            servers = Servers(
                model=model,
                endpoints=work / "endpoints.yml",
                rasa_port=stack.rasa_port,
                actions_port=stack.actions_port,
                env=env,
                log=log,
                # The bot's side only: no operators use a console in these figures.
                services=("actions", "rasa", "scheduler"),
            )
            try:
                with servers:
                    yield servers
            except ServerStartError:
                print(log_path.read_text(encoding="utf-8", errors="replace")[-4000:])
                raise


def peak_memory(servers: Servers) -> list[tuple[str, float]]:
    """VmHWM in MiB of each server process and of any process it started."""
    rows = []
    for name, process in servers.processes.items():
        for depth, pid in enumerate(_process_tree(process.pid)):
            label = name if depth == 0 else f"{name} child {pid}"
            rows.append((label, _vm_hwm_kib(pid) / 1024))
    return rows


def cpu_seconds(servers: Servers) -> float:
    """CPU time (user + system) the server processes and their children have used so far."""
    total = 0
    for process in servers.processes.values():
        for pid in _process_tree(process.pid):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except FileNotFoundError:  # it has ended since
                continue
            fields = stat.rsplit(")", 1)[1].split()  # after the command, which may hold spaces
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _vm_hwm_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:  # it has ended since
        return 0
    return next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")), 0
    )


def _process_tree(pid: int) -> list[int]:
    """The process and its descendants, parent first."""
    tree = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            for child in (task / "children").read_text().split():
                tree += _process_tree(int(child))
        except FileNotFoundError:
            continue
    return tree
