"""`make eval`: NLU scores on the held-out set and `rasa test` end-to-end stories.

The held-out set (`eval/nlu_holdout.yml`) is never trained on. The stories in
`tests/rasa/test_stories.yml` run against the real action server, with "now" fixed so that
their dates mean the same every day.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from bot.launcher import DEFAULT_MODEL, Servers, server_env
from bot.store.database import PROJECT_ROOT, migrate

HOLDOUT = PROJECT_ROOT / "eval" / "nlu_holdout.yml"
# Hand-annotated times, mobiles and ID numbers for the rule-based extractors.
EXTRACTOR_HOLDOUT = PROJECT_ROOT / "eval" / "extractors_holdout.yml"
STORIES = PROJECT_ROOT / "tests" / "rasa" / "test_stories.yml"
RESULTS = PROJECT_ROOT / "results" / "eval"
BOT_NOW = "2026-11-26T10:00"
# Rasa reports every gold label under every extractor; each is scored on what it extracts,
# on the held-out set that annotates it.
MODEL_ENTITIES = {"DIETClassifier": {"city", "hotel_name", "room_type", "departure_city",
                                     "arrival_city", "person_name"}}  # fmt: skip
RULE_ENTITIES = {"ChineseTimeExtractor": {"time"}, "IdentifierExtractor": {"phone", "id_number"}}
ACTIONS_PORT = 5355


def rasa(*args: str, env: dict[str, str]) -> None:
    """Run a rasa command; its long console output goes to results/eval/rasa.log."""
    command = [str(Path(sys.executable).with_name("rasa")), *args]
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (RESULTS / "rasa.log").open("ab") as log:
        subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True, stdout=log, stderr=log)


def test_nlu(model: Path, env: dict[str, str], holdout: Path, out: Path) -> None:
    rasa("test", "nlu", "--model", str(model), "--nlu", str(holdout), "--out", str(out), env=env)


def entity_scores(out: Path, extracted_by: dict[str, set[str]]) -> dict[str, dict]:
    scores = {}
    for extractor, names in extracted_by.items():
        report = json.loads((out / f"{extractor}_report.json").read_text(encoding="utf-8"))
        for name in sorted(names & report.keys()):
            scores[f"{name} ({extractor})"] = report[name]
    return scores


def evaluate_nlu(model: Path, env: dict[str, str]) -> dict:
    out, rules_out = RESULTS / "nlu", RESULTS / "extractors"
    test_nlu(model, env, HOLDOUT, out)
    test_nlu(model, env, EXTRACTOR_HOLDOUT, rules_out)
    intents = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    entities = {**entity_scores(out, MODEL_ENTITIES), **entity_scores(rules_out, RULE_ENTITIES)}
    return {"intents": intents, "entities": entities}


def evaluate_stories(model: Path, env: dict[str, str], work: Path) -> dict:
    endpoints = {"action_endpoint": {"url": f"http://127.0.0.1:{ACTIONS_PORT}/webhook"}}
    (work / "endpoints.yml").write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    out = RESULTS / "core"
    with (
        (RESULTS / "actions.log").open("wb") as log,
        Servers(services=("actions",), actions_port=ACTIONS_PORT, env=env, log=log),
    ):
        rasa("test", "core", "--model", str(model), "--stories", str(STORIES),
             "--endpoints", str(work / "endpoints.yml"), "--out", str(out), env=env)  # fmt: skip
    report = json.loads((out / "story_report.json").read_text(encoding="utf-8"))
    failed = out / "failed_test_stories.yml"
    failures = yaml.safe_load(failed.read_text(encoding="utf-8")) if failed.exists() else None
    stories = (failures or {}).get("stories") or []
    return {"report": report, "failed": [story["story"] for story in stories]}


def print_report(nlu: dict, core: dict) -> None:
    intents = nlu["intents"]
    print("\nNLU on the held-out set (eval/nlu_holdout.yml)")
    print(f"  intent accuracy  {intents['accuracy']:.3f}")
    print(f"  intent macro-F1  {intents['macro avg']['f1-score']:.3f}")
    worst = sorted(
        (name, s["f1-score"]) for name, s in intents.items() if isinstance(s, dict)
        and name not in ("micro avg", "macro avg", "weighted avg")
    )  # fmt: skip
    for name, f1 in sorted(worst, key=lambda item: item[1])[:5]:
        print(f"    lowest: {name:<20} F1 {f1:.3f}")
    print(
        "  entity F1 (per entity, by extractor; time/phone/id_number on eval/extractors_holdout.yml)"
    )
    for name, scores in sorted(nlu["entities"].items()):
        print(f"    {name:<42} F1 {scores['f1-score']:.3f}  (support {scores['support']})")
    print("\nEnd-to-end stories (tests/rasa/test_stories.yml)")
    action = core["report"].get("conversation_accuracy") or {}
    if action:
        print(f"  conversation accuracy {action.get('accuracy', 0):.3f} "
              f"({action.get('correct')}/{action.get('total')})")  # fmt: skip
    print(f"  failed stories: {len(core['failed'])}")
    for name in core["failed"]:
        print(f"    {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        database_url = f"sqlite:///{work / 'eval.db'}"
        migrate(database_url)
        env = server_env({"DATABASE_URL": database_url, "BOT_NOW": BOT_NOW})
        nlu = evaluate_nlu(args.model, env)
        core = evaluate_stories(args.model, env, work)
    print_report(nlu, core)
    (RESULTS / "summary.json").write_text(
        json.dumps({"nlu": nlu, "stories": core}, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return 1 if core["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
