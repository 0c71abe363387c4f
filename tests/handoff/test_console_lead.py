"""The shift lead's screens through the console API: dispatching work orders with the router's
proposal confirmed or changed, chasing and supervising, deciding hotel bookings, reports."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import update

from bot.hotline.router import Route
from bot.hotline.workorders import create_work_order, find_order
from bot.store.base import utcnow
from bot.store.booking import Booking, create_booking
from bot.store.database import session_scope
from bot.store.workorder import WorkOrder
from tests.handoff.conftest import unique


def words(count: int) -> str:
    """Random Chinese characters: a place or matter nothing else in the database resembles."""
    return "".join(chr(random.randint(0x4E00, 0x9FA5)) for _ in range(count))


def new_order(database_url: str, department: str = "住建局") -> str:
    """A citizen's report filed by the bot, waiting for the lead to dispatch it. Another place,
    matter and reporter each time: never bound to another test's order as a duplicate."""
    route = Route("request", department, 0.62, None, needs_review=True, urgent=False)
    with session_scope(database_url) as session:
        created = create_work_order(
            session,
            route=route,
            fields={"name": "张先生", "where": words(8), "what": f"路灯不亮,{words(12)}",
                    "when": "这几天晚上", "contact": f"139{random.randint(0, 10**8 - 1):08d}"},
            channel="webchat",
            sender_id=unique("web-"),
        )  # fmt: skip
        assert created.bound_to is None
        return created.number


def new_booking(database_url: str, kind: str = "hotel", hotel: str | None = "济南大厦") -> int:
    details = {
        "city": "济南",
        "checkin_date": "2026-12-04",
        "checkout_date": "2026-12-06",
        "rooms": [{"type": "商务大床房", "count": 2}],
        "arrival_time": "18:00",
        "person_name": "路静",
        "phone": "13812345678",
    }
    if hotel:
        details["hotel_name"] = hotel
    with session_scope(database_url) as session:
        booking = create_booking(
            session, kind=kind, sender_id=unique("web-"), channel="webchat", details=details,
            contact_name="路静", contact_phone="13812345678",
        )  # fmt: skip
        return booking.id


def test_dispatching_confirms_or_changes_the_routers_proposal(browser_for, console_server):
    number = new_order(console_server.database_url)
    lead = browser_for("lead")
    listed = lead.get("/api/lead/work-orders").json()
    [order] = [o for o in listed["to_dispatch"] if o["number"] == number]
    assert (order["department_proposed"], order["needs_review"]) == ("住建局", True)
    assert order["status_label"] == "已受理,待派单" and order["field_rows"][0]["label"] == "来电人"
    assert "交运局" in listed["departments"]
    path = f"/api/lead/work-orders/{number}/dispatch"
    assert lead.post(path, {"department": "不存在的局"}).status_code == 400
    dispatched = lead.post(path, {"department": "交运局"})
    assert dispatched.status_code == 200
    assert dispatched.json()["order"]["department"] == "交运局"
    assert dispatched.json()["order"]["history"][-1]["actor"] == lead.operator["username"]
    again = lead.post(path, {})
    assert again.status_code == 409 and "不能派单" in again.json()["error"]
    in_progress = lead.get("/api/lead/work-orders").json()["in_progress"]
    assert number in [o["number"] for o in in_progress]


def test_dispatching_the_proposal_as_it_is(browser_for, console_server):
    number = new_order(console_server.database_url)
    lead = browser_for("lead")
    answer = lead.post(f"/api/lead/work-orders/{number}/dispatch", {})
    assert answer.json()["order"]["department"] == "住建局"


def test_chasing_and_supervising_an_overdue_order(browser_for, console_server):
    number = new_order(console_server.database_url)
    lead = browser_for("lead")
    lead.post(f"/api/lead/work-orders/{number}/dispatch", {})
    not_yet = lead.post(f"/api/lead/work-orders/{number}/supervise")
    assert not_yet.status_code == 409 and "尚未超期" in not_yet.json()["error"]
    chased = lead.post(f"/api/lead/work-orders/{number}/chase")
    assert chased.status_code == 200, chased.text
    assert chased.json()["order"]["chased_at"]
    with session_scope(console_server.database_url) as session:
        session.execute(
            update(WorkOrder)
            .where(WorkOrder.number == number)
            .values(finish_due=utcnow() - timedelta(hours=1))
        )
    overdue = lead.get("/api/lead/work-orders").json()["overdue"]
    [order] = [o for o in overdue if o["number"] == number]
    assert order["deadline"] == "finish"
    supervised = lead.post(f"/api/lead/work-orders/{number}/supervise")
    assert supervised.status_code == 200
    with session_scope(console_server.database_url) as session:
        events = [(e.action, e.actor) for e in find_order(session, number).events]
    # Recorded as the lead's doing, not the scheduler's.
    assert [action for action, _ in events[-2:]] == ["chase", "supervise"]
    assert {actor for _, actor in events[-2:]} == {
        lead.get("/api/me").json()["operator"]["username"]
    }


def test_confirming_a_hotel_booking_with_its_price(browser_for, console_server):
    booking_id = new_booking(console_server.database_url)
    lead = browser_for("lead")
    listed = lead.get("/api/lead/bookings").json()
    [booking] = [b for b in listed["bookings"] if b["id"] == booking_id]
    assert booking["status_label"] == "待确认"
    assert {"name": "rooms", "label": "房型和间数", "value": "商务大床房2间"} in booking[
        "detail_rows"
    ]
    assert [r["value"] for r in listed["fail_reasons"]] == ["full", "event"]
    path = f"/api/lead/bookings/{booking_id}/confirm"
    assert lead.post(path, {"unit_price": " "}).json() == {"error": "请填写酒店给出的单价"}
    confirmed = lead.post(path, {"unit_price": "364"})
    assert confirmed.status_code == 200, confirmed.text
    texts = [d["text"] for d in confirmed.json()["deliveries"]]
    assert "济南大厦,2晚(12.4—12.6)2间商务大床房已确认,单价364" in texts[0]
    assert all(d["status"] == "sent" for d in confirmed.json()["deliveries"])
    with session_scope(console_server.database_url) as session:
        stored = session.get(Booking, booking_id)
        assert (stored.status, stored.unit_price) == ("confirmed", "364")
        assert stored.decided_by == lead.operator["username"]
    twice = lead.post(path, {"unit_price": "364"})
    assert twice.status_code == 409 and "已处理过" in twice.json()["error"]


def test_a_booking_left_to_us_needs_the_hotel_named(browser_for, console_server):
    booking_id = new_booking(console_server.database_url, hotel=None)
    lead = browser_for("lead")
    path = f"/api/lead/bookings/{booking_id}/confirm"
    unnamed = lead.post(path, {"unit_price": "300"})
    assert unnamed.status_code == 400 and "酒店名称" in unnamed.json()["error"]
    named = lead.post(path, {"unit_price": "300", "hotel": "泉城大酒店"})
    assert "泉城大酒店" in named.json()["deliveries"][0]["text"]


def test_failing_a_booking_sends_the_apology_and_alternatives(browser_for, console_server):
    booking_id = new_booking(console_server.database_url)
    lead = browser_for("lead")
    path = f"/api/lead/bookings/{booking_id}/fail"
    assert lead.post(path, {"reason": "full", "alternatives": []}).status_code == 400
    assert lead.post(path, {"reason": "??", "alternatives": ["x"]}).status_code == 400
    failed = lead.post(path, {"reason": "event", "alternatives": ["舜耕山庄", "山东大厦"]})
    assert failed.status_code == 200
    [delivery] = failed.json()["deliveries"]
    assert "酒店有会议或有活动" in delivery["text"] and "舜耕山庄、山东大厦" in delivery["text"]


def test_meeting_results_are_given_by_phone(browser_for, console_server):
    booking_id = new_booking(console_server.database_url, kind="meeting")
    refused = browser_for("lead").post(
        f"/api/lead/bookings/{booking_id}/confirm", {"unit_price": "1"}
    )
    assert refused.status_code == 409 and "致电客户" in refused.json()["error"]


def test_the_report_over_a_date_range(browser_for):
    lead = browser_for("lead")
    answer = lead.get("/api/lead/report", params={"since": "2026-11-01", "until": "2026-11-26"})
    assert answer.status_code == 200
    report = answer.json()["report"]
    assert set(report) >= {"conversations", "handoffs", "work_orders", "satisfaction"}
    assert answer.json()["labels"]["channels"]["wechat"] == "微信"
    assert lead.get("/api/lead/report", params={"since": "11月1日"}).status_code == 400
    backwards = lead.get("/api/lead/report", params={"since": "2026-11-20", "until": "2026-11-01"})
    assert backwards.status_code == 400
