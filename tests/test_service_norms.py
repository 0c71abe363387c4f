"""The service norms: nothing the bot or the lifecycle says uses a forbidden phrase (禁用语)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.handoff.norms import forbidden_phrases
from bot.hotline import texts
from bot.store.database import PROJECT_ROOT

DOMAIN = PROJECT_ROOT / "bot" / "rasa" / "domain"


def domain_texts() -> list[tuple[str, str]]:
    found = []
    for path in sorted(DOMAIN.glob("*.yml")):
        responses = (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get(
            "responses", {}
        )
        for name, variations in responses.items():
            found += [(name, variation["text"]) for variation in variations if "text" in variation]
    return found


def lifecycle_texts() -> list[tuple[str, str]]:
    found = []
    for name in dir(texts):
        value = getattr(texts, name)
        if isinstance(value, str) and not name.startswith("_"):
            found.append((name, value))
        elif isinstance(value, dict):
            found += [(f"{name}.{k}", v) for k, v in value.items() if isinstance(v, str)]
    return found


@pytest.mark.parametrize(("name", "text"), domain_texts() + lifecycle_texts())
def test_no_forbidden_phrase(name, text):
    assert not forbidden_phrases(text), name


def test_every_response_addresses_the_user_politely():
    # 您, never 你, in what the bot says (the seed's phone script is corrected on this point).
    rude = [name for name, text in domain_texts() if "你" in text.replace("您", "")]
    assert rude == []


@pytest.mark.parametrize(
    "reply",
    [
        "喂,您好",
        "哦,那您等等吧",
        "这个我不知道",
        "这是规定我没办法",
        "你自己去民政局问吧",
        "说完了没有?",
    ],
)
def test_an_operator_reply_with_a_forbidden_phrase_is_flagged(reply):
    assert forbidden_phrases(reply)


@pytest.mark.parametrize(
    "reply",
    ["您好,请问有什么可以帮到您?", "小区里有人喂养流浪狗的问题已记录", "请您稍等,我帮您查询"],
)
def test_a_polite_reply_is_not_flagged(reply):
    assert forbidden_phrases(reply) == []
