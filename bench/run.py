"""`make bench`: the bot's speed over Rasa's REST channel, beside Rasa's stock stores.

Follows ../shared/docs/benchmarks.md: thinking users (exponential think time, mean 1 s), a
warm-up that is not counted, the cold turns reported apart, an open-loop saturation search, and
a baseline measured in the same run: the same model and action server on Rasa's in-memory
tracker store without an event broker, so the ratio is what SQL persistence costs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field

from bench import load, machine
from bench.conversations import SCRIPTS
from bench.load import Latencies, Outcome, Step, percentile
from bench.report import latency_row, ms, ratio, table
from bench.stack import BASELINE, FULL, Stack, peak_memory, running
from bench.training import Training, train
from bench.wechat_load import Rest, cold_pass, merged, open_loop, thinking_users
from bot.launcher import DEFAULT_MODEL

TARGET_P99 = 0.300  # seconds, at 20 thinking users
SATURATED_P99 = 1.0
RATES = (5, 10, 15, 20, 30, 40, 50, 60, 80)  # msg/s offered, step by step


@dataclass(frozen=True)
class Settings:
    users: int
    warmup: float
    duration: float
    step_seconds: float
    saturation_budget: float  # seconds for all steps together
    parse_rounds: int


@dataclass
class Figures:
    """Everything measured on one stack."""

    cold: Latencies = field(default_factory=Latencies)
    parse: Latencies = field(default_factory=Latencies)
    loads: dict[int, Latencies] = field(default_factory=dict)  # by number of users
    saturation: list[Step] = field(default_factory=list)
    memory: list[tuple[str, float]] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)

    def absorb(self, outcome: Outcome) -> None:
        self.outcome.completed += outcome.completed
        self.outcome.failures += outcome.failures


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure(stack: Stack, settings: Settings, users: list[int], saturate: bool) -> Figures:
    """Start the stack afresh, then: cold turns, /model/parse, the loads, saturation, memory."""
    figures = Figures()
    progress(f"starting {stack.name}")
    with running(stack) as servers:
        url = servers.rasa_url
        rest = Rest(url)
        cold, outcome = asyncio.run(cold_pass(rest, SCRIPTS))
        figures.cold = cold.latencies
        figures.absorb(outcome)
        progress(f"cold pass done; /model/parse × {settings.parse_rounds} rounds")
        figures.parse = asyncio.run(load.parse_latencies(url, settings.parse_rounds))
        for n in users:
            progress(f"{n} thinking users, {settings.warmup:.0f} s + {settings.duration:.0f} s")
            run = thinking_users([rest], SCRIPTS, n, settings.warmup, settings.duration)
            phases, outcome = asyncio.run(run)
            figures.loads[n] = merged(phases, rest.name).latencies
            figures.absorb(outcome)
        if saturate:
            progress(f"saturation search, ≤ {settings.saturation_budget:.0f} s")
            run = open_loop(
                [rest], SCRIPTS, RATES, settings.step_seconds, settings.saturation_budget
            )
            [figures.saturation], outcome = asyncio.run(run)
            figures.absorb(outcome)
        figures.memory = peak_memory(servers)
    return figures


def users_label(n: int) -> str:
    return "1 user" if n == 1 else f"{n} users"


def latency_section(settings: Settings, full: Figures, base: Figures) -> list[str]:
    n = settings.users
    rows = [
        latency_row("full stack, cold (first conversations)", full.cold),
        latency_row("baseline,   cold (first conversations)", base.cold),
    ]
    rows += [latency_row(f"full stack, {users_label(u)}", full.loads[u]) for u in full.loads]
    rows += [latency_row(f"baseline,   {users_label(u)}", base.loads[u]) for u in base.loads]
    ours, theirs = full.loads[n], base.loads[n]
    rows.append(
        [f"ratio full / baseline, {users_label(n)}"]
        + [ratio(ours.p(q), theirs.p(q)) for q in (50, 90, 99)]
        + [ratio(ours.rate, theirs.rate), ""]
    )
    verdict = "met" if ours.p(99) < TARGET_P99 else "MISSED"
    return [
        f"1. Conversation latency, REST channel, thinking users (mean think 1 s); "
        f"{settings.warmup:.0f} s warm-up, {settings.duration:.0f} s measured",
        table(["", "p50 ms", "p90 ms", "p99 ms", "msg/s", "messages"], rows),
        f"  cold first turn: full stack {ms(full.cold.seconds[0])} ms, "
        f"baseline {ms(base.cold.seconds[0])} ms",
        f"  target p99 < {ms(TARGET_P99)} ms at {users_label(n)}: {verdict} "
        f"(full stack {ms(ours.p(99))} ms, baseline {ms(theirs.p(99))} ms)",
        f"  per flow, full stack at {users_label(n)} (messages, p50 / p99 ms): "
        + "; ".join(
            f"{name} {len(values)}, {ms(percentile(values, 50))} / {ms(percentile(values, 99))}"
            for name, values in sorted(ours.by_script.items())
        ),
    ]


def saturation_section(settings: Settings, steps: list[Step]) -> list[str]:
    rows = [
        [f"{s.offered:g}", f"{s.latencies.rate:.1f}", ms(s.latencies.p(50)),
         ms(s.latencies.p(99)), str(s.failed)]
        for s in steps
    ]  # fmt: skip
    below = [s.offered for s in steps if s.latencies.p(99) <= SATURATED_P99]
    passed = any(s.latencies.p(99) > SATURATED_P99 for s in steps)
    highest = f"{max(below):g} msg/s" if below else f"below {RATES[0]} msg/s"
    return [
        f"2. Saturation, full stack: open-loop Poisson arrivals, {settings.step_seconds:.0f} s "
        f"per step, until p99 > {ms(SATURATED_P99)} ms",
        table(["offered msg/s", "achieved msg/s", "p50 ms", "p99 ms", "failed"], rows),
        f"  highest rate with p99 ≤ {ms(SATURATED_P99)} ms: {highest}"
        + ("" if passed else " (p99 never passed 1 s: the time budget ended the search)"),
    ]


def parse_section(full: Figures, base: Figures) -> list[str]:
    rows = [
        ["full stack", ms(full.parse.p(50)), ms(full.parse.p(99))],
        ["baseline", ms(base.parse.p(50)), ms(base.parse.p(99))],
    ]
    return [
        f"3. /model/parse, sequential, {len(full.parse.seconds)} messages after a warm-up round",
        table(["", "p50 ms", "p99 ms"], rows),
    ]


def training_section(training: Training | None) -> list[str]:
    title = "4. Training (`rasa train --force`, the Makefile's arguments)"
    if training is None:
        return [title, "  not run (add --train)"]
    row = [f"{training.wall_seconds:.0f}", f"{training.cpu_seconds:.0f}",
           f"{training.peak_mib:.0f}", f"{training.model_mib:.1f}"]  # fmt: skip
    return [title, table(["wall s", "CPU s", "peak MiB", "model MiB"], [row])]


def memory_section(full: Figures, base: Figures) -> list[str]:
    baseline = dict(base.memory)
    rows = [
        [name, f"{mib:.0f}", f"{baseline[name]:.0f}" if name in baseline else "—"]
        for name, mib in full.memory
    ]
    return [
        "5. Peak memory (VmHWM) after the loads",
        table(["process", "full stack MiB", "baseline MiB"], rows),
    ]


def render(
    settings: Settings, full: Figures, base: Figures, training: Training | None
) -> tuple[str, bool]:
    """The report, and whether every conversation completed."""
    failures = full.outcome.failures + base.outcome.failures
    completed = full.outcome.completed + base.outcome.completed
    sections = [
        ["Call-centre bot benchmark (docs/benchmarks.md explains the figures)"]
        + [f"  {key:<9} {value}" for key, value in machine.describe(DEFAULT_MODEL)],
        latency_section(settings, full, base),
        saturation_section(settings, full.saturation),
        parse_section(full, base),
        training_section(training),
        memory_section(full, base),
        [f"Conversations completed: {completed}; incomplete: {len(failures)}"]
        + [f"  {failure}" for failure in failures],
    ]
    return "\n\n".join("\n".join(lines) for lines in sections), not failures


def parse_args(argv: list[str] | None) -> tuple[Settings, bool]:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run of about 3 minutes")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (besides 1)")
    parser.add_argument("--duration", type=float, help="measured seconds per load (default 60)")
    parser.add_argument("--train", action="store_true", help="also time a full training")
    args = parser.parse_args(argv)
    if args.quick:
        settings = Settings(args.users, 3, 10, 5, 25, parse_rounds=1)
    else:
        settings = Settings(args.users, 10, 60, 20, 130, parse_rounds=3)
    if args.duration:
        settings = Settings(**{**vars(settings), "duration": args.duration})
    return settings, args.train


def main(argv: list[str] | None = None) -> int:
    settings, with_training = parse_args(argv)
    if not DEFAULT_MODEL.exists():
        print(f"no trained model at {DEFAULT_MODEL}: run `make train` first", file=sys.stderr)
        return 1
    training = None
    if with_training:  # first: its peak memory is read from this process's children
        progress("training into a temp folder")
        training = train()
    full = measure(FULL, settings, sorted({1, settings.users}), saturate=True)
    base = measure(BASELINE, settings, [settings.users], saturate=False)
    report, complete = render(settings, full, base, training)
    print(report)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
