"""Complaints about staff attitude (投诉举报 ⑵): which unit takes them.

The seed: 判断区域划分,市直部门提交办公室进行处理,县级部门直接由班长分配到各个县级的承办单位.
So a complaint about the staff of a county's unit (a district, county or county-level city of
the hotline's city) is proposed to that unit, named "<county><department>" ("安居区人社局",
"射洪市公安局"), for the shift lead to dispatch; a complaint about a city department's staff
goes to the hotline's office (`office` in departments.yml: 市长热线管理办公室), which takes it
up with the department.

The county is the one the message ties to the unit: a full name shortly before a unit word
("船山区政务服务中心", "大英县第一人民医院") or a short name right before a unit's name ("在大英
的车管所", "射洪人社局"); a unit named as the city's ("市人社局") is the city's; failing those,
the one county the message names in full. County names come from jionlp's location dictionary,
each also with the other suffixes, so that a former name (射洪县, now 射洪市) is recognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from bot.hotline.directory import Directory, load_directory
from bot.hotline.router import Route
from bot.nlu.chinese_time import _jionlp

# What ends a unit's name a few characters after a county's full name.
UNIT_ENDINGS = ("局", "所", "队", "站", "院", "委", "办", "中心", "政府", "大厅", "窗口", "公司")
# Units that are no department in departments.yml, as named right after a place.
PUBLIC_UNITS = ("政府", "医院", "卫生院", "政务服务中心", "政务中心", "便民服务中心", "街道办")
NEAR = 8  # at most this many characters between a county's full name and the unit word
_GAP = rf"[^\s,.!?;:，。！？；：、]{{0,{NEAR}}}?"


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@dataclass(frozen=True)
class Places:
    """The city's counties as messages write them, and the patterns that tie one to a unit."""

    counties: dict[str, str]  # 安居区, 安居, 射洪县 (former name), 射洪市 -> official name
    full: re.Pattern[str]  # a county's full name, anywhere
    full_unit: re.Pattern[str]  # 船山区政务服务中心
    short_unit: re.Pattern[str]  # 大英的车管所
    city_unit: re.Pattern[str]  # 市人社局


@cache
def places(directory: Directory) -> Places | None:
    """None when departments.yml names no city, or one jionlp does not know."""
    loader = _jionlp().china_location_loader()
    province = next((p for p in loader.values() if directory.city in p), None)
    if province is None:
        return None
    city = province[directory.city]
    full: dict[str, str] = {}
    short: dict[str, str] = {}
    for name, county in city.items():
        if name.startswith("_"):
            continue
        alias = county["_alias"]
        if len(alias) >= 2:
            short[alias] = name
            full |= {f"{alias}{suffix}": name for suffix in "县区市"}
        full[name] = name
    units = [d.name for d in directory.departments]
    units += [a for d in directory.departments for a in d.aliases] + list(PUBLIC_UNITS)
    unit = _alternation(units)
    ending = _alternation([*units, *UNIT_ENDINGS])
    return Places(
        counties=full | short,
        full=re.compile(_alternation(list(full))),
        full_unit=re.compile(rf"({_alternation(list(full))}){_GAP}(?:{ending})"),
        short_unit=re.compile(rf"({_alternation(list(short))})的?(?:{unit})"),
        city_unit=re.compile(
            rf"(?:{_alternation([directory.city, *city['_alias'], '市'])})的?(?:{unit})"
        ),
    )


def county_of_unit(text: str, directory: Directory | None = None) -> str | None:
    """The county whose unit the message is about; None for a city unit, or no county."""
    known = places(directory or load_directory())
    if known is None:
        return None
    tied = [m for m in (known.full_unit.search(text), known.short_unit.search(text)) if m]
    if tied:
        return known.counties[min(tied, key=lambda m: m.start()).group(1)]
    if known.city_unit.search(text):
        return None
    named = {known.counties[name] for name in known.full.findall(text)}
    return named.pop() if len(named) == 1 else None


def handling_unit(department: str, text: str, directory: Directory | None = None) -> str:
    """The unit named "<county><department>" for a county's unit, else the hotline's office."""
    directory = directory or load_directory()
    county = county_of_unit(text, directory)
    return f"{county}{department}" if county else directory.office


def for_staff_complaint(route: Route, text: str) -> Route:
    """The route with the unit that takes a complaint about the department's staff."""
    if route.department is None:  # out of scope: guidance, no unit
        return route
    return replace(route, department=handling_unit(route.department, text))
