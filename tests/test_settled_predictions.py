"""TED is skipped when a rule or a memorized story is certain, and every prediction stays Rasa's."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from bot import settled_predictions
from bot.launcher import DEFAULT_MODEL, PROJECT_ROOT, RASA_DIR

settled_predictions.apply()

TEST_STORIES = PROJECT_ROOT / "tests" / "rasa" / "test_stories.yml"


@pytest.fixture(scope="module")
def agents() -> tuple[Agent, Agent]:
    """The model with Rasa's own TED, and with the shortcut. Rasa binds each policy's
    prediction method when it loads the model."""
    shortcut = TEDPolicy.predict_action_probabilities
    TEDPolicy.predict_action_probabilities = settled_predictions._rasa_predicts[TEDPolicy]
    try:
        rasa = Agent.load(str(DEFAULT_MODEL))
    finally:
        TEDPolicy.predict_action_probabilities = shortcut
    return rasa, Agent.load(str(DEFAULT_MODEL))


def conversations(agent: Agent) -> list[DialogueStateTracker]:
    """The trained stories and rules, and the conversation tests, as trackers."""
    trained = TrainingDataImporter.load_from_dict(
        training_data_paths=[str(RASA_DIR / "stories.yml"), str(RASA_DIR / "rules.yml")],
        domain_path=str(RASA_DIR / "domain"),
    )
    tests = TrainingDataImporter.load_from_dict(
        training_data_paths=[str(TEST_STORIES)], domain_path=str(RASA_DIR / "domain")
    )
    return [
        *TrainingDataGenerator(
            trained.get_stories(), agent.domain, augmentation_factor=0
        ).generate(),
        *TrainingDataGenerator(
            tests.get_conversation_tests(), agent.domain, use_story_concatenation=False
        ).generate_story_trackers(),
    ]


def predictions(
    agent: Agent, trackers: list[DialogueStateTracker], ted_runs: list[None] | None = None
) -> list[dict[str, Any]]:
    """What the server would do before every action of every conversation, and whether TED
    ran for it (when its runs are counted in `ted_runs`)."""
    found = []
    for tracker in trackers:
        events = list(tracker.events)
        partial = DialogueStateTracker.from_events(
            tracker.sender_id, events[:1], agent.domain.slots
        )
        for event in events[1:]:
            if isinstance(event, ActionExecuted):
                runs = len(ted_runs or [])
                prediction = agent.processor.predict_next_with_tracker(partial)
                prediction.pop("tracker")
                found.append({**prediction, "ted_ran": len(ted_runs or []) > runs})
            partial.update(event)
    return found


def test_every_prediction_is_the_one_rasa_makes_and_ted_runs_only_when_it_can_win(
    agents, monkeypatch
):
    rasa_agent, agent = agents
    trackers = conversations(agent)
    ted_runs: list[None] = []
    real_ted = settled_predictions._rasa_predicts[TEDPolicy]

    def counted_ted(*args: Any, **kwargs: Any) -> Any:
        ted_runs.append(None)
        return real_ted(*args, **kwargs)

    monkeypatch.setitem(settled_predictions._rasa_predicts, TEDPolicy, counted_ted)
    shortcut = predictions(agent, trackers, ted_runs)
    rasa = predictions(rasa_agent, trackers)
    assert len(shortcut) > 300
    assert [{**p, "ted_ran": False} for p in shortcut] == rasa

    # TED ran exactly for the predictions no rule or memorized story was certain of, which
    # are those that such a policy did not win with confidence 1.
    for prediction in shortcut:
        certain = prediction["confidence"] >= 1.0 and prediction["policy"] != "TEDPolicy"
        assert prediction["ted_ran"] is not certain, prediction
    # Forms and rules decide most turns.
    assert 0 < len(ted_runs) < len(shortcut) / 2
