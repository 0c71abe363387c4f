import json
from datetime import datetime

import pytest

from bot.nlu.chinese_time import SHANGHAI, TimeValue, find_times, main, parse_time, reference_now

NOW = "2026-11-26T10:00"  # a Thursday


def day(start: str, end: str | None = None) -> dict[str, str]:
    return {"start": start, "end": end or start, "grain": "day"}


def minute(start: str, end: str | None = None) -> dict[str, str]:
    return {"start": start, "end": end or start, "grain": "minute"}


def parsed(text: str) -> dict[str, str] | None:
    value = parse_time(text, NOW)
    return value.as_dict() if value else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天", day("2026-11-26")),
        ("明天", day("2026-11-27")),
        ("后天", day("2026-11-28")),
        ("大后天", day("2026-11-29")),
        ("三天后", day("2026-11-29")),
        ("3天后", day("2026-11-29")),
        ("两天以后", day("2026-11-28")),
    ],
)
def test_relative_days(text: str, expected: dict[str, str]) -> None:
    assert parsed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("下周五", day("2026-12-04")),
        ("下下周五", day("2026-12-11")),
        ("这周三", day("2026-11-25")),  # said explicitly: this week's, even if past
        ("本周日", day("2026-11-29")),
        ("星期天", day("2026-11-29")),
        ("礼拜六", day("2026-11-28")),
        ("周五", day("2026-11-27")),
        ("周四", day("2026-11-26")),  # bare weekday: today counts, it is not past
        ("周三", day("2026-12-02")),  # bare weekday already past this week: the coming one
    ],
)
def test_weekdays(text: str, expected: dict[str, str]) -> None:
    assert parsed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4月1日", day("2027-04-01")),
        ("4月1号", day("2027-04-01")),
        ("四月一日", day("2027-04-01")),
        ("十二月三号", day("2026-12-03")),
        ("十二月二十三号", day("2026-12-23")),
        ("12.3", day("2026-12-03")),
        ("12/3", day("2026-12-03")),
    ],
)
def test_month_day_resolves_to_the_future(text: str, expected: dict[str, str]) -> None:
    assert parsed(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("28号", "2026-11-28"), ("3号", "2026-12-03")])
def test_day_of_month_already_passed_moves_to_next_month(text: str, expected: str) -> None:
    assert parsed(text) == day(expected)


@pytest.mark.parametrize(
    "text", ["2027年1月3日", "2027-01-03", "2027/1/3", "2027.1.3", "二〇二七年一月三日"]
)
def test_full_dates(text: str) -> None:
    assert parsed(text) == day("2027-01-03")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("元旦", "2027-01-01"),
        ("春节", "2027-02-06"),
        ("清明", "2027-04-05"),
        ("五一", "2027-05-01"),
        ("劳动节", "2027-05-01"),
        ("端午", "2027-06-09"),
        ("中秋", "2027-09-15"),
        ("国庆", "2027-10-01"),
        ("国庆节", "2027-10-01"),
    ],
)
def test_holidays_resolve_to_the_next_occurrence(text: str, expected: str) -> None:
    assert parsed(text) == day(expected)


def test_holiday_later_this_year_stays_this_year() -> None:
    assert parse_time("国庆节", "2026-08-01T10:00") == TimeValue("2026-10-01", "2026-10-01", "day")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上午9点", "2026-11-26T09:00"),
        ("9点", "2026-11-26T09:00"),  # already past today: stays today, the caller decides
        ("下午两点半", "2026-11-26T14:30"),
        ("晚上十点半", "2026-11-26T22:30"),
        ("中午12点", "2026-11-26T12:00"),
        ("凌晨3点", "2026-11-26T03:00"),
        ("18:00", "2026-11-26T18:00"),
        ("18点前", "2026-11-26T18:00"),
        ("18:00前", "2026-11-26T18:00"),
        ("晚上8点左右", "2026-11-26T20:00"),
    ],
)
def test_times_of_day(text: str, expected: str) -> None:
    assert parsed(text) == minute(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("明天下午3点", "2026-11-27T15:00"),
        ("明晚8点", "2026-11-27T20:00"),
        ("明天晚上12点", "2026-11-28T00:00"),
        ("2027年1月3日18:30", "2027-01-03T18:30"),
    ],
)
def test_dates_with_times(text: str, expected: str) -> None:
    assert parsed(text) == minute(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12月3号到5号", day("2026-12-03", "2026-12-05")),
        ("12月3号入住,5号退房", day("2026-12-03", "2026-12-05")),
        ("4.1—4.3", day("2027-04-01", "2027-04-03")),
        ("4月1日至4月3日", day("2027-04-01", "2027-04-03")),
        ("下周五到下周日", day("2026-12-04", "2026-12-06")),
        ("从下周五住到下周日", day("2026-12-04", "2026-12-06")),
        ("12月30号到1月2号", day("2026-12-30", "2027-01-02")),
        ("12月28号到3号", day("2026-12-28", "2027-01-03")),
        ("明天下午2点到4点", minute("2026-11-27T14:00", "2026-11-27T16:00")),
        ("晚上10点到凌晨2点", minute("2026-11-26T22:00", "2026-11-27T02:00")),
    ],
)
def test_ranges(text: str, expected: dict[str, str]) -> None:
    assert parsed(text) == expected


def test_full_width_digits_and_punctuation() -> None:
    assert parsed("１２月３号～５号") == day("2026-12-03", "2026-12-05")


def test_no_time_gives_none() -> None:
    assert parse_time("我想订一间大床房，便宜一点", NOW) is None


@pytest.mark.parametrize("text", ["坐3号线到酒店", "价格12.5元", "便宜一点"])
def test_look_alikes_are_not_times(text: str) -> None:
    assert find_times(text, NOW) == []


def test_find_times_gives_offsets_into_the_original_text() -> None:
    text = "您好，我想订１２月３号入住，５号退房的大床房，晚上8点左右到，电话13812345678"
    mentions = find_times(text, NOW)
    assert [(m.text, m.value.as_dict()) for m in mentions] == [
        ("１２月３号入住，５号", day("2026-12-03", "2026-12-05")),
        ("晚上8点左右", minute("2026-11-26T20:00")),
    ]
    assert all(text[m.start_char : m.end_char] == m.text for m in mentions)


def test_stay_length_does_not_blur_the_check_in_day() -> None:
    assert [m.value for m in find_times("下周五入住,住两晚", NOW)] == [
        TimeValue("2026-12-04", "2026-12-04", "day")
    ]


def test_expressions_outside_the_grammar_fall_back_to_jionlp() -> None:
    assert [(m.text, m.value.start) for m in find_times("下个月3号入住", "2026-11-02T10:00")] == [
        ("下个月3号", "2026-12-03")
    ]


def test_time_value_is_range() -> None:
    assert TimeValue("2026-12-03", "2026-12-05", "day").is_range
    assert not TimeValue("2026-12-03", "2026-12-03", "day").is_range


def test_reference_now_prefers_argument_over_bot_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_NOW", "2030-01-01T08:00")
    assert reference_now("2026-11-26T10:00") == datetime(2026, 11, 26, 10, tzinfo=SHANGHAI)


def test_bot_now_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_NOW", "2030-01-01T08:00")
    assert reference_now() == datetime(2030, 1, 1, 8, tzinfo=SHANGHAI)
    assert parse_time("明天") == TimeValue("2030-01-02", "2030-01-02", "day")


def test_reference_now_converts_to_shanghai() -> None:
    assert reference_now("2026-11-26T02:00+00:00") == datetime(2026, 11, 26, 10, tzinfo=SHANGHAI)


def test_main_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["明天", "--now", "2026-11-26T10:00"]) == 0
    assert json.loads(capsys.readouterr().out) == day("2026-11-27")


def test_main_reports_an_error_when_there_is_no_time(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["你好", "--now", NOW]) == 1
    assert "error" in json.loads(capsys.readouterr().out)
