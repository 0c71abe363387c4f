"""The service lines a platform account or a conversation serves, with the names users see.

Each picks the greeting, closings and flows (issue 4). Values arriving from outside (a REST
client's metadata, an environment variable) are checked against this list before use.
"""

from __future__ import annotations

SERVICE_LINES = {"travel": "康飞旅行网", "hotline": "12345市长热线"}
DEFAULT_SERVICE_LINE = "travel"


def known_service_line(value: object) -> str | None:
    """`value` if it names a service line, else None (any JSON value may arrive here)."""
    return value if isinstance(value, str) and value in SERVICE_LINES else None
