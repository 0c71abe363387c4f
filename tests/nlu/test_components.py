from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import ChineseTimeExtractor, IdentifierExtractor

TEXT_WITH_EVERYTHING = (
    "12月3号入住,5号退房，电话138 1234 5678，身份证11010519491231002X，座机02112345678"
)


Extractor = ChineseTimeExtractor | IdentifierExtractor


def create(cls: type[Extractor], tmp_path: Path) -> Extractor:
    return cls.create(
        {},
        LocalModelStorage(tmp_path),
        Resource(cls.__name__),
        ExecutionContext(GraphSchema({}), "test"),
    )


def process(extractor: Extractor, text: str) -> list[dict]:
    [message] = extractor.process([Message(data={TEXT: text})])
    return message.get(ENTITIES)


def test_time_extractor_adds_range_and_point_entities(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_NOW", "2026-11-26T10:00")
    entities = process(create(ChineseTimeExtractor, tmp_path), "12月3号入住,5号退房，18:00前到")
    assert entities == [
        {
            "entity": "time",
            "start": 0,
            "end": 10,
            "value": "2026-12-03/2026-12-05",
            "confidence": 1.0,
            "additional_info": {"start": "2026-12-03", "end": "2026-12-05", "grain": "day"},
            "extractor": "ChineseTimeExtractor",
        },
        {
            "entity": "time",
            "start": 13,
            "end": 19,
            "value": "2026-11-26T18:00",
            "confidence": 1.0,
            "additional_info": {
                "start": "2026-11-26T18:00",
                "end": "2026-11-26T18:00",
                "grain": "minute",
            },
            "extractor": "ChineseTimeExtractor",
        },
    ]


def test_time_extractor_reads_reference_time_per_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extractor = create(ChineseTimeExtractor, tmp_path)
    monkeypatch.setenv("BOT_NOW", "2026-11-26T10:00")
    assert process(extractor, "明天")[0]["value"] == "2026-11-27"
    monkeypatch.setenv("BOT_NOW", "2027-03-01T10:00")
    assert process(extractor, "明天")[0]["value"] == "2027-03-02"


def test_identifier_extractor_adds_valid_numbers_only(tmp_path: Path) -> None:
    entities = process(create(IdentifierExtractor, tmp_path), TEXT_WITH_EVERYTHING)
    assert [(e["entity"], e["value"], e["extractor"]) for e in entities] == [
        ("phone", "13812345678", "IdentifierExtractor"),
        ("id_number", "11010519491231002X", "IdentifierExtractor"),
    ]


def test_extractors_keep_entities_already_on_the_message(tmp_path: Path) -> None:
    message = Message(data={TEXT: "电话13812345678", ENTITIES: [{"entity": "room_type"}]})
    create(IdentifierExtractor, tmp_path).process([message])
    assert [e["entity"] for e in message.get(ENTITIES)] == ["room_type", "phone"]


def test_messages_without_text_are_left_alone(tmp_path: Path) -> None:
    message = Message(data={})
    create(ChineseTimeExtractor, tmp_path).process([message])
    assert message.get(ENTITIES) is None
