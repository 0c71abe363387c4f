"""The work-order lifecycle on SQLite and PostgreSQL: numbers, deadlines, statuses, history."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from bot.hotline import workorders
from bot.hotline.clock import LOCAL
from bot.hotline.router import Route
from bot.hotline.workorders import (
    InvalidTransition,
    NoPendingFollowUp,
    OutOfScope,
    create_work_order,
    dispatch,
    find_order,
    order_history,
    orders_of,
)
from bot.store.database import session_scope
from bot.store.workorder import ScheduledJob

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=LOCAL)  # a Thursday
ROUTE = Route("request", "住建局", 0.92, None, False, False)
STREET_LIGHT = {"name": "王女士", "where": "幸福路与人民路交叉口", "what": "路灯坏了,晚上很黑",
                "contact": "13812345678"}  # fmt: skip


def file(sender: str = "wechat:o-1", fields: dict | None = None, route: Route = ROUTE, **kw):
    with session_scope() as session:
        return create_work_order(
            session,
            route=route,
            fields=fields or STREET_LIGHT,
            channel="wechat",
            sender_id=sender,
            now=kw.pop("now", NOW),
            **kw,
        )


def test_a_new_order_gets_a_daily_number_deadlines_and_timers(database):
    first, second = file(), file("qq:u-2", {"where": "东城区", "what": "井盖丢失"})
    assert (first.number, second.number) == ("GD20261126-0001", "GD20261126-0002")
    assert first.status == "created" and first.bound_to is None
    assert first.dispatch_due == datetime(2026, 11, 26, 11, 0, tzinfo=LOCAL)
    # A request has 4 working days counted from the dispatch deadline: Fri, Mon, Tue, Wed.
    assert first.finish_due == datetime(2026, 12, 2, 18, 0, tzinfo=LOCAL)
    with session_scope() as session:
        jobs = session.execute(select(ScheduledJob).order_by(ScheduledJob.id)).scalars().all()
        assert [(j.kind, j.payload) for j in jobs[:2]] == [
            ("chase", {"deadline": "dispatch"}),
            ("supervise", {"deadline": "dispatch"}),
        ]
        assert jobs[0].due_at.replace(tzinfo=None) == datetime(2026, 11, 26, 2, 45)  # UTC


def test_urgent_orders_are_due_the_same_day(database):
    urgent = file(route=Route("help", "水务集团", 0.9, None, False, True),
                  fields={"where": "光明小区", "what": "水管爆裂"})  # fmt: skip
    assert urgent.finish_due == datetime(2026, 11, 27, 0, 0, tzinfo=LOCAL)
    assert urgent.urgent


def test_the_whole_lifecycle_and_its_history_in_chinese(database):
    number = file().number
    with session_scope() as session:
        dispatch(session, number, actor="班长李", now=NOW)
        order = find_order(session, number)
        assert order.department == "住建局"
        assert order.finish_due.astimezone(LOCAL) == datetime(2026, 12, 2, 18, 0, tzinfo=LOCAL)
        workorders.accept(session, number, actor="住建局", now=NOW)
        workorders.reply(session, number, text="已安排维修,路灯已恢复", actor="住建局", now=NOW)
        order = find_order(session, number)
        assert order.status == "replied"
        assert order.followup_due.astimezone(LOCAL) == datetime(2026, 12, 1, 18, 0, tzinfo=LOCAL)
        workorders.mark_followed_up(session, order, NOW)
    with session_scope() as session:
        assert workorders.pending_followup(session, "wechat:o-1").number == number
        closed = workorders.record_satisfaction(session, "wechat:o-1", "基本满意", now=NOW)
        assert (closed.status, closed.satisfaction) == ("closed", "基本满意")
        assert order_history(session, number) == [
            "2026-11-26 10:00 已受理",
            "2026-11-26 10:00 已派单:住建局",
            "2026-11-26 10:00 承办单位已签收",
            "2026-11-26 10:00 承办单位已答复:已安排维修,路灯已恢复",
            "2026-11-26 10:00 回访:已在聊天中向市民发送办理结果和回访",
            "2026-11-26 10:00 回访结束,工单办结:基本满意",
        ]
        assert [o.number for o in orders_of(session, "wechat:o-1")] == [number]


def test_invalid_transitions_raise_a_specific_error(database):
    number = file().number
    with session_scope() as session, pytest.raises(InvalidTransition) as raised:
        workorders.accept(session, number, actor="住建局", now=NOW)
    assert (raised.value.status, raised.value.action) == ("created", "accept")


def test_a_returned_order_goes_back_to_the_lead_and_can_go_elsewhere(database):
    number = file().number
    with session_scope() as session:
        dispatch(session, number, actor="班长", now=NOW)
        with pytest.raises(ValueError):
            workorders.return_order(session, number, reason=" ", actor="住建局", now=NOW)
        order = workorders.return_order(
            session, number, reason="路灯属城管局管理", actor="住建局", now=NOW
        )
        assert order.status == "returned"
        dispatch(session, number, actor="班长", department="城管局", now=NOW)
        assert find_order(session, number).department == "城管局"
        assert "承办单位退单:路灯属城管局管理" in order_history(session, number)[2]


def test_an_unsatisfied_citizen_reopens_the_order_under_supervision(database):
    number = file().number
    with session_scope() as session:
        dispatch(session, number, actor="班长", now=NOW)
        workorders.accept(session, number, actor="住建局", now=NOW)
        workorders.reply(session, number, text="已处理", actor="住建局", now=NOW)
        workorders.mark_followed_up(session, find_order(session, number), NOW)
        with pytest.raises(ValueError):
            workorders.record_satisfaction(session, "wechat:o-1", "还行", now=NOW)
        order = workorders.record_satisfaction(session, "wechat:o-1", "不满意", now=NOW)
        assert order.status == "reopened" and order.supervised_at is not None
        workorders.accept(session, number, actor="住建局", now=NOW)  # back with the department
        with pytest.raises(NoPendingFollowUp):
            workorders.record_satisfaction(session, "wechat:o-1", "满意", now=NOW)


def test_out_of_scope_matters_get_no_order(database):
    with pytest.raises(OutOfScope):
        file(route=Route("help", None, 0.9, "110", False, True))
