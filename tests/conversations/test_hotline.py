"""12345 hotline conversations over the REST channel, as citizens have them."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from bot.hotline import workorders
from bot.store.database import session_scope
from bot.store.handoff import HandoffRequest
from bot.store.workorder import WorkOrder
from tests.conversations.conftest import open_chat, said

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
        reasons = [
            r.reason
            for r in session.execute(select(HandoffRequest)).scalars()
            if r.conversation.sender_id == sender
        ]
    assert reasons == ["urgent"]


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
