"""The real Rasa server, action server and scheduler for end-to-end tests, and the hotel booking
conversation every channel's end-to-end test has."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.launcher import DEFAULT_MODEL, RASA_DIR, Servers, server_env
from bot.store.database import migrate

# Thursday 26 November 2026, 10:00 in Shanghai: every relative date in the tests hangs on it.
BOT_NOW = "2026-11-26T10:00"

# A whole hotel booking along the phone script, with what each answer must contain: several
# answers in one message, a correction at the read-back, the script's closing line.
HOTEL_BOOKING = [
    ("你好", ["您好!这里是康飞旅行网,请问有什么可以帮助您?"]),
    ("我想订济南的酒店", ["请问您有指定酒店吗?"]),
    ("没有,市中心,300以内", ["请问您是哪天入住?"]),
    ("下周五入住,住两晚,两间标准间", ["请问几位客人入住?"]),
    ("3个人", ["最晚几点到店"]),
    ("18:00前", ["早餐"]),
    ("不要早餐", ["其他要求"]),
    ("没有", ["好的,请稍等,马上为您查询!", "请问需要免费为您保留一下吗?"]),
    ("要", ["请问您的姓名?"]),
    ("我叫张三", ["请问您的手机联系方式?"]),
    ("13812345678", ["请您核实预订信息", "12月4日(周五)", "12月6日(周日)", "标准间2间"]),
    ("不对,是三间", ["标准间3间"]),
    ("对", ["我们会尽快帮您预订上,请您稍候,感谢您的来电!再见!", "预订单号"]),
]


def free_port() -> int:
    """A port nobody listens on now, so parallel test runs and `make run` do not collide."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def said(replies: list[str], *fragments: str) -> bool:
    """Whether every fragment appears in the bot's replies to one message."""
    text = "\n".join(replies)
    return all(fragment in text for fragment in fragments)


@contextmanager
def running_servers(
    work: Path, env: dict[str, str] | None = None, credentials: dict[str, Any] | None = None
) -> Iterator[Servers]:
    """The processes `make run` starts, on free ports, a fresh SQLite file and BOT_NOW.

    `env` adds platform settings; `credentials` replaces credentials.yml (only the channels a
    test configures)."""
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"no trained model at {DEFAULT_MODEL}: `make test` trains it first")
    endpoints = yaml.safe_load((RASA_DIR / "endpoints.yml").read_text(encoding="utf-8"))
    actions_port = free_port()
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    (work / "endpoints.yml").write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    credentials_path = RASA_DIR / "credentials.yml"
    if credentials is not None:
        credentials_path = work / "credentials.yml"
        credentials_path.write_text(yaml.safe_dump(credentials), encoding="utf-8")
    database_url = f"sqlite:///{work / 'bot.db'}"
    migrate(database_url)
    with (
        (work / "servers.log").open("wb") as log,
        Servers(
            endpoints=work / "endpoints.yml",
            credentials=credentials_path,
            rasa_port=free_port(),
            actions_port=actions_port,
            console_port=free_port(),
            env=server_env({"DATABASE_URL": database_url, "BOT_NOW": BOT_NOW, **(env or {})}),
            log=log,
        ) as running,
    ):
        yield running
