"""Plain-text tables for the terminal and for docs/benchmarks.md (they are pasted as they are)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bench.load import Latencies


def table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    """Columns padded to their widest cell; the first left-aligned, the rest right-aligned."""
    cells = [list(header), *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        padded = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append(indent + "  ".join(padded).rstrip())
    return "\n".join(lines)


def ms(seconds: float) -> str:
    return "—" if math.isnan(seconds) else f"{seconds * 1000:.0f}"


def ratio(ours: float, baseline: float) -> str:
    return (
        "—"
        if not baseline or math.isnan(ours) or math.isnan(baseline)
        else f"{ours / baseline:.2f}×"
    )


def latency_row(label: str, latencies: Latencies) -> list[str]:
    """label, p50, p90, p99 (ms), messages/s, messages measured."""
    rate = latencies.rate
    return [
        label,
        *(ms(latencies.p(q)) for q in (50, 90, 99)),
        "—" if math.isnan(rate) else f"{rate:.1f}",
        str(len(latencies.seconds)),
    ]
