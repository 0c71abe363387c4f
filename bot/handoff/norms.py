"""The service norms' forbidden phrases (禁用语), as patterns an operator's reply is checked
against before it is sent. Interjections are matched where they stand alone ("喂," or "哦。"),
so that words which merely contain the character (喂养, 哦哦 in a name) are not flagged."""

from __future__ import annotations

import re

# pattern → what the operator is told
FORBIDDEN: dict[str, str] = {
    r"(^|[\s,。!?、,.!?])喂([\s,。!?、,.!?~～]|$)": "“喂”不能用作称呼",
    r"(^|[\s,。!?、,.!?])哦+([\s,。!?、,.!?~～]|$)": "不要用“哦”作答",
    r"我不知道": "不要说“我不知道”,请说“请您稍等,我帮您查询”",
    r"这是规定我没办法": "不要说“这是规定我没办法”,请解释规定并给出办法",
    r"你自己去.{0,12}问": "不要让用户自己去问,请告知承办单位和联系方式",
    r"说完了没有": "不要催促用户",
    r"你(懂不懂|听不懂|有病|烦不烦)|怎么这么(笨|烦)": "不得指责、嘲讽或激怒用户",
}
_COMPILED = [(re.compile(pattern), advice) for pattern, advice in FORBIDDEN.items()]


def forbidden_phrases(text: str) -> list[str]:
    """What in `text` breaks the norms, as advice for the operator; empty when it is fine."""
    return [advice for pattern, advice in _COMPILED if pattern.search(text)]
