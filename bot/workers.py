"""How many Rasa server processes run (Rasa's own `SANIC_WORKERS`), and what several need.

Rasa lets several Sanic workers share the server's port once the lock store is not its
in-memory one. Ours (`EnvLockStore`) is a custom class that is in-memory without REDIS_URL,
which Rasa cannot see, so the rule is checked here, by the launcher and by the lock store.
"""

from __future__ import annotations

from collections.abc import Mapping


class WorkerSettingError(ValueError):
    """SANIC_WORKERS asks for something the rest of the settings cannot support."""


def rasa_workers(env: Mapping[str, str]) -> int:
    raw = env.get("SANIC_WORKERS") or "1"
    try:
        workers = int(raw)
    except ValueError:
        raise WorkerSettingError(f"SANIC_WORKERS must be a whole number, not {raw!r}") from None
    if workers < 1:
        raise WorkerSettingError(f"SANIC_WORKERS must be at least 1, not {workers}")
    if workers > 1 and not env.get("REDIS_URL"):
        # Without shared locks two processes could answer one conversation at once, and a
        # platform's re-sent message that lands on the other process would be run again.
        raise WorkerSettingError(
            f"SANIC_WORKERS={workers} needs REDIS_URL: several Rasa processes share "
            "conversation locks, de-duplication and access tokens through Redis"
        )
    return workers
