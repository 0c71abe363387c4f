"""The intake action's handling per category, turn by turn: simple requests get the unit's
number (and a work order if the citizen still wants one), unreasonable suggestions are declined
and closed by the hotline, staff-attitude complaints go to the county's unit or the office."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from bot.actions.hotline import (
    ActionCheckWorkOrder,
    ActionHotlineIntake,
    ActionReplyOutsideForm,
    ActionSubmitWorkOrder,
)
from bot.hotline import texts, workorders
from bot.store.database import session_scope
from bot.store.workorder import ScheduledJob, WorkOrder

SENDER = "wechat:o-citizen"


def tracker(text: str, intent: str, slots: dict[str, Any] | None = None,
            after: str | None = None) -> Tracker:  # fmt: skip
    """The tracker as the action server gets it; `after`: the bot's previous action."""
    events: list[dict[str, Any]] = []
    if after:
        events += [{"event": "action", "name": after}, {"event": "action", "name": "action_listen"}]
    message = {"text": text, "intent": {"name": intent}}
    events.append({"event": "user", "text": text, "parse_data": message})
    return Tracker(SENDER, slots or {}, message, events, False, None, {}, "action_listen")


async def run(action, tracker_: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, {})
    return dispatcher.messages, events


def slots(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def said(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or m.get("response") or "" for m in messages)


def orders() -> list[WorkOrder]:
    with session_scope() as session:
        found = list(session.execute(select(WorkOrder).order_by(WorkOrder.id)).scalars())
        session.expunge_all()
        return found


# --- 一般诉求: simple -> the unit's number ---------------------------------------------------

SIMPLE = "家里宽带断网两天了,麻烦帮我报修一下"


async def refer() -> dict[str, Any]:
    messages, events = await run(ActionHotlineIntake(), tracker(SIMPLE, "hotline_request"))
    assert "10086" in str(messages) and "10010" in str(messages)
    assert texts.REFERRAL_OFFER.format(department="电信运营商") in said(messages)
    assert slots(events)["hotline_next"] == "answered"
    return slots(events)


@pytest.mark.asyncio
async def test_a_simple_request_gets_the_units_number_and_no_work_order(database):
    remembered = await refer()
    assert remembered["hotline_matter"] == SIMPLE
    assert orders() == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("reply", "intent", "action"),
    [
        ("需要", "affirm", ActionReplyOutsideForm()),
        ("好的,帮我登记吧", "inform", ActionReplyOutsideForm()),
        ("还是帮我登记工单吧", "check_work_order", ActionCheckWorkOrder()),
        ("还是麻烦你们登记一下吧", "hotline_request", ActionHotlineIntake()),
    ],
)
async def test_after_the_number_the_citizen_can_still_have_a_work_order(
    database, reply, intent, action
):
    remembered = await refer()
    messages, events = await run(
        action, tracker(reply, intent, remembered, "action_hotline_intake")
    )
    assert [m.get("response") for m in messages] == ["utter_hotline_will_record"]
    assert slots(events)["hotline_matter"] == SIMPLE
    assert slots(events)["hotline_next"] == "form"
    if not isinstance(action, ActionHotlineIntake):  # its rule starts the form
        assert events[-1] == {"event": "followup", "timestamp": None, "name": "hotline_form"}


@pytest.mark.asyncio
async def test_declining_the_offer_closes_politely_and_forgets_the_matter(database):
    remembered = await refer()
    messages, events = await run(
        ActionReplyOutsideForm(), tracker("不用了", "deny", remembered, "action_hotline_intake")
    )
    assert [m["response"] for m in messages] == ["utter_hotline_closing_wish"]
    assert slots(events) == {"hotline_matter": None}


@pytest.mark.asyncio
async def test_the_offer_lapses_once_the_bot_has_done_something_else(database):
    remembered = await refer()
    messages, events = await run(
        ActionReplyOutsideForm(),
        tracker("好的", "affirm", remembered, "action_submit_hotel_booking"),
    )
    assert [m["response"] for m in messages] == ["utter_how_can_i_help"]
    assert "hotline_next" not in slots(events)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "intent", "response"),
    [
        ("有人在我家楼下打架还动了刀,快来人啊", "hotline_help", "utter_hotline_out_of_scope"),
        ("请问百岁老人的高龄补贴每个月多少钱", "hotline_consult", "utter_knowledge_answer"),
    ],
)
async def test_any_other_answer_withdraws_an_earlier_offer(database, text, intent, response):
    remembered = await refer()
    messages, events = await run(
        ActionHotlineIntake(), tracker(text, intent, remembered, "action_hotline_intake")
    )
    assert messages[0]["response"] == response
    assert slots(events) == {"hotline_next": "answered", "hotline_matter": None}
    assert orders() == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "text",
    [
        "家里宽带断了,报修了三天都没人来,麻烦你们督促一下",  # the unit already failed them
        "滨江路的路灯坏了好几天了,晚上黑乎乎的,麻烦派人来修一下",  # no unit's own business
        "小区突然停电了,家里还有老人,麻烦赶紧派人来看看",  # urgent
    ],
)
async def test_other_requests_are_still_recorded_for_a_work_order(database, text):
    messages, events = await run(ActionHotlineIntake(), tracker(text, "hotline_request"))
    assert slots(events)["hotline_next"] == "form"
    assert "utter_hotline_will_record" in said(messages)


# --- 建议: unreasonable -> declined, recorded, closed by the hotline (直办) ------------------


@pytest.mark.asyncio
async def test_an_unreasonable_suggestion_is_declined_recorded_and_closed(database):
    text = "强烈建议国庆节多放几天假,七天根本不够玩"
    messages, events = await run(
        ActionHotlineIntake(), tracker(text, "hotline_suggestion", {"phone": "13812345678"})
    )
    reply = said(messages)
    assert "国务院统一规定" in reply and "还请您理解" in reply
    [order] = orders()
    assert texts.SUGGESTION_RECORDED.format(number=order.number) in reply
    assert messages[-1]["response"] == "utter_hotline_closing_wish"
    assert slots(events)["hotline_next"] == "answered"
    assert (order.category, order.status, order.department_proposed) == (
        "suggestion",
        "closed",
        None,
    )
    assert order.fields["what"] == text and order.contact_phone == "13812345678"
    with session_scope() as session:  # 直办: how it was handled and the result, in the history
        created, handled = workorders.order_history(session, order.number)
    assert created.endswith("已受理")
    assert "市长热线直接办结:不合理建议,已向市民婉言说明:您好,感谢您的建议。法定节假日" in handled


@pytest.mark.asyncio
async def test_a_reasonable_suggestion_is_recorded_for_dispatch(database):
    text = "建议在河东新区多设几个公交站,现在走到最近的站要二十分钟"
    messages, events = await run(ActionHotlineIntake(), tracker(text, "hotline_suggestion"))
    assert slots(events)["hotline_next"] == "form"
    assert slots(events)["hotline_department"] == "交运局"
    assert orders() == []


# --- 投诉举报: staff attitude -> the county's unit or the hotline's office -------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("投诉安居区社保局窗口的工作人员,今天上午去办事态度特别差,问两句就不耐烦", "安居区人社局"),
        ("投诉市社保局窗口的工作人员,态度特别差,问两句就不耐烦", "市长热线管理办公室"),
    ],
)
async def test_a_staff_attitude_complaint_goes_to_the_county_unit_or_the_office(
    database, text, unit
):
    _, events = await run(ActionHotlineIntake(), tracker(text, "hotline_complaint"))
    assert slots(events)["staff_complaint"] is True
    assert slots(events)["hotline_department"] == unit


@pytest.mark.asyncio
async def test_the_staff_members_details_are_recorded_on_the_order(database):
    text = "投诉大英县人社局窗口的工作人员态度恶劣,问两句就甩脸色"
    confirmed = {
        "hotline_category": "complaint",
        "staff_complaint": True,
        "hotline_matter": text,
        "hotline_place": "大英县政务服务中心",
        "hotline_time": "昨天上午十点",
        "staff_info": "工号A1023,女的,姓刘",
        "caller_name": "匿名",
        "hotline_contact": "13912345678",
    }
    messages, _ = await run(ActionSubmitWorkOrder(), tracker("对", "affirm", confirmed))
    [order] = orders()
    assert order.department_proposed == "大英县人社局"
    assert order.fields["staff_name"] == "工号A1023,女的,姓刘"
    assert (order.fields["staff_number"], order.fields["staff_unit"]) == ("A1023", "人社局")
    assert (order.fields["when"], order.fields["what"]) == ("昨天上午十点", text)
    assert order.number in str(messages)


@pytest.mark.asyncio
async def test_other_orders_carry_no_staff_fields(database):
    confirmed = {"hotline_category": "request", "hotline_matter": "幸福路路灯坏了",
                 "hotline_place": "幸福路", "caller_name": "王建国",
                 "hotline_contact": "13812345678"}  # fmt: skip
    await run(ActionSubmitWorkOrder(), tracker("对", "affirm", confirmed))
    [order] = orders()
    assert "staff_number" not in order.fields and order.department_proposed == "住建局"


@pytest.mark.asyncio
async def test_a_direct_order_leaves_no_timers(database):
    await run(ActionHotlineIntake(), tracker("建议把我们遂宁升为副省级城市", "hotline_suggestion"))
    with session_scope() as session:
        jobs = session.execute(select(ScheduledJob)).scalars().all()
        assert jobs and {job.status for job in jobs} == {"cancelled"}
