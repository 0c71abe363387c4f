"""`python -m bot migrate`: upgrade the configured database to the newest schema."""

from __future__ import annotations

import argparse

from bot.store.database import database_url, migrate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot migrate", description=__doc__)
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file)")
    args = parser.parse_args(argv)
    migrate(args.url or database_url())
    return 0
