"""The departments' work-order API, served by a real Sanic server as Rasa mounts it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.hotline.api import WorkOrderAPI
from bot.hotline.tokens import issue_token
from bot.hotline.workorders import dispatch
from bot.store.database import session_scope
from tests.channels.fake_wechat import WebhookServer
from tests.hotline.test_workorders import NOW, file


async def no_bot(message: object) -> None:
    raise AssertionError("the work-order API never talks to the bot")


@pytest.fixture
def api(database: str) -> Iterator[httpx.Client]:
    with WebhookServer(WorkOrderAPI(), no_bot) as server:
        base = f"http://127.0.0.1:{server.port}/webhooks/workorders"
        with httpx.Client(base_url=base, timeout=10) as client:
            yield client


def token_for(department: str) -> dict[str, str]:
    with session_scope() as session:
        return {"Authorization": f"Bearer {issue_token(session, department)}"}


def dispatched_order() -> str:
    number = file().number
    with session_scope() as session:
        dispatch(session, number, actor="班长", now=NOW)
    return number


def test_a_department_lists_accepts_and_replies(api):
    number = dispatched_order()
    auth = token_for("住建局")
    listed = api.get("/orders", headers=auth)
    assert listed.status_code == 200
    assert [o["number"] for o in listed.json()] == [number]
    assert listed.json()[0]["fields"]["what"] == "路灯坏了,晚上很黑"
    assert api.post(f"/orders/{number}/accept", headers=auth).json()["status"] == "accepted"
    replied = api.post(f"/orders/{number}/reply", headers=auth, json={"text": "已修复"})
    assert replied.status_code == 200
    assert replied.json()["status"] == "replied" and replied.json()["reply"] == "已修复"
    assert [h["action"] for h in replied.json()["history"]][-2:] == ["accept", "reply"]
    assert api.get("/orders?status=accepted", headers=auth).json() == []


def test_a_department_returns_an_order_with_a_reason(api):
    number = dispatched_order()
    auth = token_for("住建局")
    returned = api.post(f"/orders/{number}/return", headers=auth, json={"reason": "不属本单位"})
    assert returned.json()["status"] == "returned"
    assert returned.json()["history"][-1]["note"] == "不属本单位"


def test_errors_say_why(api):
    number = dispatched_order()
    auth = token_for("住建局")
    assert api.get("/orders").status_code == 401
    assert api.get("/orders", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert api.get(f"/orders/{number}", headers=token_for("环保局")).status_code == 403
    assert api.post("/orders/GD20990101-0001/accept", headers=auth).status_code == 404
    bad = api.post(f"/orders/{number}/reply", headers=auth, content=b"{not json")
    assert bad.status_code == 400 and "JSON" in bad.json()["error"]
    empty = api.post(f"/orders/{number}/return", headers=auth, json={"reason": ""})
    assert empty.status_code == 400 and "reason" in empty.json()["error"]
    conflict = api.post(f"/orders/{number}/reply", headers=auth, json={"text": "已修复"})
    assert conflict.status_code == 409 and "dispatched" in conflict.json()["error"]
    assert api.get("/orders?status=bogus", headers=auth).status_code == 400


def test_a_new_token_replaces_the_old_one(api):
    old = token_for("住建局")
    new = token_for("住建局")
    assert api.get("/orders", headers=old).status_code == 401
    assert api.get("/orders", headers=new).status_code == 200
