import re

import pytest

from bot.hotline.directory import Phrase, load_directory, parse_directory
from bot.hotline.knowledge import load_entries
from bot.hotline.labelled import is_held_out, load_labelled, split
from bot.hotline.router import CATEGORIES


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("住房和城乡建设局", "住建局"),
        ("交通运输局", "交运局"),
        ("生态环境局", "环保局"),
        ("市场监督管理局", "工商局"),
        ("食品药品监督管理局", "食品药品监管局"),
        ("中国联通", "电信运营商"),
        ("人力资源和社会保障局", "人社局"),
        ("城管", "城管局"),
    ],
)
def test_official_and_newer_names_are_aliases(alias: str, name: str) -> None:
    assert load_directory().department(alias).name == name


def test_the_city_has_its_utilities_and_departments() -> None:
    names = {d.name for d in load_directory().departments}
    assert {
        "水务集团",
        "供电公司",
        "燃气公司",
        "热力公司",
        "公交公司",
        "交警支队",
        "消防救援支队",
    } <= names
    assert all(d.duties and d.examples for d in load_directory().departments)


def test_the_five_scopes_are_defined() -> None:
    scopes = {s.scope for s in load_directory().scopes}
    assert scopes == {"110", "12348", "12388", "信访", "上级法院或检察院"}


def test_an_alias_used_twice_is_rejected() -> None:
    data = {
        "departments": [
            {"name": "甲局", "aliases": ["某局"]},
            {"name": "乙局", "aliases": ["某局"]},
        ],
        "scopes": [],
    }
    with pytest.raises(ValueError, match="某局"):
        parse_directory(data)


def test_a_compound_phrase_needs_every_part() -> None:
    phrase = Phrase.parse("桥+栏杆")
    assert phrase.spans("大桥上的栏杆断了") is not None
    assert phrase.spans("大桥上有裂缝") is None
    assert phrase.weight > Phrase.parse("桥梁").weight


def test_knowledge_names_real_departments() -> None:
    directory = load_directory()
    for entry in load_entries():
        if entry.department:
            directory.department(entry.department)


def test_labelled_messages_are_valid_and_split_stably() -> None:
    directory = load_directory()
    scopes = {s.scope for s in directory.scopes}
    messages = load_labelled()
    assert len(messages) >= 200
    assert len({m.text for m in messages}) == len(messages)
    for m in messages:
        assert m.category in CATEGORIES
        assert (m.department is None) != (m.scope is None)
        if m.department:
            assert directory.department(m.department).name == m.department
        else:
            assert m.scope in scopes
    train, held_out = split(messages)
    assert 0.2 < len(held_out) / len(messages) < 0.4
    assert all(is_held_out(m.text) for m in held_out)
    assert not any(is_held_out(m.text) for m in train)


# The nationwide public service numbers checked for departments.yml: a department may give
# only one of these (never a local number, never 119/120 for a non-emergency).
NATIONWIDE = {
    "12319", "12369", "12328", "12318", "12320", "12358", "12365", "12315", "12331", "12378",
    "12333", "12336", "12314", "95598", "12393", "12366", "12350", "12316", "12329", "122",
    "12305", "10086", "10010", "10000",
}  # fmt: skip


def test_departments_give_only_nationwide_numbers() -> None:
    numbers = {
        d.name: set(re.findall(r"\d{3,5}", d.hotline or "")) for d in load_directory().departments
    }
    assert all(found <= NATIONWIDE for found in numbers.values()), numbers
    assert numbers["供电公司"] == {"95598"} and numbers["环保局"] == {"12369"}
    assert numbers["电信运营商"] == {"10086", "10010", "10000"}
    # No nationwide number: a simple request about these is recorded for a work order.
    for name in ("民政局", "公安局", "教育局", "水务集团", "燃气公司", "消防救援支队"):
        assert numbers[name] == set(), name


def test_the_city_and_the_office_for_staff_complaints() -> None:
    directory = load_directory()
    assert (directory.city, directory.office) == ("遂宁市", "市长热线管理办公室")
    assert parse_directory({"departments": [], "scopes": []}).office == "市长热线管理办公室"
