"""`python -m bot COMMAND …`: the command line for deployers and operators.

Each command's options live with the module that does the work (its `main(argv)`), so this
file only dispatches.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "run": ("bot.launcher", "start the Rasa and action servers, the scheduler and the console"),
    "parse-time": ("bot.nlu.chinese_time", "normalise a Chinese time expression to ISO"),
    "route": ("bot.hotline.router", "propose the category and department of hotline messages"),
    "migrate": ("bot.store.migrate", "bring the database schema to the newest revision"),
    "export": ("bot.store.export", "export bookings, work orders or conversations (JSON, CSV)"),
    "scheduler": (
        "bot.hotline.scheduler",
        "run the timers (work orders' chase, supervise, follow-up; bookings' weather note) "
        "and the queue's hold notices",
    ),
    "report": (
        "bot.handoff.reports",
        "the shift lead's report: handoffs, waits, deadlines, verdicts",
    ),
    "department": ("bot.hotline.tokens", "departments' API tokens: department token NAME"),
    "operator": ("bot.handoff.operators", "console accounts: operator add|passwd|disable|list"),
    "console": ("bot.handoff.console.app", "serve the operator console alone (port 5002)"),
}


def usage() -> str:
    lines = ["usage: python -m bot COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<12} {summary}" for name, (_, summary) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(usage(), file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
