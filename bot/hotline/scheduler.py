"""`python -m bot scheduler`: runs the timers when they are due: the work orders' (催办, 督办,
回访) and the bookings' (the weather note the evening before check-in); and on each poll tells
users waiting in the human queue where they stand (bot/handoff/hold.py).

The timers are rows of `scheduled_jobs`, written by a lifecycle in the same transaction as
the order or booking they belong to, so they survive restarts and are never half-created. The
process polls for due rows; each job runs in its own transaction, claimed with FOR UPDATE SKIP
LOCKED on PostgreSQL so several schedulers can share the table (on SQLite, run one). A handler
gets the job and looks up what it needs (`job.order`, `job.booking`); a job whose order or
booking has moved on (a chase for an order already replied, a note for a cancelled booking)
does nothing. A job that raises is retried with back-off, then marked failed with its error for
someone to read.

Delivery is at least once: a crash between sending a message and committing sends it again.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.booking import lifecycle
from bot.handoff.hold import send_hold_notices
from bot.hotline import workorders
from bot.hotline.clock import aware
from bot.hotline.followup import ask_for_verdict, no_answer
from bot.store.base import utcnow
from bot.store.database import session_scope
from bot.store.workorder import ScheduledJob

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
MAX_ATTEMPTS = 5

Handler = Callable[[Session, ScheduledJob, datetime], Awaitable[None]]


async def _chase(session: Session, job: ScheduledJob, now: datetime) -> None:
    deadline = job.payload["deadline"]
    if job.order.status in workorders.WAITING_FOR[deadline]:
        workorders.chase(job.order, deadline, now)


async def _supervise(session: Session, job: ScheduledJob, now: datetime) -> None:
    deadline = job.payload["deadline"]
    if job.order.status in workorders.WAITING_FOR[deadline]:
        workorders.supervise(job.order, deadline, now)


async def _followup(session: Session, job: ScheduledJob, now: datetime) -> None:
    if job.order.status == "replied":
        await ask_for_verdict(session, job.order, now)


async def _followup_timeout(session: Session, job: ScheduledJob, now: datetime) -> None:
    if job.order.status == "follow_up":
        no_answer(session, job.order, now)


HANDLERS: dict[str, Handler] = {
    "chase": _chase,
    "supervise": _supervise,
    "followup": _followup,
    "followup_timeout": _followup_timeout,
    lifecycle.WEATHER_CARE: lifecycle.send_weather_care,
}


def _claim(session: Session, now: datetime) -> ScheduledJob | None:
    return session.execute(
        select(ScheduledJob)
        .where(ScheduledJob.status == "pending", ScheduledJob.due_at <= now)
        .order_by(ScheduledJob.due_at, ScheduledJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()


def _retry_later(job_id: int, error: Exception, now: datetime) -> None:
    with session_scope() as session:
        job = session.get(ScheduledJob, job_id)
        job.attempts += 1
        job.last_error = f"{type(error).__name__}: {error}"
        if job.attempts >= MAX_ATTEMPTS:
            job.status, job.finished_at = "failed", now
        else:
            job.due_at = now + timedelta(minutes=2**job.attempts)


async def run_one(now: datetime) -> bool:
    """Run the next due job, if there is one; whether there was."""
    job_id = None
    try:
        with session_scope() as session:
            job = _claim(session, now)
            if job is None:
                return False
            job_id = job.id
            await HANDLERS[job.kind](session, job, now)
            job.status, job.finished_at = "done", now
    except Exception as error:  # noqa: BLE001 (one bad job must not stop the others)
        if job_id is None:
            raise
        log.exception("scheduled job %s failed", job_id)
        _retry_later(job_id, error, now)
    return True


async def run_due(now: datetime | None = None) -> int:
    """Run every job due at `now`; how many ran."""
    now = aware(now or utcnow()).astimezone(timezone.utc)
    count = 0
    while await run_one(now):
        count += 1
    return count


async def run_forever(poll_seconds: float = POLL_SECONDS) -> None:
    while True:
        try:
            await run_due()
            # The queue's hold rule rides on the same poll: it needs no rows of its own.
            await send_hold_notices()
        except Exception:  # noqa: BLE001 (a database outage must not end the process)
            log.exception("scheduler poll failed; trying again")
        await asyncio.sleep(poll_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot scheduler", description=__doc__)
    parser.add_argument("--poll", type=float, default=POLL_SECONDS, help="seconds between polls")
    parser.add_argument("--once", action="store_true", help="run what is due now and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        if args.once:
            print(asyncio.run(run_due()))
        else:
            asyncio.run(run_forever(args.poll))
    except KeyboardInterrupt:
        pass
    return 0
