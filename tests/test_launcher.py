"""The environment the launcher gives the servers: its defaults, and the deployer's say."""

from __future__ import annotations

from bot.launcher import server_env

TF_THREADS = ("TF_INTER_OP_PARALLELISM_THREADS", "TF_INTRA_OP_PARALLELISM_THREADS")


def test_tensorflow_uses_one_thread_per_pool_by_default(monkeypatch):
    for name in TF_THREADS:
        monkeypatch.delenv(name, raising=False)
    env = server_env()
    assert [env[name] for name in TF_THREADS] == ["1", "1"]


def test_the_deployers_environment_wins_over_the_defaults(monkeypatch):
    monkeypatch.setenv("TF_INTRA_OP_PARALLELISM_THREADS", "4")
    assert server_env()["TF_INTRA_OP_PARALLELISM_THREADS"] == "4"
    assert server_env({"TF_INTRA_OP_PARALLELISM_THREADS": "2"})[TF_THREADS[1]] == "2"
