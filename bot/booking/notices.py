"""The messages a traveller gets after the call: confirmation, apology, membership, weather.

Pure text builders in the seed's wording (第一篇 酒店预订, 二/三/四/五), with its "你" made "您"
and its slips corrected (愿凉 → 原谅, 哪几天 → 那几天) as the domain files do for the script.
Each message starts "康飞:", as the seed's SMS texts do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.booking.fields import NO_HOTEL, nights_between

CONFIRMATION = (
    "康飞: {hotel},{nights}晚({checkin}—{checkout}){rooms}已确认,单价{price},"
    "前台报康飞({name})预订{arrival}前入住。"
)
# Hotels hold an unguaranteed room until 18:00; the seed's example says so too.
DEFAULT_ARRIVAL = "18:00"

APOLOGIES = {
    # ① peak season: the hotel is full
    "full": ("此酒店房间已满,我们没有得到第一时间酒店的信息,网上没有及时更改,给您带来不便请您原谅"),
    # ② the hotel has a meeting or an event on those days
    "event": (
        "很对不起,此酒店在您预订的那几天里,酒店有会议或有活动,房间已预订满,"
        "酒店目前不对外预订了,我们没有得到第一时间酒店的信息,网上没有及时更改,"
        "给您带来不便请您原谅"
    ),
}
FAILURE = "康飞: {hotel}({checkin}—{checkout}):{apology}。同时为您推荐其他酒店:{alternatives}。"
UNNAMED_HOTEL = "您预订的酒店"

REGISTRATION = (
    "康飞:系统已为您生成康飞会员号:({phone})密码({password})请登陆修改密码,"
    "成功入住酒店后点评可获双倍现金返还。"
)

WEATHER_CARE = "康飞:出行关怀:{city}明日{weather},{temperatures}度,感谢您的预定,祝您旅途愉快。"

_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")


def short_day(iso: str) -> str:
    """ "2026-04-01" → "4.1", as the seed writes a stay: "(4.1—4.3)"."""
    day = date.fromisoformat(iso[:10])
    return f"{day.month}.{day.day}"


def rooms_text(rooms: Sequence[Mapping[str, Any]]) -> str:
    """ "2间商务大床房", several types joined: "2间商务大床房、1间标准间"."""
    return "、".join(f"{room['count']}间{room['type']}" for room in rooms)


def hotel_of(details: Mapping[str, Any]) -> str | None:
    """The hotel the traveller named, or None when they left it to us (不指定)."""
    hotel = details.get("hotel_name")
    return hotel if hotel and hotel != NO_HOTEL else None


def confirmation(details: Mapping[str, Any], *, hotel: str, price: str, name: str) -> str:
    """ "康飞: XX酒店,2晚(4.1—4.3)2间商务大床房已确认,单价364,前台报康飞(路静)预订18:00前入住。"

    `hotel` is the one booked: the traveller's, or the operator's choice when they named none.
    """
    checkin, checkout = details["checkin_date"], details["checkout_date"]
    arrival = str(details.get("arrival_time") or "")
    return CONFIRMATION.format(
        hotel=hotel,
        nights=nights_between(checkin, checkout),
        checkin=short_day(checkin),
        checkout=short_day(checkout),
        rooms=rooms_text(details["rooms"]),
        price=price,
        name=name,
        arrival=arrival if _CLOCK.match(arrival) else DEFAULT_ARRIVAL,
    )


def failure(details: Mapping[str, Any], *, reason: str, alternatives: Sequence[str]) -> str:
    """One of the seed's two apologies, then the hotels recommended instead."""
    return FAILURE.format(
        hotel=hotel_of(details) or UNNAMED_HOTEL,
        checkin=short_day(details["checkin_date"]),
        checkout=short_day(details["checkout_date"]),
        apology=APOLOGIES[reason],
        alternatives="、".join(alternatives),
    )


def registration(phone: str, password: str) -> str:
    """The seed's member message; the member number is the mobile number."""
    return REGISTRATION.format(phone=phone, password=password)


def temperatures(low: int, high: int) -> str:
    """ "8-18"; with a frost "-5至3", because "-5-3" reads as a subtraction."""
    return f"{low}-{high}" if low >= 0 else f"{low}至{high}"


def weather_care(city: str, *, weather: str, low: int, high: int) -> str:
    """ "康飞:出行关怀:济南明日小雨,8-18度,感谢您的预定,祝您旅途愉快。" """
    return WEATHER_CARE.format(city=city, weather=weather, temperatures=temperatures(low, high))
