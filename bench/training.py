"""How long `make train` takes: the same `rasa train` arguments, into a throwaway folder."""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.launcher import RASA_DIR, server_env
from bot.store.database import PROJECT_ROOT

# As the Makefile's $(MODEL) rule; --force because an unchanged project would otherwise be
# "trained" in seconds from Rasa's cache.
TRAIN_DATA = ["data", str(RASA_DIR / "rules.yml"), str(RASA_DIR / "stories.yml")]


@dataclass(frozen=True)
class Training:
    wall_seconds: float
    cpu_seconds: float  # user + system of rasa and its children
    peak_mib: float  # the largest child's VmHWM
    model_mib: float


def train() -> Training:
    """Run before any server: the children's peak RSS is the largest of all children so far."""
    rasa = str(Path(sys.executable).with_name("rasa"))
    with tempfile.TemporaryDirectory(prefix="bench-train-") as out:
        command = [rasa, "train", "--config", str(RASA_DIR / "config.yml"),
                   "--domain", str(RASA_DIR / "domain"), "--data", *TRAIN_DATA,
                   "--out", out, "--fixed-model-name", "bot", "--force"]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(
            command, cwd=PROJECT_ROOT, env=server_env(), stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        if result.returncode:
            raise RuntimeError(f"rasa train failed:\n{result.stderr[-3000:]}")
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        model_mib = (Path(out) / "bot.tar.gz").stat().st_size / 1024**2
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Training(wall, cpu, after.ru_maxrss / 1024, model_mib)
