"""`python -m bench.route_eval`: the hotline router's accuracy on the held-out labelled messages.

The router is trained on the train part only (bot/hotline/labelled.py splits by a hash of the
text). `--threshold-curve` cross-validates on the train part to choose the review threshold
without looking at the held-out part.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

from bot.hotline.directory import load_directory
from bot.hotline.labelled import LabelledMessage, load_labelled, split
from bot.hotline.router import REVIEW_THRESHOLD, Router


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.1%}" if whole else "0/0"


def evaluate(router: Router, messages: list[LabelledMessage]) -> None:
    routes = [router.route(m.text) for m in messages]
    category_ok = sum(r.category == m.category for r, m in zip(routes, messages, strict=True))
    target_ok = [
        (r.department or f"scope:{r.scope}") == m.target
        for r, m in zip(routes, messages, strict=True)
    ]
    department_pairs = [
        (r, m, ok) for r, m, ok in zip(routes, messages, target_ok, strict=True) if m.department
    ]
    scope_pairs = [
        (r, m, ok) for r, m, ok in zip(routes, messages, target_ok, strict=True) if m.scope
    ]
    confident = [ok for r, ok in zip(routes, target_ok, strict=True) if not r.needs_review]
    print(f"held-out messages: {len(messages)}")
    print(f"category accuracy:   {share(category_ok, len(messages))}")
    print(
        f"department accuracy: {share(sum(ok for *_, ok in department_pairs), len(department_pairs))}"
    )
    print(f"scope accuracy:      {share(sum(ok for *_, ok in scope_pairs), len(scope_pairs))}")
    print(f"department-or-scope accuracy: {share(sum(target_ok), len(messages))}")
    print(
        f"needs_review (confidence < {REVIEW_THRESHOLD}): {share(len(messages) - len(confident), len(messages))}"
    )
    print(f"accuracy of the rest: {share(sum(confident), len(confident))}")
    confusions = Counter(
        (m.target, r.department or f"scope:{r.scope}")
        for r, m, ok in zip(routes, messages, target_ok, strict=True)
        if not ok
    )
    print("\ndepartment confusions (expected -> routed: count):")
    for (expected, got), count in confusions.most_common():
        print(f"  {expected} -> {got}: {count}")
    category_confusions = Counter(
        (m.category, r.category)
        for r, m in zip(routes, messages, strict=True)
        if r.category != m.category
    )
    print("category confusions (expected -> routed: count):")
    for (expected, got), count in category_confusions.most_common():
        print(f"  {expected} -> {got}: {count}")
    print("\nmisrouted:")
    for r, m, ok in zip(routes, messages, target_ok, strict=True):
        if not ok:
            routed = r.department or f"scope:{r.scope}"
            print(f"  [{m.target} -> {routed} {r.confidence:.2f}] {m.text}")


def threshold_curve(train: list[LabelledMessage], folds: int = 5) -> None:
    """Department accuracy by confidence band, cross-validated on the train part."""
    shuffled = sorted(train, key=lambda m: m.text)
    random.Random(0).shuffle(shuffled)
    results: list[tuple[float, bool]] = []
    for fold in range(folds):
        test = shuffled[fold::folds]
        fitted = Router(load_directory(), [m for m in shuffled if m not in test])
        for m in test:
            r = fitted.route(m.text)
            results.append((r.confidence, (r.department or f"scope:{r.scope}") == m.target))
    for threshold in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
        below = [ok for c, ok in results if c < threshold]
        above = [ok for c, ok in results if c >= threshold]
        print(
            f"threshold {threshold:.2f}: review {share(len(below), len(results))}, "
            f"accuracy below {share(sum(below), len(below))}, above {share(sum(above), len(above))}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.route_eval", description=__doc__)
    parser.add_argument("--threshold-curve", action="store_true")
    args = parser.parse_args(argv)
    train, held_out = split(load_labelled())
    print(f"labelled messages: {len(train)} train, {len(held_out)} held out")
    if args.threshold_curve:
        threshold_curve(train)
        return 0
    started = time.perf_counter()
    router = Router(load_directory(), train)
    print(f"trained in {time.perf_counter() - started:.2f} s\n")
    evaluate(router, held_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
