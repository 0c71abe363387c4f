"""12345 hotline conversations over the REST channel, as citizens have them."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime, timezone

from sqlalchemy import select

from bot.hotline import followup, workorders
from bot.store.database import session_scope
from bot.store.handoff import HandoffRequest
from bot.store.workorder import WorkOrder
from tests.conversations.conftest import open_chat
from tests.servers import said

NUMBER = re.compile(r"GD\d{8}-\d{4}")


def orders_of(sender: str) -> list[WorkOrder]:
    with session_scope() as session:
        return list(
            session.execute(select(WorkOrder).where(WorkOrder.sender_id == sender)).scalars()
        )


def report_street_light(servers, text: str, place: str) -> tuple[str, list[str]]:
    """A citizen reports a broken street light at `place` (named in `text`) and confirms."""
    sender, send = open_chat(servers, line="hotline")
    assert said(send(text), "为您详细登记")
    send("我叫王建国")
    readback = send(f"138{uuid.uuid4().int % 10**8:08d}")
    assert said(readback, "请您核实登记信息", place, "王建国")
    return sender, send("对")


def test_a_request_is_recorded_in_one_go_and_becomes_a_work_order(servers, store):
    sender, closing = report_street_light(
        servers,
        "滨江路阳光小区北门的路灯坏了好几天了,晚上黑乎乎的,麻烦派人来修一下",
        "滨江路阳光小区北门",
    )
    assert said(closing, "工单号", "感谢您对我们工作的支持,您的问题我将会尽快帮您反映,再见。")
    [order] = orders_of(sender)
    assert NUMBER.search("\n".join(closing)).group(0) == order.number
    assert (order.category, order.channel) == ("request", "rest")
    assert order.department_proposed == "住建局"  # the shift lead confirms it on dispatch
    assert order.fields["where"] == "滨江路阳光小区北门"
    assert order.fields["name"] == "王建国"


def test_a_second_report_of_the_same_light_is_bound_to_the_first(servers, store):
    first, _ = report_street_light(
        servers, "幸福路翠园小区东门路灯全坏了,好几天了,快修修", "幸福路翠园小区东门"
    )
    second, closing = report_street_light(
        servers, "幸福路翠园小区东门的路灯不亮好几天了,请派人维修", "幸福路翠园小区东门"
    )
    assert said(closing, "已合并到该工单")
    [main] = orders_of(first)
    [bound] = orders_of(second)
    assert bound.bound_to_id == main.id


def test_a_crime_in_progress_is_sent_to_110_without_a_work_order(servers, store):
    sender, send = open_chat(servers, line="hotline")
    replies = send("有人在我家楼下打架还动了刀,快来人啊")
    assert said(replies, "110")
    assert orders_of(sender) == []


def test_a_simple_consultation_is_answered_from_the_knowledge_base(servers, store):
    sender, send = open_chat(servers, line="hotline")
    replies = send("请问百岁老人的高龄补贴每个月多少钱")
    assert said(replies, "300", "祝您生活愉快,再见。")
    assert orders_of(sender) == []


def test_an_urgent_utility_failure_is_flagged_and_escalated_at_once(servers, store):
    sender, send = open_chat(servers, line="hotline")
    replies = send("紧急!我们整栋楼从早上就停水了,老人孩子都没水喝,和平路幸福小区3栋")
    assert said(replies, "紧急")
    with session_scope() as session:
        requests = [
            (r.reason, r.urgent, r.status)
            for r in session.execute(select(HandoffRequest)).scalars()
            if r.conversation.sender_id == sender
        ]
    # First in the operators' queue; the bot goes on taking the details meanwhile.
    assert requests == [("urgent", True, "waiting")]


def test_my_work_orders_show_status_and_history(servers, store):
    sender, closing = report_street_light(
        servers, "解放路金桥小区西门的路灯又坏了,麻烦修一下", "解放路金桥小区西门"
    )
    number = NUMBER.search("\n".join(closing)).group(0)
    _, send = open_chat(servers, line="hotline", sender=sender)
    assert said(send("我的工单"), number)
    with session_scope() as session:
        workorders.dispatch(session, number, actor="班长")
    assert said(send(f"帮我查查工单{number}"), number, "住建局")


def test_a_complaint_about_staff_attitude_asks_for_the_staff_member(servers, store):
    sender, send = open_chat(servers, line="hotline")
    send("投诉一下社保局窗口的工作人员,今天上午去办事态度特别差,问两句就不耐烦")
    assert said(send("在人民路社保大厅"), "工作人员姓名或工号")
    send("工号A1023,女的,姓刘")
    send("匿名")
    readback = send("13912345678")
    assert said(readback, "投诉举报", "工号A1023", "匿名")
    assert said(send("对"), "工单号")
    [order] = orders_of(sender)
    assert order.category == "complaint" and order.fields["staff_name"] == "工号A1023,女的,姓刘"


def test_a_suggestion_is_recorded_without_asking_for_a_scene(servers, store):
    sender, send = open_chat(servers, line="hotline")
    assert said(send("建议在河东新区多设几个公交站,现在走到最近的站要二十分钟"), "为您详细登记")
    readback = send("我叫李红梅,电话15005310000")
    assert said(readback, "请您核实登记信息", "建议")
    assert said(send("对"), "工单号")
    [order] = orders_of(sender)
    assert order.category == "suggestion" and order.department_proposed == "交运局"


def test_praise_of_the_hotline_itself_is_handled_directly(servers, store):
    sender, send = open_chat(servers, line="hotline")
    replies = send("表扬一下你们热线的话务员,上次帮我问清楚了补贴的事,服务特别耐心")
    assert said(replies, "感谢您的肯定", "祝您生活愉快,再见。")
    # Recorded and closed by the hotline itself (直办): no department, nobody queued.
    [order] = orders_of(sender)
    assert (order.category, order.status, order.department) == ("praise", "closed", None)
    with session_scope() as session:
        assert not [
            r
            for r in session.execute(select(HandoffRequest)).scalars()
            if r.conversation.sender_id == sender
        ]


def test_a_personal_predicament_is_recorded_as_a_request_for_help(servers, store):
    sender, send = open_chat(servers, line="hotline")
    send("我在工地干了半年活,老板一直拖着工资不给,家里孩子上学都没钱了,求你们帮帮忙")
    send("城南新区金地工地")
    send("从今年五月开始")
    send("张建军")
    send("18653107788")
    assert said(send("对"), "工单号")
    [order] = orders_of(sender)
    assert order.category == "help" and order.department_proposed == "人社局"


def test_the_follow_up_answer_in_chat_closes_or_reopens_the_order(servers, store):
    sender, closing = report_street_light(
        servers, "建设路和平小区南门的路灯坏了,麻烦修一下", "建设路和平小区南门"
    )
    number = NUMBER.search("\n".join(closing)).group(0)
    with session_scope() as session:
        workorders.dispatch(session, number, actor="班长")
        workorders.accept(session, number, actor="住建局")
        workorders.reply(session, number, text="已更换灯头,恢复照明。", actor="住建局")
    with session_scope() as session:
        # What the scheduler's follow-up job does, in a transaction of its own as the
        # scheduler runs it; the REST channel cannot push, so an operator is also given a
        # call-back task, and the citizen can still answer in chat.
        order = workorders.find_order(session, number)
        asyncio.run(followup.ask_for_verdict(session, order, datetime.now(timezone.utc)))
    _, send = open_chat(servers, line="hotline", sender=sender)
    assert said(send("不满意,灯还是不亮"), "退回承办单位重新办理")
    with session_scope() as session:
        order = workorders.find_order(session, number)
        assert (order.status, order.satisfaction) == ("reopened", "不满意")
