"""The work-order (工单) lifecycle: what the chat intake, the console, the departments' API
and the scheduler call, each a function taking a Session.

Statuses follow the seed's workflow (统一受理、分类办理、限时办结、跟踪督办、反馈回访):

    created ─dispatch→ dispatched ─accept→ accepted ─reply→ replied ─follow_up→ follow_up
       ▲                   │   returned ◄─return─┘                        │ 满意/基本满意 → closed
       └─dispatch─ returned◄┘                       reopened ◄─不满意──────┘
                                                      │ accept / return / reply (back to the department)

A duplicate report starts as `bound` to its main order and is replied with it. Each status
change is a WorkOrderEvent; the timers each deadline needs are ScheduledJob rows written in the
same transaction, so an order and its timers are committed together or not at all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, case, func, or_, select, text, update
from sqlalchemy.orm import Session

from bot.hotline import texts
from bot.hotline.clock import LOCAL, add_working_days, aware, chase_time, end_of_day
from bot.hotline.router import CATEGORIES, Route
from bot.store.base import utcnow
from bot.store.conversation import get_or_create_conversation
from bot.store.workorder import CallbackTask, ScheduledJob, WorkOrder, WorkOrderEvent

# The seed: the lead dispatches within an hour, the department finishes in 3–5 working days.
DISPATCH_WITHIN = timedelta(hours=1)
FINISH_WORKING_DAYS = {
    "help": 3,  # someone is in difficulty now; the seed asks to pass it on at once (及时反映)
    "consult": 3,  # an answer to look up, no site work
    "request": 4,  # usually a site visit or a repair, but a citizen is waiting on it
    "complaint": 5,  # an investigation: records, staff, both sides heard
    "suggestion": 5,  # the unit has to weigh it; nobody is waiting in difficulty
    "praise": 5,  # only to be passed on and acknowledged
}
FOLLOWUP_WORKING_DAYS = 3  # the seed: 回访 within 3 working days of the department's feedback
VERDICTS = ("满意", "基本满意", "不满意")
OPEN_STATUSES = ("created", "dispatched", "accepted", "returned", "replied", "reopened", "bound")
# The statuses each deadline binds in: its chase and supervision fire only there, and an order
# past the deadline in one of them is overdue.
WAITING_FOR = {
    "dispatch": ("created", "returned"),
    "finish": ("dispatched", "accepted", "reopened"),
}
# Duplicates: reports about one thing arrive over days, not weeks.
DUPLICATE_WINDOW = timedelta(days=7)
SAME_PLACE = 0.5
SAME_MATTER = 0.2  # low because the department must match as well
NUMBER_LOCK = 12345  # the advisory lock key that serialises numbering on PostgreSQL


class WorkOrderError(Exception):
    """A request about a work order that cannot be carried out; the message says why."""


class OrderNotFound(WorkOrderError):
    pass


class InvalidTransition(WorkOrderError):
    def __init__(self, order: WorkOrder, action: str) -> None:
        super().__init__(f"cannot {action} work order {order.number} in status {order.status}")
        self.number = order.number
        self.status = order.status
        self.action = action


class NoPendingFollowUp(WorkOrderError):
    pass


class OutOfScope(WorkOrderError):
    """The matter belongs elsewhere (110, 12348, 12388, 信访): guidance, not a work order."""


# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "dispatch": (("created", "returned"), "dispatched"),
    "accept": (("dispatched", "reopened"), "accepted"),
    "return": (("dispatched", "accepted", "reopened"), "returned"),
    "reply": (("accepted", "reopened", "bound"), "replied"),
    "follow_up": (("replied",), "follow_up"),
    "close": (("follow_up",), "closed"),
    "reopen": (("follow_up",), "reopened"),
}


@dataclass(frozen=True)
class CreatedOrder:
    number: str
    status: str
    category: str
    department: str | None
    urgent: bool
    needs_review: bool
    dispatch_due: datetime | None
    finish_due: datetime | None  # provisional until the order is dispatched
    bound_to: str | None  # the main order's number when this report was bound to it
    bound_reason: str | None  # "same_reporter" or "same_matter"


def _utc(now: datetime | None) -> datetime:
    """Every time stored is UTC: SQLite keeps only the wall clock of what it is given."""
    return aware(now or utcnow()).astimezone(timezone.utc)


# --- timers ---------------------------------------------------------------------------------


def schedule(
    session: Session, order: WorkOrder, kind: str, due_at: datetime, **payload: Any
) -> ScheduledJob:
    """A timer on the order; it replaces a pending one of the same kind and payload, so a
    deadline moved (re-dispatch, reopening) never fires twice."""
    for job in session.execute(
        select(ScheduledJob).where(
            ScheduledJob.order_id == order.id,
            ScheduledJob.kind == kind,
            ScheduledJob.status == "pending",
        )
    ).scalars():
        if job.payload == payload:
            job.status = "cancelled"
    job = ScheduledJob(order_id=order.id, kind=kind, due_at=due_at, payload=payload)
    session.add(job)
    return job


def _schedule_deadline(session: Session, order: WorkOrder, deadline: str, start: datetime) -> None:
    due = order.dispatch_due if deadline == "dispatch" else order.finish_due
    schedule(session, order, "chase", chase_time(start, due), deadline=deadline)
    schedule(session, order, "supervise", due, deadline=deadline)


def _finish_due(order: WorkOrder, start: datetime) -> datetime:
    if order.urgent:
        return end_of_day(start)
    return add_working_days(start, FINISH_WORKING_DAYS[order.category])


# --- history --------------------------------------------------------------------------------


def _event(
    order: WorkOrder,
    action: str,
    actor: str,
    now: datetime,
    note: str | None = None,
    to_status: str | None = None,
) -> None:
    order.events.append(
        WorkOrderEvent(
            action=action,
            from_status=order.status,
            to_status=to_status or order.status,
            actor=actor,
            note=note,
            at=now,
        )
    )


def _transition(
    order: WorkOrder, action: str, actor: str, now: datetime, note: str | None = None
) -> None:
    sources, target = TRANSITIONS[action]
    if order.status not in sources:
        raise InvalidTransition(order, action)
    _event(order, action, actor, now, note, to_status=target)
    order.status = target
    order.updated_at = now


def local_time(moment: datetime) -> str:
    return aware(moment).astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def order_history(session: Session, number: str) -> list[str]:
    """The order's history for the citizen or the console, one line per event, in Chinese."""
    order = find_order(session, number)
    lines = []
    for event in order.events:
        line = f"{local_time(event.at)} {texts.ACTION[event.action]}"
        lines.append(f"{line}:{event.note}" if event.note else line)
    return lines


def order_summary(order: WorkOrder) -> str:
    """One line for "我的工单": number, status, and the deadline that matters now."""
    summary = f"工单{order.number}:{texts.STATUS[order.status]}"
    if order.department and order.status in ("dispatched", "accepted", "reopened"):
        summary += f"({order.department},办结时限{local_time(order.finish_due)})"
    return summary


# --- duplicates -----------------------------------------------------------------------------

_FILLER = re.compile(r"[\W_的了在有与和及是很也都就还又啊呀吧呢吗嘛]+")


def _grams(text: str) -> set[str]:
    text = _FILLER.sub("", unicodedata.normalize("NFKC", text).lower())
    return set(text) | {text[i : i + 2] for i in range(len(text) - 1)}


def similarity(a: str, b: str) -> float:
    """Dice overlap of characters and character pairs: robust to word order and to the
    small differences in how two people write the same place (路口/交叉口, 号楼/栋)."""
    left, right = _grams(a), _grams(b)
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


def _same_reporter(order: WorkOrder, sender_id: str, phone: str | None) -> bool:
    return order.sender_id == sender_id or bool(phone and order.contact_phone == phone)


def find_duplicate(
    session: Session,
    *,
    department: str | None,
    fields: dict[str, Any],
    sender_id: str,
    phone: str | None,
    now: datetime,
) -> tuple[WorkOrder, str] | None:
    """An open order this report repeats, within the window and for the same department:
    the same person about a similar matter, or anyone about a similar matter at the same
    place. Returns the main order (never a duplicate itself) and why."""
    if department is None:
        return None
    candidates = session.execute(
        select(WorkOrder)
        .where(
            WorkOrder.created_at >= now - DUPLICATE_WINDOW,
            WorkOrder.status.in_(OPEN_STATUSES),
            func.coalesce(WorkOrder.department, WorkOrder.department_proposed) == department,
        )
        .order_by(WorkOrder.id.desc())
    ).scalars()
    place, matter = str(fields.get("where") or ""), str(fields.get("what") or "")
    for order in candidates:
        same_matter = similarity(matter, order.fields.get("what") or "") >= SAME_MATTER
        same_place = similarity(place, order.fields.get("where") or "") >= SAME_PLACE
        main = order.bound_to or order
        if same_matter and _same_reporter(order, sender_id, phone):
            return main, "same_reporter"
        if same_matter and same_place:
            return main, "same_matter"
    return None


# --- the lifecycle --------------------------------------------------------------------------


def _next_number(session: Session, now: datetime) -> str:
    """The day's next number. PostgreSQL serialises the read-then-insert with a transaction
    lock (released at commit); SQLite has a single writer anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": NUMBER_LOCK})
    prefix = f"GD{aware(now).astimezone(LOCAL):%Y%m%d}-"
    last = session.execute(
        select(func.max(WorkOrder.number)).where(WorkOrder.number.like(f"{prefix}%"))
    ).scalar_one()
    return f"{prefix}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:04d}"


def create_work_order(
    session: Session,
    *,
    route: Route,
    fields: dict[str, Any],
    channel: str,
    sender_id: str,
    category: str | None = None,
    now: datetime | None = None,
) -> CreatedOrder:
    """File a confirmed report: a new order with its deadlines and timers, or, when it
    repeats an open order, a `bound` order on that one (the citizen still gets a number).

    `fields`: name (or "匿名"), when, where, what, contact (phone), staff_name, staff_number,
    note. `category` overrides the router's when the citizen corrected it."""
    now = _utc(now)
    category = category or route.category
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    if route.scope is not None:
        raise OutOfScope(f"out of the hotline's scope: {route.scope}")
    phone = str(fields["contact"]) if fields.get("contact") else None
    duplicate = find_duplicate(
        session,
        department=route.department,
        fields=fields,
        sender_id=sender_id,
        phone=phone,
        now=now,
    )
    conversation = get_or_create_conversation(session, sender_id, channel)
    order = WorkOrder(
        number=_next_number(session, now),
        category=category,
        department_proposed=route.department,
        route_confidence=route.confidence,
        needs_review=route.needs_review,
        urgent=route.urgent,
        status="created",
        fields=fields,
        contact_phone=phone,
        channel=channel,
        sender_id=sender_id,
        conversation_id=conversation.id,
        created_at=now,
        updated_at=now,
    )
    _event(order, "create", "citizen", now)
    if duplicate is None:
        order.dispatch_due = now + DISPATCH_WITHIN
        order.finish_due = _finish_due(order, order.dispatch_due)
        session.add(order)
        session.flush()
        _schedule_deadline(session, order, "dispatch", now)
        bound_to = reason = None
    else:
        main, reason = duplicate
        order.status = "bound"
        order.bound_to = main
        _event(order, "bind", "system", now, main.number)
        session.add(order)
        _event(main, "bind", "system", now, order.number)
        bound_to = main.number
    session.flush()
    return CreatedOrder(
        number=order.number,
        status=order.status,
        category=order.category,
        department=order.department_proposed,
        urgent=order.urgent,
        needs_review=order.needs_review,
        dispatch_due=order.dispatch_due,
        finish_due=order.finish_due,
        bound_to=bound_to,
        bound_reason=reason,
    )


def find_order(session: Session, number: str) -> WorkOrder:
    order = session.execute(
        select(WorkOrder).where(WorkOrder.number == number.strip().upper())
    ).scalar_one_or_none()
    if order is None:
        raise OrderNotFound(f"no work order {number}")
    return order


def orders_of(session: Session, sender_id: str, limit: int = 10) -> list[WorkOrder]:
    """The citizen's orders, newest first ("我的工单")."""
    return list(
        session.execute(
            select(WorkOrder)
            .where(WorkOrder.sender_id == sender_id)
            .order_by(WorkOrder.id.desc())
            .limit(limit)
        ).scalars()
    )


def orders_for_department(
    session: Session, department: str, status: str | None = None
) -> list[WorkOrder]:
    query = select(WorkOrder).where(WorkOrder.department == department)
    if status is not None:
        query = query.where(WorkOrder.status == status)
    return list(session.execute(query.order_by(WorkOrder.id)).scalars())


def dispatch(
    session: Session,
    number: str,
    *,
    actor: str,
    department: str | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """The shift lead sends the order to a department: the router's proposal unless another
    is named. The finish deadline is counted from now."""
    now = _utc(now)
    order = find_order(session, number)
    department = department or order.department_proposed
    if not department:
        raise WorkOrderError(f"work order {number} needs a department to dispatch to")
    _transition(order, "dispatch", actor, now, department)
    order.department = department
    order.needs_review = False
    order.finish_due = _finish_due(order, now)
    _schedule_deadline(session, order, "finish", now)
    return order


def accept(session: Session, number: str, *, actor: str, now: datetime | None = None) -> WorkOrder:
    order = find_order(session, number)
    _transition(order, "accept", actor, _utc(now))
    return order


def return_order(
    session: Session, number: str, *, reason: str, actor: str, now: datetime | None = None
) -> WorkOrder:
    """退单: the department says the order is not theirs (or cannot be done); it goes back to
    the shift lead, who has an hour again to re-dispatch it."""
    if not reason.strip():
        raise ValueError("a returned order needs a reason")
    now = _utc(now)
    order = find_order(session, number)
    _transition(order, "return", actor, now, reason.strip())
    order.dispatch_due = now + DISPATCH_WITHIN
    _schedule_deadline(session, order, "dispatch", now)
    return order


def reply(
    session: Session, number: str, *, text: str, actor: str, now: datetime | None = None
) -> WorkOrder:
    """The department's answer. It reaches the citizen, and the citizens of every report
    bound to this order, through the scheduler's follow-up job."""
    if not text.strip():
        raise ValueError("a reply needs a text")
    now = _utc(now)
    order = find_order(session, number)
    _transition(order, "reply", actor, now, text.strip())
    bound = [o for o in order.duplicates if o.status == "bound"]
    for each in (order, *bound):
        if each is not order:
            _transition(each, "reply", actor, now, text.strip())
        each.reply = text.strip()
        each.department = each.department or order.department
        each.followup_due = add_working_days(now, FOLLOWUP_WORKING_DAYS)
        schedule(session, each, "followup", now)
    return order


def mark_followed_up(
    session: Session, order: WorkOrder, now: datetime, *, callback_reason: str | None = None
) -> None:
    """The follow-up question went out by chat, or (with the reason it could not) was handed
    to an operator to ask by phone."""
    now = _utc(now)
    _transition(order, "follow_up", "system", now, callback_reason or texts.FOLLOWUP_SENT)
    if callback_reason:
        _add_callback(session, order, callback_reason, now)


def call_back(session: Session, order: WorkOrder, reason: str, now: datetime) -> CallbackTask:
    """The citizen did not answer in chat: an operator phones them."""
    now = _utc(now)
    _event(order, "follow_up", "system", now, reason)
    return _add_callback(session, order, reason, now)


def _add_callback(session: Session, order: WorkOrder, reason: str, now: datetime) -> CallbackTask:
    task = CallbackTask(order_id=order.id, reason=reason, due_at=order.followup_due, created_at=now)
    session.add(task)
    return task


def pending_followup(session: Session, sender_id: str) -> WorkOrder | None:
    """The citizen's order waiting for their verdict, if any (the newest)."""
    return session.execute(
        select(WorkOrder)
        .where(WorkOrder.sender_id == sender_id, WorkOrder.status == "follow_up")
        .order_by(WorkOrder.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def record_verdict(
    session: Session, order: WorkOrder, verdict: str, *, actor: str, now: datetime | None = None
) -> WorkOrder:
    """满意/基本满意 close the order; 不满意 sends it back to the department with a new
    deadline and under supervision (the seed: 群众对办理结果不满意的 … 进行督办)."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, not {verdict!r}")
    now = _utc(now)
    order.satisfaction = verdict
    if verdict == "不满意":
        _transition(order, "reopen", actor, now, verdict)
        order.finish_due = _finish_due(order, now)
        _schedule_deadline(session, order, "finish", now)
        supervise(order, "unsatisfied", now)
    else:
        _transition(order, "close", actor, now, verdict)
    session.execute(
        update(CallbackTask)
        .where(CallbackTask.order_id == order.id, CallbackTask.status == "open")
        .values(status="done", done_at=now)
    )
    return order


def record_satisfaction(
    session: Session, sender_id: str, verdict: str, now: datetime | None = None
) -> WorkOrder:
    """The citizen answered the follow-up question in chat."""
    order = pending_followup(session, sender_id)
    if order is None:
        raise NoPendingFollowUp(f"no work order of {sender_id} awaits a verdict")
    return record_verdict(session, order, verdict, actor="citizen", now=now)


def chase(order: WorkOrder, deadline: str, now: datetime, actor: str = "system") -> None:
    """催办: the deadline is near (the scheduler), or a shift lead chases; the console and the
    department's list show it."""
    now = _utc(now)
    due = order.dispatch_due if deadline == "dispatch" else order.finish_due
    _event(order, "chase", actor, now, texts.CHASE[deadline].format(due=local_time(due)))
    order.chased_at = now


def supervise(order: WorkOrder, reason: str, now: datetime, actor: str = "system") -> None:
    """督办: escalated to the hotline office, which the console lists for it."""
    now = _utc(now)
    due = order.dispatch_due if reason == "dispatch" else order.finish_due
    _event(order, "supervise", actor, now, texts.SUPERVISE[reason].format(due=local_time(due)))
    order.supervised_at = now


def open_callbacks(session: Session) -> list[CallbackTask]:
    """Phone follow-ups waiting for an operator, the most urgent first."""
    return list(
        session.execute(
            select(CallbackTask)
            .where(CallbackTask.status == "open")
            .order_by(CallbackTask.due_at, CallbackTask.id)
        ).scalars()
    )


# --- the shift lead's lists -----------------------------------------------------------------


def orders_to_dispatch(session: Session) -> list[WorkOrder]:
    """Orders waiting for the shift lead to dispatch (new or returned), each with the router's
    proposal in `department_proposed`: urgent ones first, then by dispatch deadline."""
    return list(
        session.execute(
            select(WorkOrder)
            .where(WorkOrder.status.in_(WAITING_FOR["dispatch"]))
            .order_by(WorkOrder.urgent.desc(), WorkOrder.dispatch_due, WorkOrder.id)
        ).scalars()
    )


def overdue_orders(session: Session, now: datetime) -> list[WorkOrder]:
    """Orders past the deadline that binds them now: not dispatched within the hour, or not
    replied by the department in time. Replied, closed and bound orders are never overdue.
    The longest overdue first."""
    now = _utc(now)
    late_dispatch = and_(
        WorkOrder.status.in_(WAITING_FOR["dispatch"]), WorkOrder.dispatch_due < now
    )
    late_finish = and_(WorkOrder.status.in_(WAITING_FOR["finish"]), WorkOrder.finish_due < now)
    missed_due = case((late_dispatch, WorkOrder.dispatch_due), else_=WorkOrder.finish_due)
    return list(
        session.execute(
            select(WorkOrder)
            .where(or_(late_dispatch, late_finish))
            .order_by(missed_due, WorkOrder.id)
        ).scalars()
    )
