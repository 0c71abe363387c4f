"""TED's prediction is skipped when a policy that outranks it is already certain.

Rasa runs every policy for every next-action prediction, then keeps one: the most confident,
and among equally confident ones the highest priority. Once the memoization or rule policy
predicts an action with confidence 1.0, TED (the lowest priority) cannot win, yet its
TensorFlow model ran anyway: about a fifth of a Rasa server's CPU under load, mostly spent on
turns that a form or a rule decides (docs/benchmarks.md). TED's prediction is then left
empty instead, and the ensemble picks what it would have picked.

Rasa gives every policy of a prediction the same tracker and runs them in the configured
order; the certain prediction is noted on the tracker, against its last event, for TED to
read. If TED runs first, or the note is from another prediction, TED runs as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected
from rasa.shared.core.trackers import DialogueStateTracker

# On a tracker: (its last event, the highest priority certain of the next action so far).
SETTLED = "_bot_settled_prediction"

Predict = Callable[..., PolicyPrediction]
_rasa_predicts: dict[type[Policy], Predict] = {}


def _noting(policy_class: type[Policy]) -> Predict:
    rasa_predict = _rasa_predicts.setdefault(
        policy_class, policy_class.predict_action_probabilities
    )

    def predict(
        self: Policy, tracker: DialogueStateTracker, domain: Domain, *args: Any, **kwargs: Any
    ) -> PolicyPrediction:
        prediction = rasa_predict(self, tracker, domain, *args, **kwargs)
        if prediction.max_confidence >= 1.0:
            last = _last_event(tracker)
            noted = tracker.__dict__.get(SETTLED)
            if noted is None or noted[0] is not last or noted[1] < self.priority:
                tracker.__dict__[SETTLED] = (last, self.priority)
        return prediction

    return predict


def _ted_predict(
    self: TEDPolicy,
    tracker: DialogueStateTracker,
    domain: Domain,
    rule_only_data: dict[str, Any] | None = None,
    precomputations: Any = None,
    **kwargs: Any,
) -> PolicyPrediction:
    noted = tracker.__dict__.pop(SETTLED, None)
    if (
        noted is not None
        and noted[0] is _last_event(tracker)
        and noted[1] > self.priority
        # With end-to-end features TED's prediction would compete apart from the others.
        and precomputations is None
        and not _rejected(tracker)
    ):
        return self._prediction(self._default_predictions(domain))
    return _rasa_predicts[TEDPolicy](
        self, tracker, domain, rule_only_data, precomputations, **kwargs
    )


def _last_event(tracker: DialogueStateTracker) -> Any:
    return tracker.events[-1] if tracker.events else None


def _rejected(tracker: DialogueStateTracker) -> bool:
    """The ensemble sets a rejected action's confidence to 0 in every prediction: the certain
    prediction may be that action, and TED's then count."""
    for event in reversed(tracker.events):
        if isinstance(event, (ActionExecuted, ActionExecutionRejected)):
            return isinstance(event, ActionExecutionRejected)
    return False


def apply() -> None:
    _rasa_predicts.setdefault(TEDPolicy, TEDPolicy.predict_action_probabilities)
    for policy_class in (MemoizationPolicy, RulePolicy):
        policy_class.predict_action_probabilities = _noting(policy_class)  # type: ignore[method-assign]
    TEDPolicy.predict_action_probabilities = _ted_predict  # type: ignore[method-assign]
