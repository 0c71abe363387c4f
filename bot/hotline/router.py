"""Propose the category and the department (承办单位) of a hotline message for the shift lead.

Two signals are combined. Keyword rules from the departments' duties in departments.yml are
precise and editable without code: the most specific phrase wins (桥+栏杆 -> 住建局 beats
桥梁 -> 交运局). A TF-IDF model over character n-grams with logistic regression, trained at
first use on the duty phrases, the examples and the train part of the labelled messages,
covers what no phrase names. Below REVIEW_THRESHOLD the shift lead confirms instead of the bot
guessing. `python -m bot route TEXT` prints one JSON object; `route -` reads one message a line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import time
from dataclasses import dataclass
from functools import cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.hotline.directory import Directory, Phrase, load_directory, normalise
from bot.hotline.labelled import LabelledMessage, load_labelled, split

CATEGORIES = ("suggestion", "request", "help", "complaint", "consult", "praise")
CATEGORY_CUES: dict[str, tuple[str, ...]] = {
    "suggestion": ("建议", "提个建议", "提议", "希望能", "能不能增", "能不能加", "最好能"),
    "help": ("求助", "求求", "帮帮", "救救", "救命", "困难", "怎么办啊", "没办法了", "揭不开锅"),
    "request": ("麻烦", "派人", "来人", "处理一下", "管一下", "来修", "尽快", "赶紧"),
    "complaint": ("投诉", "举报", "态度恶劣", "态度差", "不作为", "乱收费", "欺骗", "骗人", "太差"),
    "consult": ("请问", "想问", "问一下", "问下", "咨询", "怎么办理", "去哪里办", "要带", "多少钱"),
    "praise": ("表扬", "点赞", "感谢", "谢谢", "辛苦了", "锦旗", "致谢"),
}
# Greetings and grumbles about getting through say nothing about the matter.
_NOISE = re.compile(
    r"(市长热线|12345)?(你好|您好)+[,.!。，！\s]*"
    r"|[^,.!?。，！？]{0,12}(电话|热线)[^,.!?。，！？]{0,12}(打不通|打进来|没人接|难打)[^,.!?。，！？]*"
)
# From 5-fold cross-validation on the train part (bench/route_eval.py --threshold-curve): below
# 0.4 about half the departments are right (about 16% of messages), above it about 92%.
REVIEW_THRESHOLD = 0.4
URGENT_CATEGORIES = ("request", "help", "complaint")
BATCH = 256
# The seed sends out-of-scope matters elsewhere whatever else the message is about (贪污 in a
# road project is for 12388, not 交运局), so a scope keyword outweighs a duty of equal length.
SCOPE_FACTOR = 2.0
# The seed also names the category of out-of-scope matters (crimes and civil disputes are 求助,
# officials' misconduct 投诉举报): a message routed to a scope counts as a cue this long for its
# category.
SCOPE_CATEGORY_CUE = 4.0


@dataclass(frozen=True)
class Route:
    category: str
    department: str | None
    confidence: float
    scope: str | None
    needs_review: bool
    urgent: bool
    guidance: str | None = None  # the out-of-scope reply to give, when scope is set

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "department": self.department,
            "confidence": round(self.confidence, 3),
            "scope": self.scope,
            "needs_review": self.needs_review,
            "urgent": self.urgent,
            "guidance": self.guidance,
        }


def _blend(labels: list[str], model: np.ndarray, rules: dict[str, float]) -> np.ndarray:
    """Mix the model's probabilities with the rule scores; strong rule hits count for more."""
    if not rules:
        return model
    scores = np.array([rules.get(label, 0.0) for label in labels])
    strength = scores.max()
    weight = 0.8 * strength / (strength + 2.0)
    return weight * scores / scores.sum() + (1 - weight) * model


class Router:
    def __init__(self, directory: Directory, training: list[LabelledMessage]) -> None:
        self.directory = directory
        self._phrases: list[tuple[str, Phrase, float]] = []
        docs: list[str] = []
        targets: list[str] = []
        for department in directory.departments:
            names = [Phrase(n, (normalise(n),)) for n in (department.name, *department.aliases)]
            for phrase in (*department.duties, *names):
                self._phrases.append((department.name, phrase, 1.0))
                docs.append(" ".join(phrase.parts))
                targets.append(department.name)
            docs += department.examples
            targets += [department.name] * len(department.examples)
        for scope in directory.scopes:
            for phrase in scope.keywords:
                self._phrases.append((f"scope:{scope.scope}", phrase, SCOPE_FACTOR))
                docs.append(" ".join(phrase.parts))
                targets.append(f"scope:{scope.scope}")
        docs += [self._matter(m.text) for m in training]
        targets += [m.target for m in training]
        self._targets_vectorizer, self._targets_model = self._fit(docs, targets)

        cue_docs = [cue for cues in CATEGORY_CUES.values() for cue in cues]
        cue_labels = [category for category, cues in CATEGORY_CUES.items() for _ in cues]
        self._category_vectorizer, self._category_model = self._fit(
            [*cue_docs, *(self._matter(m.text) for m in training)],
            [*cue_labels, *(m.category for m in training)],
            class_weight="balanced",  # complaints outnumber praise twenty to one
        )

    @staticmethod
    def _fit(
        docs: list[str], labels: list[str], class_weight: str | None = None
    ) -> tuple[TfidfVectorizer, LogisticRegression]:
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        features = vectorizer.fit_transform(docs)
        # saga trains in well under a second here, where lbfgs takes several.
        model = LogisticRegression(
            C=20.0,
            solver="saga",
            max_iter=300,
            tol=1e-3,
            class_weight=class_weight,
            random_state=0,  # saga shuffles; a fixed seed makes routes reproducible
        )
        return vectorizer, model.fit(features, labels)

    @staticmethod
    def _matter(text: str) -> str:
        return _NOISE.sub(" ", normalise(text))

    def rule_scores(self, text: str) -> dict[str, float]:
        """Summed weights of the matched phrases per target, most specific match first: a
        match lying inside a longer match (停车 in 停车费) does not count."""
        hits = [(t, p, f, s) for t, p, f in self._phrases if (s := p.spans(text)) is not None]
        scores: dict[str, float] = {}
        for target, phrase, factor, spans in hits:
            shadowed = any(
                other.weight > phrase.weight
                and all(any(a <= s0 and s1 <= b for a, b in other_spans) for s0, s1 in spans)
                for _, other, _, other_spans in hits
            )
            if not shadowed:
                scores[target] = scores.get(target, 0.0) + phrase.weight * factor
        return scores

    def route(self, text: str) -> Route:
        return self.route_many([text])[0]

    def route_many(self, texts: list[str]) -> list[Route]:
        """Route a batch: the models score all texts at once, which is several times faster."""
        matters = [self._matter(text) for text in texts]
        target_probs = self._targets_model.predict_proba(
            self._targets_vectorizer.transform(matters)
        )
        category_probs = self._category_model.predict_proba(
            self._category_vectorizer.transform(matters)
        )
        return [
            self._decide(matter, targets, categories)
            for matter, targets, categories in zip(
                matters, target_probs, category_probs, strict=True
            )
        ]

    def _decide(self, matter: str, target_model: np.ndarray, category_model: np.ndarray) -> Route:
        target_labels = list(self._targets_model.classes_)
        target_probs = _blend(target_labels, target_model, self.rule_scores(matter))
        best = int(target_probs.argmax())
        target, confidence = target_labels[best], float(target_probs[best])

        scope = (
            self.directory.scope(target.removeprefix("scope:"))
            if target.startswith("scope:")
            else None
        )
        category_labels = list(self._category_model.classes_)
        cues = {
            category: float(sum(len(cue) for cue in cues if cue in matter))
            for category, cues in CATEGORY_CUES.items()
        }
        if scope is not None and scope.category:
            cues[scope.category] += SCOPE_CATEGORY_CUE
        category_probs = _blend(
            category_labels,
            category_model,
            {category: score for category, score in cues.items() if score},
        )
        category = category_labels[int(category_probs.argmax())]

        if scope is not None:
            return Route(
                category=category,
                department=None,
                confidence=confidence,
                scope=scope.scope,
                needs_review=confidence < REVIEW_THRESHOLD,
                urgent=scope.scope == "110",
                guidance=scope.guidance,
            )
        department = self.directory.department(target)
        urgent = category in URGENT_CATEGORIES and any(
            phrase.spans(matter) is not None for phrase in department.urgent
        )
        return Route(
            category=category,
            department=department.name,
            confidence=confidence,
            scope=None,
            needs_review=confidence < REVIEW_THRESHOLD,
            urgent=urgent,
        )


@cache
def default_router() -> Router:
    train, _ = split(load_labelled())
    return Router(load_directory(), train)


def route(text: str) -> Route:
    return default_router().route(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot route",
        description="Propose the category and department of a 12345 hotline message.",
    )
    parser.add_argument("text", help='the message, or "-" for one message per line on stdin')
    args = parser.parse_args(argv)
    router = default_router()
    if args.text != "-":
        print(json.dumps(router.route(args.text).as_dict(), ensure_ascii=False))
        return 0
    started, count = time.perf_counter(), 0
    # One JSON line for every input line, blank ones included, so outputs line up with inputs;
    # lines are routed BATCH at a time for speed, each batch written as soon as it is done.
    while batch := list(itertools.islice(sys.stdin, BATCH)):
        for result in router.route_many(batch):
            sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        count += len(batch)
    elapsed = time.perf_counter() - started
    print(
        f"{count} lines in {elapsed:.2f} s ({count / max(elapsed, 1e-9):.0f} lines/s)",
        file=sys.stderr,
    )
    return 0
