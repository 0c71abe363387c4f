"""Several Rasa server processes only with Redis: the launcher says so before starting any."""

from __future__ import annotations

import pytest

from bot.launcher import Servers, ServerStartError
from bot.workers import WorkerSettingError, rasa_workers


def test_one_process_is_the_default():
    assert rasa_workers({}) == 1


def test_several_workers_share_their_state_through_redis():
    assert rasa_workers({"SANIC_WORKERS": "2", "REDIS_URL": "redis://127.0.0.1:6379/0"}) == 2


@pytest.mark.parametrize(
    ("workers", "reason"),
    [("2", "needs REDIS_URL"), ("two", "whole number"), ("0", "at least 1")],
)
def test_a_setting_that_cannot_work_is_refused_with_the_reason(workers, reason):
    with pytest.raises(WorkerSettingError, match=reason):
        rasa_workers({"SANIC_WORKERS": workers})


def test_the_launcher_starts_nothing_when_workers_lack_redis():
    servers = Servers(env={"SANIC_WORKERS": "2"}, console_port=0)
    with pytest.raises(ServerStartError, match="needs REDIS_URL"):
        servers.start()
    assert servers.processes == {}
