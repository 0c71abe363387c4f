"""Complaints about staff attitude: the county's unit or the hotline's office, and the staff
member's number."""

from __future__ import annotations

import pytest

from bot.hotline.directory import load_directory, parse_directory
from bot.hotline.intake import staff_number
from bot.hotline.router import Route
from bot.hotline.staff import county_of_unit, for_staff_complaint, handling_unit


@pytest.mark.parametrize(
    ("text", "county"),
    [
        ("安居区社保局窗口的工作人员态度很差", "安居区"),
        ("昨天在大英的车管所办事,工作人员爱答不理", "大英县"),
        ("船山区政务服务中心窗口工号023的工作人员骂人", "船山区"),
        ("大英县第一人民医院的护士态度太差了", "大英县"),
        ("射洪县人社局办事员故意刁难", "射洪市"),  # its former name: a county-level city since 2019
        ("射洪人社局的人骂人", "射洪市"),
        ("安居的派出所民警推诿", "安居区"),
        ("我家住蓬溪县,社保局的人态度差", "蓬溪县"),  # the one county named
        ("我是蓬溪县的,在船山区派出所办户口被推诿", "船山区"),  # the one tied to the unit
    ],
)
def test_a_county_unit_is_recognised(text: str, county: str) -> None:
    assert county_of_unit(text) == county


@pytest.mark.parametrize(
    "text",
    [
        "人社局窗口工作人员态度很差",
        "市人社局的工作人员态度恶劣",
        "遂宁市人社局窗口工作人员态度差",
        "我是大英县的,去市人社局办事被刁难",  # the unit is the city's
        "申请安居房的时候窗口工作人员态度差",  # 安居 is not 安居区 here
        "市住建局安居工程办公室工作人员态度恶劣",
        "我是大英人,在市政务中心办事被刁难",
        "市中心医院护士态度差",
        "河东新区管委会工作人员刁难",  # a new area of the city, not a county
        "我在成都市武侯区社保局被刁难",  # another city's district
    ],
)
def test_a_city_unit_or_none_named_has_no_county(text: str) -> None:
    assert county_of_unit(text) is None


def test_the_unit_is_the_countys_department_or_the_hotlines_office() -> None:
    assert handling_unit("人社局", "安居区社保局的人态度很差") == "安居区人社局"
    assert handling_unit("公安局", "交警大队民警态度恶劣") == "市长热线管理办公室"
    assert load_directory().office == "市长热线管理办公室"


def test_without_a_known_city_every_complaint_goes_to_the_office() -> None:
    directory = parse_directory({"departments": [], "scopes": [], "office": "热线办"})
    assert county_of_unit("安居区社保局的人态度很差", directory) is None
    assert handling_unit("人社局", "安居区社保局的人态度很差", directory) == "热线办"


def test_an_out_of_scope_route_keeps_no_unit() -> None:
    route = Route("complaint", None, 0.9, "12388", False, False)
    assert for_staff_complaint(route, "安居区社保局的人收红包") is route


@pytest.mark.parametrize(
    ("info", "number"),
    [
        ("工号A1023,女的,姓刘", "A1023"),
        ("警号 012345", "012345"),
        ("胸牌号:B-22", "B-22"),
        ("A1023", "A1023"),
        ("姓刘的大姐,三号窗口", None),
        ("", None),
    ],
)
def test_the_staff_number_is_read_from_what_the_citizen_said(info: str, number: str | None):
    assert staff_number(info) == number
