"""The canned replies: the service norms' opening and closing lines, none of the forbidden
phrases, offered by service line."""

from __future__ import annotations

import pytest

from bot.handoff.console.canned import canned_replies, for_line
from bot.handoff.norms import forbidden_phrases

ALL_TEXTS = [text for group in canned_replies() for text in group["texts"]]


@pytest.mark.parametrize("text", ALL_TEXTS)
def test_no_canned_reply_breaks_the_norms(text):
    assert not forbidden_phrases(text)
    assert "你" not in text.replace("您", "")


def test_the_scripts_opening_and_closing_lines_are_there():
    travel = [text for group in for_line("travel") for text in group["texts"]]
    hotline = [text for group in for_line("hotline") for text in group["texts"]]
    assert "您好!这里是康飞旅行网,请问有什么可以帮助您?" in travel
    assert "我们会尽快帮您预订上,请您稍候,感谢您的来电!再见!" in travel
    assert "您好!市长热线,请问有什么可以帮到您?" in hotline
    assert "感谢您对我们工作的支持,祝您生活愉快,再见。" in hotline
    assert "您好!市长热线,请问有什么可以帮到您?" not in travel
    assert len(for_line(None)) == len(canned_replies())
