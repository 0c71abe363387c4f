"""Confirming and failing hotel bookings, on SQLite and PostgreSQL: what the traveller receives
through the real WeChat sender (against the fake WeChat API), what the operator sees, what is
stored, and what is scheduled."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.booking.lifecycle import (
    BookingNotFound,
    HotelNotNamed,
    InvalidBookingTransition,
    MissingPrice,
    NoAlternatives,
    NotAHotelBooking,
    UnknownFailReason,
    bookings_awaiting,
    confirm_booking,
    fail_booking,
)
from bot.channels import registry
from bot.hotline.clock import LOCAL, aware
from bot.store.booking import Booking, create_booking
from bot.store.conversation import Conversation, note_inbound
from bot.store.database import session_scope
from bot.store.member import PASSWORD_ALPHABET, PASSWORD_LENGTH, find_member, verify_password
from bot.store.outbound import OutboundMessage
from bot.store.workorder import ScheduledJob
from tests.channels.fake_wechat import Account, FakeWeChatAPI, text_push

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=LOCAL)  # a Thursday
PHONE = "13812345678"
STAY = {
    "city": "济南",
    "hotel_name": "舜耕山庄",
    "checkin_date": "2026-12-04",
    "checkout_date": "2026-12-06",
    "rooms": [{"type": "商务大床房", "count": 2}],
    "guests": 3,
    "arrival_time": "18:00",
    "breakfast": "不含早餐",
    "guest_requests": "无",
    "hold_free": True,
    "person_name": "路静",
    "phone": PHONE,
}
CONFIRMATION = (
    "康飞: 舜耕山庄,2晚(12.4—12.6)2间商务大床房已确认,单价364,前台报康飞(路静)预订18:00前入住。"
)
NO_PUSH = registry.NO_PUSH.format(channel="rest")


def book(sender_id: str = "rest:u-1", kind: str = "hotel", phone: str = PHONE, **changes) -> int:
    """A booking as the chat stores it (bot/actions/submit.py): `submitted`, fields as JSON."""
    with session_scope() as session:
        booking = create_booking(
            session,
            kind=kind,
            sender_id=sender_id,
            channel=sender_id.split(":", 1)[0],
            details={**STAY, "phone": phone, **changes},
            contact_name="路静",
            contact_phone=phone,
        )
        return booking.id


def confirm(booking_id: int, price: str = "364", **kw) -> list:
    return asyncio.run(confirm_booking(booking_id, unit_price=price, actor="op-1", now=NOW, **kw))


def fail(booking_id: int, reason: str = "full", alternatives=("如家酒店",)) -> list:
    return asyncio.run(
        fail_booking(booking_id, reason=reason, alternatives=list(alternatives), actor="op-1")
    )


def logged(sender_id: str) -> list[tuple[str, str, str | None]]:
    """The outbound log of a conversation, as the console shows it."""
    with session_scope() as session:
        rows = session.execute(
            select(OutboundMessage.text, OutboundMessage.status, OutboundMessage.reason)
            .join(Conversation)
            .where(Conversation.sender_id == sender_id)
            .order_by(OutboundMessage.id)
        )
        return [tuple(row) for row in rows]


def booking_row(booking_id: int) -> Booking:
    with session_scope() as session:
        return session.get(Booking, booking_id)


@contextmanager
def wechat_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeChatAPI]:
    """The travel account on WeChat, its API faked over real HTTP."""
    with FakeWeChatAPI() as api:
        for name, value in Account().env("plain", api.base_url).items():
            monkeypatch.setenv(name, value)
        yield api


@pytest.fixture
def wechat(database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeChatAPI]:
    with wechat_account(monkeypatch) as api:
        yield api


def traveller_wrote(api: FakeWeChatAPI) -> str:
    """A traveller wrote to the account just now: its 48 h window is open. Their sender id."""
    openid = "o" + uuid.uuid4().hex[:27]
    with session_scope() as session:
        note_inbound(session, sender_id=f"wechat:{openid}", channel="wechat",
                     at=datetime.now(timezone.utc), service_line="travel", reply_context={})  # fmt: skip
    api.saw(text_push(openid, "你好"))
    return f"wechat:{openid}"


def test_bookings_awaiting_a_decision_oldest_first(database):
    first, second, third = book(), book("rest:u-2"), book("rest:u-3", kind="meeting")
    fail(second)
    with session_scope() as session:
        assert [b.id for b in bookings_awaiting(session)] == [first, third]


def test_confirming_sends_the_confirmation_and_a_member_password_and_schedules_the_weather(
    wechat,
):
    sender_id = traveller_wrote(wechat)
    booking_id = book(sender_id)
    deliveries = confirm(booking_id)

    openid = sender_id.split(":")[1]
    confirmation, registration = wechat.sent_to(openid)
    assert confirmation == CONFIRMATION
    prefix = f"康飞:系统已为您生成康飞会员号:({PHONE})密码("
    suffix = ")请登陆修改密码,成功入住酒店后点评可获双倍现金返还。"
    assert registration.startswith(prefix) and registration.endswith(suffix)
    password = registration[len(prefix) : -len(suffix)]
    assert len(password) == PASSWORD_LENGTH and set(password) <= set(PASSWORD_ALPHABET)

    # The operator sees both sent; the password appears nowhere but in the traveller's chat.
    masked = f"{prefix}******{suffix}"
    assert [(d.status, d.text) for d in deliveries] == [("sent", CONFIRMATION), ("sent", masked)]
    assert logged(sender_id) == [(CONFIRMATION, "sent", None), (masked, "sent", None)]
    with session_scope() as session:
        member = find_member(session, PHONE)
        assert password not in member.password_hash and verify_password(member, password)
        assert not verify_password(member, "wrong-one")
        assert member.password_sent_at is not None and member.booking_id == booking_id
        [job] = session.execute(select(ScheduledJob)).scalars().all()
        assert (job.kind, job.booking_id, job.order_id, job.status) == (
            "weather_care", booking_id, None, "pending",
        )  # fmt: skip
        assert aware(job.due_at) == datetime(2026, 12, 3, 18, 0, tzinfo=LOCAL)

    booking = booking_row(booking_id)
    assert (booking.status, booking.unit_price, booking.decided_by) == ("confirmed", "364", "op-1")


def test_a_returning_member_gets_no_new_password(wechat):
    sender_id = traveller_wrote(wechat)
    confirm(book(sender_id))
    with session_scope() as session:
        first_hash = find_member(session, PHONE).password_hash
    deliveries = confirm(book(sender_id, checkin_date="2026-12-10", checkout_date="2026-12-11"))
    assert [d.text for d in deliveries] == [
        "康飞: 舜耕山庄,1晚(12.10—12.11)2间商务大床房已确认,单价364,前台报康飞(路静)预订18:00前入住。"
    ]
    assert len(wechat.sent_to(sender_id.split(":")[1])) == 3
    with session_scope() as session:
        assert find_member(session, PHONE).password_hash == first_hash


def test_a_channel_that_cannot_push_records_the_messages_as_refused(database):
    booking_id = book("rest:u-1")
    deliveries = confirm(booking_id)
    assert [(d.status, d.reason) for d in deliveries] == [("refused", NO_PUSH)] * 2
    [(confirmation, *_), (registration, *_)] = logged("rest:u-1")
    assert confirmation == CONFIRMATION and "密码(******)" in registration
    assert [row[1:] for row in logged("rest:u-1")] == [("refused", NO_PUSH)] * 2
    assert booking_row(booking_id).status == "confirmed"  # the decision stands
    with session_scope() as session:
        assert find_member(session, PHONE).password_sent_at is None


def test_a_member_whose_password_never_arrived_gets_one_with_the_next_booking(wechat):
    confirm(book("rest:u-1"))  # the password could not be sent
    sender_id = traveller_wrote(wechat)
    deliveries = confirm(book(sender_id, checkin_date="2026-12-10", checkout_date="2026-12-11"))
    assert len(deliveries) == 2 and "会员号:(13812345678)" in deliveries[1].text
    password = wechat.sent_to(sender_id.split(":")[1])[1].split("密码(")[1].split(")")[0]
    with session_scope() as session:
        member = find_member(session, PHONE)
        assert verify_password(member, password) and member.password_sent_at is not None


def test_an_operator_names_the_hotel_when_the_traveller_left_it_to_us(database):
    booking_id = book(hotel_name="不指定", hotel_preference="市中心,300以内")
    with pytest.raises(HotelNotNamed, match="name the hotel booked"):
        confirm(booking_id)
    [confirmation, _] = confirm(booking_id, price="288", hotel="银座佳驿(泉城广场店)")
    assert confirmation.text.startswith("康飞: 银座佳驿(泉城广场店),2晚(12.4—12.6)")
    assert booking_row(booking_id).details["hotel_name"] == "银座佳驿(泉城广场店)"


def test_failing_sends_the_apology_with_other_hotels(wechat):
    sender_id = traveller_wrote(wechat)
    booking_id = book(sender_id)
    [delivery] = fail(booking_id, "event", ["如家酒店(泉城路店)", "汉庭酒店"])
    expected = (
        "康飞: 舜耕山庄(12.4—12.6):很对不起,此酒店在您预订的那几天里,酒店有会议或有活动,"
        "房间已预订满,酒店目前不对外预订了,我们没有得到第一时间酒店的信息,网上没有及时更改,"
        "给您带来不便请您原谅。同时为您推荐其他酒店:如家酒店(泉城路店)、汉庭酒店。"
    )
    assert (delivery.status, delivery.text) == ("sent", expected)
    assert wechat.sent_to(sender_id.split(":")[1]) == [expected]
    booking = booking_row(booking_id)
    assert (booking.status, booking.fail_reason, booking.alternatives) == (
        "failed", "event", ["如家酒店(泉城路店)", "汉庭酒店"],
    )  # fmt: skip
    with session_scope() as session:  # no member, no weather note for a failed booking
        assert find_member(session, PHONE) is None
        assert session.execute(select(ScheduledJob)).scalars().all() == []


def test_decisions_that_cannot_be_carried_out_say_why_and_change_nothing(database):
    booking_id = book()
    with pytest.raises(MissingPrice, match="unit price"):
        confirm(booking_id, price="  ")
    with pytest.raises(UnknownFailReason, match="'closed'"):
        fail(booking_id, "closed")
    with pytest.raises(NoAlternatives, match="name one"):
        fail(booking_id, alternatives=[" "])
    with pytest.raises(BookingNotFound, match="no booking with id 999"):
        confirm(999)
    assert booking_row(booking_id).status == "submitted" and logged("rest:u-1") == []

    fail(booking_id)
    reference = booking_row(booking_id).reference
    with pytest.raises(InvalidBookingTransition) as raised:
        confirm(booking_id)
    assert str(raised.value) == f"cannot confirm booking {reference}: it is already failed"
    with pytest.raises(InvalidBookingTransition, match="cannot fail .* already failed"):
        fail(booking_id)
    assert booking_row(booking_id).status == "failed"


def test_meeting_and_flight_results_stay_with_the_phone_call(database):
    booking_id = book(kind="meeting")
    with pytest.raises(NotAHotelBooking, match="meeting booking"):
        confirm(booking_id)
    assert booking_row(booking_id).status == "submitted"


def test_a_booking_confirmed_on_its_check_in_day_gets_no_weather_note(database):
    booking_id = book(checkin_date="2026-11-26", checkout_date="2026-11-27")
    confirm(booking_id)
    with session_scope() as session:
        assert session.execute(select(ScheduledJob)).scalars().all() == []


def test_on_the_web_chat_the_page_reads_the_password_from_the_log(database):
    # The web chat's page fetches what is sent to it from the outbound log: masking the
    # password there would keep it from the traveller.
    booking_id = book("webchat:s-1")
    confirmation, registration = confirm(booking_id)
    assert (confirmation.status, registration.status) == ("sent", "sent")
    assert "密码(******)" in registration.text  # what the operator sees
    [_, (logged_registration, _, _)] = logged("webchat:s-1")
    password = logged_registration.split("密码(")[1].split(")")[0]
    with session_scope() as session:
        member = find_member(session, PHONE)
        assert verify_password(member, password) and member.password_sent_at is not None
