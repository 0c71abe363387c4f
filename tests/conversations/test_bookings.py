"""Whole booking conversations over the REST channel, as a traveller would have them."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.store.booking import Booking
from bot.store.conversation import Conversation
from bot.store.database import session_scope
from tests.servers import HOTEL_BOOKING, said


def bookings_of(sender: str) -> list[Booking]:
    with session_scope() as session:
        return list(session.execute(select(Booking).where(Booking.sender_id == sender)).scalars())


def test_hotel_booking_follows_the_script_and_stores_the_final_values(chat, store):
    sender, send = chat
    for text, expected in HOTEL_BOOKING:
        replies = send(text)
        assert said(replies, *expected), (text, replies)

    [booking] = bookings_of(sender)
    assert (booking.kind, booking.status, booking.channel) == ("hotel", "submitted", "rest")
    assert (booking.contact_name, booking.contact_phone) == ("张三", "13812345678")
    assert booking.details["rooms"] == [{"type": "标准间", "count": 3}]
    assert booking.details["checkin_date"] == "2026-12-04"
    assert booking.details["checkout_date"] == "2026-12-06"
    assert booking.details["arrival_time"] == "18:00"
    assert booking.details["hold_free"] is True


def test_bad_answers_get_a_specific_re_ask_and_nothing_wrong_is_stored(chat, store):
    sender, send = chat
    send("帮我订个酒店")
    send("青岛")
    send("如家")
    assert said(send("昨天"), "已经过去了", "请问您是哪天入住?")
    send("12月5号")
    assert said(send("12月3号退房"), "离店日期需要晚于入住日期")
    send("12月7号")
    assert said(send("0间"), "房间数至少为1间")
    send("一间大床房,2人")
    send("晚上8点")
    send("含早")
    send("无烟")
    send("不用")
    send("李四")
    assert said(send("12345678901"), "不是有效的手机号码", "请问您的手机联系方式?")
    assert said(send("13912345678"), "请您核实预订信息", "12月5日", "12月7日", "大床房1间")
    assert bookings_of(sender) == []
    send("是的")
    [booking] = bookings_of(sender)
    assert booking.details["checkout_date"] == "2026-12-07"
    assert booking.contact_phone == "13912345678"


def test_stopping_mid_form_stores_nothing_and_the_next_booking_starts_afresh(chat, store):
    sender, send = chat
    send("我要订酒店")
    send("杭州")
    assert said(send("算了,不订了"), "已为您取消本次预订")
    assert bookings_of(sender) == []
    assert said(send("我想订机票"), "请问您从哪个城市出发?")


def test_an_off_topic_question_mid_form_is_answered_and_the_form_goes_on(chat, store):
    _, send = chat
    send("订酒店")
    replies = send("你会讲笑话吗")
    assert said(replies, "暂时无法为您解答", "请问您需要预订哪里的酒店?")


def test_meeting_booking(chat, store):
    sender, send = chat
    assert said(send("我们公司下个月想在青岛开个年会,大概80人"), "会议酒店")
    assert said(send("没有指定,帮我推荐"), "哪天召开")
    assert said(send("12月18号到19号"), "客房")
    assert said(send("需要40间客房"), "会场有什么要求")
    send("要投影仪和话筒,还要茶歇")
    send("每人每天300元左右")
    send("王经理")
    assert said(send("13912345678"), "请您核实会议需求", "年会", "80人", "40间")
    assert said(send("对"), "我们会尽快帮您做个方案,稍后给您去电")
    [booking] = bookings_of(sender)
    assert booking.kind == "meeting"
    assert booking.details["meeting_date"] == "2026-12-18/2026-12-19"
    assert booking.details["attendees"] == 80


def test_flight_booking_refuses_a_wrong_check_digit(chat, store):
    sender, send = chat
    assert said(send("订一张12月3号北京飞上海的机票"), "单程还是往返")
    assert said(send("往返,5号回来"), "真实姓名")
    send("李明")
    assert said(send("110105194912310021"), "校验位不正确", "身份证号码")
    send("11010519491231002X")
    assert said(send("13812345678"), "取票方式")
    assert said(send("送票"), "送票地址")
    assert said(send("朝阳区建国路88号"), "北京 → 上海", "12月5日", "11010519491231002X")
    assert said(send("对"), "感谢您的来电,祝您旅途愉快。")
    [booking] = bookings_of(sender)
    assert booking.details["return_date"] == "2026-12-05"
    assert booking.details["id_number"] == "11010519491231002X"
    assert booking.details["delivery_address"] == "朝阳区建国路88号"


def test_every_message_of_the_conversation_is_recorded(chat, store):
    sender, send = chat
    send("你好")
    send("谢谢")
    texts: list[tuple[str, str]] = []
    for _ in range(50):  # the transcript is written just after the reply, off the hot path
        with session_scope() as session:
            conversation = session.execute(
                select(Conversation).where(Conversation.sender_id == sender)
            ).scalar_one_or_none()
            texts = [(m.direction, m.text) for m in conversation.messages] if conversation else []
        if len(texts) >= 4:
            break
        time.sleep(0.1)
    assert texts[0] == ("in", "你好")
    assert ("out", "您好!这里是康飞旅行网,请问有什么可以帮助您?") in texts
    assert ("in", "谢谢") in texts
