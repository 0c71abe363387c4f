"""The shift lead's lists beside the scheduler's deadlines: what waits to be dispatched, and
what is overdue (the orders the scheduler supervises), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from bot.hotline import workorders
from bot.hotline.clock import LOCAL
from bot.hotline.router import Route
from bot.hotline.workorders import dispatch, orders_to_dispatch, overdue_orders
from bot.store.database import session_scope
from tests.hotline.test_workorders import NOW, file

WATER = Route("request", "水务集团", 0.95, None, False, True)  # urgent: no water
MANHOLE = {"name": "李先生", "where": "东城区建设路", "what": "井盖丢失", "contact": "13900001111"}
NO_WATER = {
    "name": "赵女士",
    "where": "花园小区3号楼",
    "what": "停水一天了",
    "contact": "13700002222",
}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL)


def numbers(orders: list) -> list[str]:
    return [order.number for order in orders]


def test_orders_to_dispatch_urgent_first_with_the_routers_proposal(database):
    light = file().number  # 0001, 住建局 proposed
    manhole = file("qq:u-2", MANHOLE, now=at(2026, 11, 26, 10, 5)).number
    water = file("qq:u-3", NO_WATER, route=WATER, now=at(2026, 11, 26, 10, 10)).number
    file("qq:u-4", now=at(2026, 11, 26, 10, 20))  # the same street light again: bound, not listed
    with session_scope() as session:
        dispatch(session, manhole, actor="班长", now=NOW)
        workorders.return_order(session, manhole, reason="不归我局管", actor="住建局",
                                now=at(2026, 11, 26, 10, 30))  # fmt: skip
    with session_scope() as session:
        waiting = orders_to_dispatch(session)
        assert numbers(waiting) == [water, light, manhole]
        assert [o.department_proposed for o in waiting] == ["水务集团", "住建局", "住建局"]
        assert [o.status for o in waiting] == ["created", "created", "returned"]


def test_overdue_orders_past_their_dispatch_or_finish_deadline(database):
    waiting = file().number  # dispatch due 11:00
    slow = file("qq:u-2", MANHOLE).number
    done = file("qq:u-3", {**MANHOLE, "where": "西城区", "what": "路面塌陷"}).number
    with session_scope() as session:
        for number in (slow, done):
            dispatch(session, number, actor="班长", now=NOW)  # finish due 12-02 18:00
        workorders.accept(session, done, actor="住建局", now=NOW)
        workorders.reply(session, done, text="已修复", actor="住建局", now=NOW)
    with session_scope() as session:
        assert overdue_orders(session, at(2026, 11, 26, 10, 59)) == []
        assert numbers(overdue_orders(session, at(2026, 11, 26, 11, 1))) == [waiting]
        assert numbers(overdue_orders(session, at(2026, 12, 2, 18, 1))) == [waiting, slow]
        dispatch(session, waiting, actor="班长", now=at(2026, 11, 26, 11, 30))
    with session_scope() as session:  # dispatched late: now it waits for the department
        assert overdue_orders(session, at(2026, 11, 26, 11, 31)) == []
        assert numbers(overdue_orders(session, at(2026, 12, 2, 18, 1))) == [waiting, slow]
