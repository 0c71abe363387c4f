"""The conversations the load is made of: whole bookings as a traveller types them, and a
citizen's report that becomes a work order.

They are the end-to-end tests' scripts (tests/conversations/test_bookings.py), so their dates
hang on the same BOT_NOW, and a run whose closing line is missing is a broken conversation, not a
slow one.
"""

from __future__ import annotations

from dataclasses import dataclass

# Thursday 26 November 2026, 10:00 in Shanghai, as in the tests: "下周五" and "12月3号" are future.
BOT_NOW = "2026-11-26T10:00"


@dataclass(frozen=True)
class Script:
    name: str
    messages: tuple[str, ...]
    closing: str  # what the reply to the last message must contain
    service_line: str = "travel"

    def is_complete(self, last_reply: str) -> bool:
        return self.closing in last_reply


HOTEL = Script(
    "hotel",
    (
        "你好",
        "我想订济南的酒店",
        "没有,市中心,300以内",
        "下周五入住,住两晚,两间标准间",
        "3个人",
        "18:00前",
        "不要早餐",
        "没有",
        "要",
        "我叫张三",
        "13812345678",
        "不对,是三间",
        "对",
    ),
    "感谢您的来电!再见!",
)

MEETING = Script(
    "meeting",
    (
        "我们公司下个月想在青岛开个年会,大概80人",
        "没有指定,帮我推荐",
        "12月18号到19号",
        "需要40间客房",
        "要投影仪和话筒,还要茶歇",
        "每人每天300元左右",
        "王经理",
        "13912345678",
        "对",
    ),
    "我们会尽快帮您做个方案,稍后给您去电",
)

FLIGHT = Script(
    "flight",
    (
        "订一张12月3号北京飞上海的机票",
        "往返,5号回来",
        "李明",
        "110105194912310021",
        "11010519491231002X",
        "13812345678",
        "送票",
        "朝阳区建国路88号",
        "对",
    ),
    "感谢您的来电,祝您旅途愉快。",
)

# A citizen's report that becomes a work order: the first message names what, where and when;
# only the name and the contact are asked for (tests/conversations/test_hotline.py).
HOTLINE = Script(
    "hotline",
    (
        "滨江路阳光小区北门的路灯坏了好几天了,晚上黑乎乎的,麻烦派人来修一下",
        "我叫王建国",
        "13812345678",
        "对",
    ),
    "您的问题我将会尽快帮您反映,再见。",
    service_line="hotline",
)

SCRIPTS = (HOTEL, MEETING, FLIGHT, HOTLINE)

# For /model/parse: every scripted message plus openings and asides people send mid-form.
PARSE_MESSAGES = tuple(dict.fromkeys(m for s in SCRIPTS for m in s.messages)) + (
    "帮我订个酒店",
    "下周五北京飞上海",
    "明天下午三点从广州飞成都,一个人",
    "我想在杭州西湖边找个五星级酒店,住三晚",
    "12月5号入住,12月7号退房",
    "一间大床房,2人",
    "晚上8点到",
    "含早",
    "算了,不订了",
    "转人工",
    "你会讲笑话吗",
    "谢谢",
)
