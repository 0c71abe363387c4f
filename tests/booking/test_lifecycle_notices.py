"""The traveller's messages after the call, word for word as the seed writes them."""

from __future__ import annotations

from bot.booking import notices

SEED_STAY = {
    "hotel_name": "XX酒店",
    "checkin_date": "2027-04-01",
    "checkout_date": "2027-04-03",
    "rooms": [{"type": "商务大床房", "count": 2}],
    "arrival_time": "18:00",
}


def test_the_confirmation_is_the_seeds_message():
    text = notices.confirmation(SEED_STAY, hotel="XX酒店", price="364", name="路静")
    assert (
        text
        == "康飞: XX酒店,2晚(4.1—4.3)2间商务大床房已确认,单价364,前台报康飞(路静)预订18:00前入住。"
    )


def test_several_room_types_and_an_open_arrival_time():
    stay = {
        **SEED_STAY,
        "checkout_date": "2027-04-02",
        "rooms": [{"type": "标准间", "count": 3}, {"type": "大床房", "count": 1}],
        "arrival_time": "未定",
    }
    text = notices.confirmation(stay, hotel="如家酒店", price="298", name="张三")
    # Without a time from the traveller, the hotel's usual hold until 18:00 applies.
    assert (
        text
        == "康飞: 如家酒店,1晚(4.1—4.2)3间标准间、1间大床房已确认,单价298,前台报康飞(张三)预订18:00前入住。"
    )
    late = notices.confirmation({**stay, "arrival_time": "21:30"}, hotel="如家酒店", price="298",
                                name="张三")  # fmt: skip
    assert late.endswith("前台报康飞(张三)预订21:30前入住。")


def test_the_peak_season_apology_then_other_hotels():
    text = notices.failure(SEED_STAY, reason="full", alternatives=["如家酒店", "汉庭酒店"])
    assert text == (
        "康飞: XX酒店(4.1—4.3):此酒店房间已满,我们没有得到第一时间酒店的信息,网上没有及时更改,"
        "给您带来不便请您原谅。同时为您推荐其他酒店:如家酒店、汉庭酒店。"
    )


def test_the_event_apology_for_a_hotel_left_to_us():
    stay = {**SEED_STAY, "hotel_name": "不指定"}
    text = notices.failure(stay, reason="event", alternatives=["银座佳驿"])
    assert text == (
        "康飞: 您预订的酒店(4.1—4.3):很对不起,此酒店在您预订的那几天里,酒店有会议或有活动,"
        "房间已预订满,酒店目前不对外预订了,我们没有得到第一时间酒店的信息,网上没有及时更改,"
        "给您带来不便请您原谅。同时为您推荐其他酒店:银座佳驿。"
    )


def test_the_registration_message_carries_the_member_number_and_password():
    assert notices.registration("13812345678", "k7Q2mX9p") == (
        "康飞:系统已为您生成康飞会员号:(13812345678)密码(k7Q2mX9p)请登陆修改密码,"
        "成功入住酒店后点评可获双倍现金返还。"
    )


def test_the_weather_note_is_the_seeds_message():
    text = notices.weather_care("济南", weather="小雨", low=8, high=18)
    assert text == "康飞:出行关怀:济南明日小雨,8-18度,感谢您的预定,祝您旅途愉快。"


def test_frost_is_written_so_it_does_not_read_as_a_subtraction():
    text = notices.weather_care("哈尔滨", weather="小雪", low=-15, high=-3)
    assert text == "康飞:出行关怀:哈尔滨明日小雪,-15至-3度,感谢您的预定,祝您旅途愉快。"
