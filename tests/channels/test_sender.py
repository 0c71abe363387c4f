"""Long texts are split for platforms that cap a message's length."""

from __future__ import annotations

from bot.channels.sender import split_text


def test_short_text_is_one_part():
    assert split_text("您好\n请问有什么可以帮您?", 600) == ["您好\n请问有什么可以帮您?"]


def test_long_text_breaks_at_line_ends_and_never_exceeds_the_limit():
    lines = [f"第{i}行:" + "字" * 30 for i in range(40)]
    parts = split_text("\n".join(lines), 200)
    assert all(len(part) <= 200 for part in parts)
    assert "".join(parts).replace("\n", "") == "".join(lines)


def test_a_single_overlong_line_is_cut():
    parts = split_text("长" * 450, 200)
    assert [len(p) for p in parts] == [200, 200, 50]
