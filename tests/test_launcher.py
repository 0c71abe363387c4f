"""The environment the launcher gives each server, its defaults and the deployer's say, and
how it stops them."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bot.launcher import Servers, server_env

TF_THREADS = ("TF_INTER_OP_PARALLELISM_THREADS", "TF_INTRA_OP_PARALLELISM_THREADS")


def servers(monkeypatch, **env: str) -> Servers:
    for name in TF_THREADS:
        monkeypatch.delenv(name, raising=False)
    return Servers(env=server_env(env), console_port=0)


def test_the_rasa_server_uses_one_tensorflow_thread_per_pool_by_default(monkeypatch):
    env = servers(monkeypatch).process_env("rasa")
    assert [env[name] for name in TF_THREADS] == ["1", "1"]


def test_the_action_server_is_not_told_about_tensorflow(monkeypatch):
    # Rasa's CLI imports TensorFlow to apply these, even for `rasa run actions`.
    env = servers(monkeypatch).process_env("actions")
    assert not set(TF_THREADS) & set(env)


def test_the_deployers_environment_wins_over_the_defaults(monkeypatch):
    monkeypatch.setenv("TF_INTRA_OP_PARALLELISM_THREADS", "4")
    env = Servers(env=server_env(), console_port=0).process_env("rasa")
    assert env["TF_INTRA_OP_PARALLELISM_THREADS"] == "4"
    assert env["TF_INTER_OP_PARALLELISM_THREADS"] == "1"


# A server that, like Rasa with SANIC_WORKERS, forks a worker, and neither stops when asked:
# the worker shrugs off SIGTERM and SIGINT, the server waits for it forever.
STUBBORN_SERVER = """
import os, signal, sys, time
for name in ("SIGINT", "SIGTERM"):
    signal.signal(getattr(signal, name), signal.SIG_IGN)
worker = os.fork()
if worker:
    print(worker, flush=True)
    os.waitpid(worker, 0)
else:
    while True:
        time.sleep(1)
"""


class StubbornServers(Servers):
    def commands(self) -> dict[str, list[str]]:
        return {"scheduler": [sys.executable, "-c", STUBBORN_SERVER]}


def alive(pid: int) -> bool:
    """Running, not merely an unreaped zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_server_that_will_not_stop_is_killed_with_its_workers(tmp_path):
    output = tmp_path / "server.out"
    with output.open("wb") as log:
        servers = StubbornServers(
            env=server_env(), console_port=0, services=("scheduler",), log=log, stop_timeout=1
        )
        servers.start()
        server = servers.processes["scheduler"].pid
        deadline = time.monotonic() + 10
        while not output.read_text().strip() and time.monotonic() < deadline:
            time.sleep(0.05)
        worker = int(output.read_text())
        assert alive(server) and alive(worker)
        servers.stop()
    assert not alive(server)
    deadline = time.monotonic() + 5  # the worker's parent is gone: init reaps it
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(worker), "a worker outlived its stopped server"
