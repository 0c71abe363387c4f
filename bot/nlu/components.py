"""Rasa NLU entity extractors for Chinese times, phone numbers and ID numbers.

Referenced from config.yml after the tokenizer:
    - name: bot.nlu.components.ChineseTimeExtractor
    - name: bot.nlu.components.IdentifierExtractor
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.chinese_time import TimeMention, find_times, reference_now
from bot.nlu.identifiers import IdentifierMatch, extract_id_numbers, extract_phones


class _RuleExtractor(GraphComponent, EntityExtractorMixin):
    """A stateless extractor: nothing to train, persist or configure."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _RuleExtractor:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            extracted = self.add_extractor_name(self._entities(text))
            message.set(ENTITIES, message.get(ENTITIES, []) + extracted, add_to_output=True)
        return messages

    def _entities(self, text: str) -> list[dict[str, Any]]:
        raise NotImplementedError


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class ChineseTimeExtractor(_RuleExtractor):
    """Adds a `time` entity per date/time expression, resolved against `reference_now()`."""

    def __init__(self) -> None:
        find_times("明天")  # load jionlp (~0.2 s) at startup, not on the first chat message

    def _entities(self, text: str) -> list[dict[str, Any]]:
        # Read per message so a long-running server follows the clock (or BOT_NOW).
        return [_time_entity(m) for m in find_times(text, reference_now())]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class IdentifierExtractor(_RuleExtractor):
    """Adds `phone` and `id_number` entities for valid numbers only."""

    def _entities(self, text: str) -> list[dict[str, Any]]:
        phones = [_identifier_entity("phone", m) for m in extract_phones(text) if m.valid]
        ids = [_identifier_entity("id_number", m) for m in extract_id_numbers(text) if m.valid]
        return sorted(phones + ids, key=lambda entity: entity["start"])


def _time_entity(mention: TimeMention) -> dict[str, Any]:
    value = mention.value
    return {
        "entity": "time",
        "start": mention.start_char,
        "end": mention.end_char,
        "value": f"{value.start}/{value.end}" if value.is_range else value.start,
        "confidence": 1.0,
        "additional_info": value.as_dict(),
    }


def _identifier_entity(entity: str, match: IdentifierMatch) -> dict[str, Any]:
    return {
        "entity": entity,
        "start": match.start,
        "end": match.end,
        "value": match.value,
        "confidence": 1.0,
    }
