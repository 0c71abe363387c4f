"""The environment the launcher gives each server: its defaults, and the deployer's say."""

from __future__ import annotations

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
