"""Duplicate reports are bound to the open order they repeat, and replied with it."""

from __future__ import annotations

from datetime import timedelta

from bot.hotline import workorders
from bot.hotline.workorders import dispatch, find_order, similarity
from bot.store.database import session_scope
from tests.hotline.test_workorders import NOW, STREET_LIGHT, file


def test_similarity_tolerates_different_wording_of_one_place():
    assert similarity("幸福路与人民路交叉口", "幸福路人民路路口") >= workorders.SAME_PLACE
    assert similarity("幸福路与人民路交叉口", "光明小区3号楼") < workorders.SAME_PLACE


def test_another_citizen_about_the_same_place_and_matter_is_bound(database):
    main = file()
    other = file("qq:u-9", {"name": "匿名", "where": "幸福路人民路路口", "what": "路灯不亮"})
    assert (other.bound_to, other.bound_reason, other.status) == (
        main.number, "same_matter", "bound"
    )  # fmt: skip
    assert other.dispatch_due is None  # the main order's timers cover it


def test_the_same_person_reporting_again_is_bound_by_sender_or_phone(database):
    main = file()
    again = file(fields={"where": "我家门口", "what": "路灯还是坏的"})
    by_phone = file("weibo:w-3", {"where": "幸福路", "what": "路灯坏了没人修",
                                  "contact": STREET_LIGHT["contact"]})  # fmt: skip
    assert (again.bound_to, again.bound_reason) == (main.number, "same_reporter")
    assert (by_phone.bound_to, by_phone.bound_reason) == (main.number, "same_reporter")


def test_different_places_matters_departments_or_old_orders_are_not_bound(database):
    file()
    elsewhere = file("qq:u-2", {"where": "光明小区3号楼", "what": "路灯坏了"})
    other_matter = file("qq:u-3", {"where": "幸福路与人民路交叉口", "what": "井盖丢失"})
    later = file("qq:u-4", dict(STREET_LIGHT, contact=None), now=NOW + timedelta(days=8))
    assert [elsewhere.bound_to, other_matter.bound_to, later.bound_to] == [None, None, None]


def test_a_closed_order_takes_no_duplicates(database):
    main = file()
    with session_scope() as session:
        find_order(session, main.number).status = "closed"
    assert file("qq:u-9", {"where": "幸福路人民路路口", "what": "路灯不亮"}).bound_to is None


def test_the_reply_reaches_every_bound_report(database):
    main = file()
    bound = file("qq:u-9", {"where": "幸福路人民路路口", "what": "路灯不亮"})
    with session_scope() as session:
        dispatch(session, main.number, actor="班长", now=NOW)
        workorders.accept(session, main.number, actor="住建局", now=NOW)
        workorders.reply(session, main.number, text="已修复", actor="住建局", now=NOW)
        duplicate = find_order(session, bound.number)
        assert (duplicate.status, duplicate.reply, duplicate.department) == (
            "replied", "已修复", "住建局"
        )  # fmt: skip
        assert "同一事项合并办理" in workorders.order_history(session, main.number)[1]
