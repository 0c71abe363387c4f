"""The shift lead's report on SQLite and PostgreSQL: conversations, handoffs, deadlines and
follow-up verdicts counted from what the bot, the queue and the work-order lifecycle store,
and `python -m bot report` printing them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.handoff.reports import build_report, main, percentile
from bot.hotline import workorders
from bot.hotline.clock import LOCAL
from bot.hotline.workorders import dispatch, find_order, record_verdict
from bot.store.conversation import Message, get_or_create_conversation
from bot.store.database import session_scope
from bot.store.handoff import HandoffRequest
from tests.hotline.test_workorders import file

SINCE = datetime(2026, 11, 26, 0, 0, tzinfo=LOCAL)
UNTIL = datetime(2026, 12, 4, 0, 0, tzinfo=LOCAL)  # the report of 11-26 to 12-03
DAY = datetime(2026, 11, 26, 10, 0, tzinfo=LOCAL)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL)


def conversation(
    sender_id: str,
    line: str | None,
    wrote: datetime,
    *,
    handoff: str | None = None,
    wait: int | None = None,
    first_response: int | None = None,
) -> None:
    """A user who wrote at `wrote`, and maybe asked for a person then: claimed after `wait`
    seconds, first answered `first_response` seconds after the claim."""
    wrote = wrote.astimezone(timezone.utc)  # stored as UTC, as the recorder and the queue do
    with session_scope() as session:
        talk = get_or_create_conversation(session, sender_id, sender_id.split(":")[0])
        talk.service_line = line
        session.add(Message(conversation_id=talk.id, direction="in", text="你好", created_at=wrote))
        if handoff is None:
            return
        claimed = wrote + timedelta(seconds=wait) if wait is not None else None
        responded = (
            claimed + timedelta(seconds=first_response) if first_response is not None else None
        )
        session.add(
            HandoffRequest(
                conversation_id=talk.id,
                reason="user_request",
                status=handoff,
                created_at=wrote,
                claimed_at=claimed,
                first_response_at=responded,
            )
        )


def reply(number: str, when: datetime) -> None:
    with session_scope() as session:
        workorders.accept(session, number, actor="住建局", now=when)
        workorders.reply(session, number, text="已处理", actor="住建局", now=when)


def verdict(number: str, said: str, when: datetime) -> None:
    with session_scope() as session:
        order = find_order(session, number)
        workorders.mark_followed_up(session, order, when)
        record_verdict(session, order, said, actor="citizen", now=when)


def dispatched(sender: str, where: str, what: str, when: datetime = DAY) -> str:
    number = file(sender, {"name": "市民", "where": where, "what": what}, now=when).number
    with session_scope() as session:
        dispatch(session, number, actor="班长", now=when)  # a request: due 4 working days on
    return number


@pytest.fixture
def period(database: str) -> None:
    conversation("wechat:a", "travel", at(2026, 11, 27, 9, 0), handoff="closed", wait=60,
                 first_response=30)  # fmt: skip
    conversation("wechat:b", "hotline", at(2026, 11, 28, 9, 0), handoff="claimed", wait=300)
    conversation("qq:c", "hotline", at(2026, 11, 29, 9, 0))
    conversation("webchat:d", None, at(2026, 12, 3, 23, 59), handoff="waiting")
    conversation("weibo:e", "travel", at(2026, 11, 25, 23, 59), handoff="closed", wait=10)

    on_time = dispatched("wechat:w1", "幸福路", "路灯不亮")  # due 12-02 18:00
    file("wechat:w5", {"name": "市民", "where": "幸福路", "what": "路灯不亮"}, now=DAY)  # bound
    reply(on_time, at(2026, 12, 1, 15, 0))
    verdict(on_time, "满意", at(2026, 12, 1, 16, 0))
    dispatched("wechat:w2", "东城区建设路", "井盖丢失")  # never answered
    late = dispatched("wechat:w3", "滨江路", "垃圾无人清运")
    reply(late, at(2026, 12, 4, 9, 0))  # after the deadline, and after the period
    reopened = dispatched("wechat:w4", "人民公园", "健身器材损坏")
    reply(reopened, at(2026, 11, 27, 11, 0))
    verdict(reopened, "不满意", at(2026, 11, 27, 12, 0))  # a new deadline: 12-03 18:00
    dispatched("wechat:w6", "北门", "占道经营", at(2026, 12, 2, 10, 0))  # due after the period


def test_the_report_of_a_period(period):
    with session_scope() as session:
        report = build_report(session, SINCE, UNTIL)
    assert report["since"] == "2026-11-25T16:00:00+00:00"
    assert report["until"] == "2026-12-03T16:00:00+00:00"
    talks = report["conversations"]
    # a, b, c and d wrote in the period; e before it; the work orders' citizens never wrote.
    assert (talks["total"], talks["with_handoff"], talks["handoff_rate"]) == (4, 3, 0.75)
    assert talks["by_channel"] == {
        "qq": {"conversations": 1, "with_handoff": 0},
        "webchat": {"conversations": 1, "with_handoff": 1},
        "wechat": {"conversations": 2, "with_handoff": 2},
    }
    assert talks["by_service_line"] == {
        "hotline": {"conversations": 2, "with_handoff": 1},
        "travel": {"conversations": 1, "with_handoff": 1},
        "unknown": {"conversations": 1, "with_handoff": 1},
    }
    assert report["handoffs"] == {
        "requests": 3,
        "by_status": {"claimed": 1, "closed": 1, "waiting": 1},
        "wait_seconds": {"count": 2, "p50": 60.0, "p90": 300.0},
        "first_response_seconds": {"count": 1, "p50": 30.0, "p90": 30.0},
    }
    # Due in the period: on time, never answered, answered late, reopened and not answered
    # again (its first reply was in time for the old deadline only).
    assert report["work_orders"] == {"due": 4, "on_time": 1, "overdue": 3}
    assert report["satisfaction"] == {"满意": 1, "基本满意": 0, "不满意": 1}


def test_an_empty_period_has_no_rates(database):
    with session_scope() as session:
        report = build_report(session, SINCE, UNTIL)
    assert report["conversations"]["handoff_rate"] is None
    assert report["handoffs"]["wait_seconds"] == {"count": 0, "p50": None, "p90": None}
    assert report["work_orders"] == {"due": 0, "on_time": 0, "overdue": 0}


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 11)]
    assert (percentile(values, 0.5), percentile(values, 0.9)) == (5.0, 9.0)
    assert percentile([7.0], 0.9) == 7.0 and percentile([], 0.5) is None


def test_the_command_prints_json_for_whole_local_days(period, capsys, monkeypatch):
    monkeypatch.setenv("BOT_NOW", "2026-12-10T10:00")
    assert main(["--since", "2026-11-26", "--until", "2026-12-03", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with session_scope() as session:
        assert printed == build_report(session, SINCE, UNTIL)


def test_the_command_prints_text_for_the_shift_lead(period, capsys, monkeypatch):
    monkeypatch.setenv("BOT_NOW", "2026-12-03T12:00")  # the default: the last 7 days up to now
    assert main([]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "班长报表 2026-11-27 00:00 至 2026-12-03 12:00",
        "会话 3,转人工 2(转人工率 66.7%)",
        "  按渠道:QQ 1(转人工 0),微信 2(转人工 2)",
        "  按业务线:12345市长热线 2(转人工 1),康飞旅行网 1(转人工 1)",
        "转人工请求 2:等待接入 中位数 1分0秒,P90 5分0秒(已接入 2)",
        "  首次回复 中位数 30秒,P90 30秒(已回复 1)",
        "工单(办理时限在本期内)3:按时答复 1,超时 2",
        "回访评价:满意 1,基本满意 0,不满意 1",
    ]


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--since", "11/26"], "not a date (YYYY-MM-DD): '11/26'"),
        (["--since", "2026-12-03", "--until", "2026-11-26"], "--since must not be after"),
    ],
)
def test_bad_dates_are_refused_with_a_reason(database, capsys, argv, error):
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2 and error in capsys.readouterr().err
