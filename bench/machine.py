"""What a figure was measured on: the doc's rule is that a figure without its context is void."""

from __future__ import annotations

import hashlib
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import rasa


def _first_field(path: str, key: str) -> str:
    for line in Path(path).read_text().splitlines():
        if line.startswith(key):
            return line.split(":", 1)[1].strip()
    return "unknown"


def _running_module() -> str:
    """The benchmark's module, as `python -m` was given it."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return spec.name if spec is not None else "bench.run"


def describe(model: Path) -> list[tuple[str, str]]:
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    mtime = datetime.fromtimestamp(model.stat().st_mtime, tz=timezone.utc)
    memory_gib = int(_first_field("/proc/meminfo", "MemTotal").split()[0]) / 1024**2
    return [
        ("date", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("command", " ".join([f"python -m {_running_module()}", *sys.argv[1:]])),
        ("cpu", f"{len(os.sched_getaffinity(0))} × {_first_field('/proc/cpuinfo', 'model name')}"),
        ("memory", f"{memory_gib:.1f} GiB"),
        ("software", f"Python {platform.python_version()}, Rasa {rasa.__version__}"),
        ("model", f"{model} sha256 {digest[:16]}, {mtime:%Y-%m-%d %H:%M} UTC"),
    ]


def loop_seconds(additions: int = 20_000_000) -> float:
    """Seconds this process takes for `additions` additions in a Python loop. On a shared VM a
    core's speed changes from minute to minute; timed before and after a run, it tells a slow
    machine from a slow change. (Inside a function the loop is faster than the same lines run
    as a script with `python -c`: compare runs of this with each other only.)"""
    started = time.perf_counter()
    total = 0
    for i in range(additions):
        total += i
    return time.perf_counter() - started


def steal_seconds() -> float:
    """CPU seconds, over all cores, that the hypervisor has given to other machines since boot
    (/proc/stat's steal): a shared VM's slow spells, read beside the figures they slow."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")
