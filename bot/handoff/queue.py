"""The human queue: escalate, claim, transfer, note, close, hand back.

SQL is the source of truth. A claim is one conditional UPDATE, so two consoles (or two
server processes) can never both own a conversation. Every change is written to the
request's history and announced on the live feed for consoles to refresh.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from bot.handoff import live
from bot.store.base import utcnow
from bot.store.conversation import find_conversation, get_or_create_conversation
from bot.store.handoff import OPEN_STATUSES, HandoffEvent, HandoffNote, HandoffRequest
from bot.store.operator import Operator

# Until the queue has history, a wait is estimated at this many seconds per person ahead.
DEFAULT_SECONDS_PER_REQUEST = 120
RECENT_CLAIMS = 20
# A queue listing shows each request's conversation and operator: load them with the list.
LISTED_WITH = (selectinload(HandoffRequest.conversation), selectinload(HandoffRequest.operator))


class HandoffError(Exception):
    """A queue operation that cannot be done, with a reason an operator can read."""


class RequestNotFound(HandoffError):
    pass


class AlreadyClaimed(HandoffError):
    pass


class NotOwner(HandoffError):
    pass


def _log(
    session: Session,
    request: HandoffRequest,
    kind: str,
    operator_id: int | None,
    detail: str | None,
) -> None:
    request.events.append(HandoffEvent(kind=kind, operator_id=operator_id, detail=detail))


def open_request_for(session: Session, sender_id: str) -> HandoffRequest | None:
    """The conversation's request still waiting for or owned by a person, if any."""
    conversation = find_conversation(session, sender_id)
    if conversation is None:
        return None
    return session.execute(
        select(HandoffRequest)
        .where(
            HandoffRequest.conversation_id == conversation.id,
            HandoffRequest.status.in_(OPEN_STATUSES),
        )
        .order_by(HandoffRequest.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def escalate(
    session: Session,
    *,
    sender_id: str,
    channel: str,
    reason: str,
    summary: str | None = None,
    service_line: str | None = None,
    category: str | None = None,
    urgent: bool = False,
    in_hours: bool = True,
) -> HandoffRequest:
    """Put the conversation in the queue (or file it for the next shift when out of hours).
    Asking twice keeps one place in the queue: the open request is returned, updated."""
    request = open_request_for(session, sender_id)
    if request is not None:
        request.urgent = request.urgent or urgent
        return request
    conversation = get_or_create_conversation(session, sender_id, channel)
    request = HandoffRequest(
        conversation_id=conversation.id,
        reason=reason,
        summary=summary,
        status="waiting" if in_hours else "next_shift",
        service_line=service_line or conversation.service_line,
        category=category,
        urgent=urgent,
        created_at=utcnow(),
    )
    session.add(request)
    session.flush()
    _log(session, request, "queued" if in_hours else "next_shift", None, reason)
    live.announce_queue(session)
    return request


def waiting(session: Session) -> list[HandoffRequest]:
    """Requests nobody owns yet, in the order operators should take them: urgent first."""
    return list(
        session.execute(
            select(HandoffRequest)
            .where(HandoffRequest.status.in_(("waiting", "next_shift")))
            .order_by(HandoffRequest.urgent.desc(), HandoffRequest.created_at, HandoffRequest.id)
            .options(*LISTED_WITH)
        ).scalars()
    )


def owned_by(session: Session, operator_id: int) -> list[HandoffRequest]:
    return list(
        session.execute(
            select(HandoffRequest)
            .where(HandoffRequest.status == "claimed", HandoffRequest.operator_id == operator_id)
            .order_by(HandoffRequest.claimed_at)
            .options(*LISTED_WITH)
        ).scalars()
    )


def position(session: Session, request: HandoffRequest) -> int:
    """1 for the next to be taken. Urgent requests go ahead of everyone else."""
    same_rank_earlier = (HandoffRequest.urgent.is_(bool(request.urgent))) & (
        HandoffRequest.created_at <= request.created_at
    )
    ahead_of_me = same_rank_earlier if request.urgent else same_rank_earlier | HandoffRequest.urgent
    ahead = session.execute(
        select(func.count(HandoffRequest.id)).where(
            HandoffRequest.status == "waiting", HandoffRequest.id != request.id, ahead_of_me
        )
    ).scalar_one()
    return ahead + 1


def estimated_wait_seconds(session: Session, request: HandoffRequest) -> int:
    """Place in the queue × the median time recent requests waited per place, roughly."""
    recent = session.execute(
        select(HandoffRequest.created_at, HandoffRequest.claimed_at)
        .where(HandoffRequest.claimed_at.is_not(None))
        .order_by(HandoffRequest.claimed_at.desc())
        .limit(RECENT_CLAIMS)
    ).all()
    waits = [(claimed - created).total_seconds() for created, claimed in recent]
    per_place = statistics.median(waits) if waits else DEFAULT_SECONDS_PER_REQUEST
    return int(max(30.0, per_place) * position(session, request))


def get_request(session: Session, request_id: int) -> HandoffRequest:
    request = session.get(HandoffRequest, request_id)
    if request is None:
        raise RequestNotFound(f"没有编号为 {request_id} 的转人工请求")
    return request


def claim(session: Session, request_id: int, operator_id: int) -> HandoffRequest:
    """Take a waiting request. Exactly one of several concurrent claims succeeds."""
    now = utcnow()
    taken = session.execute(
        update(HandoffRequest)
        .where(
            HandoffRequest.id == request_id,
            HandoffRequest.status.in_(("waiting", "next_shift")),
        )
        .values(status="claimed", operator_id=operator_id, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    request = get_request(session, request_id)
    if not taken:
        session.refresh(request)
        owner = request.operator.display_name if request.operator else "别人"
        raise AlreadyClaimed(
            f"该会话已由{owner}接待" if request.status == "claimed" else "该会话已结束"
        )
    session.refresh(request)
    _log(session, request, "claimed", operator_id, None)
    live.announce_queue(session)
    return request


def take_over(session: Session, sender_id: str, operator_id: int) -> HandoffRequest:
    """An operator takes a conversation the bot is handling (not in the queue)."""
    request = open_request_for(session, sender_id)
    if request is None:
        conversation = find_conversation(session, sender_id)
        if conversation is None:
            raise RequestNotFound(f"没有会话 {sender_id}")
        request = escalate(
            session, sender_id=sender_id, channel=conversation.channel, reason="operator_takeover"
        )
    return claim(session, request.id, operator_id)


def owned(session: Session, request_id: int, operator_id: int) -> HandoffRequest:
    request = get_request(session, request_id)
    if request.status != "claimed" or request.operator_id != operator_id:
        raise NotOwner("只有接待该会话的话务员可以这样做")
    return request


def transfer(
    session: Session, request_id: int, operator_id: int, to_operator_id: int
) -> HandoffRequest:
    request = owned(session, request_id, operator_id)
    target = session.get(Operator, to_operator_id)
    if target is None or not target.active:
        raise HandoffError("目标话务员不存在或已停用")
    request.operator_id = to_operator_id
    _log(session, request, "transferred", operator_id, target.username)
    live.announce_queue(session)
    return request


def add_note(session: Session, request_id: int, operator_id: int, text: str) -> HandoffNote:
    request = get_request(session, request_id)
    if not text.strip():
        raise HandoffError("备注不能为空")
    note = HandoffNote(operator_id=operator_id, text=text.strip())
    request.notes.append(note)
    session.flush()
    live.announce_conversation(session, request.conversation.sender_id)
    return note


def note_response(session: Session, request: HandoffRequest) -> None:
    """The operator's first reply: what the first-response-time report measures."""
    if request.first_response_at is None:
        request.first_response_at = utcnow()


def close(session: Session, request_id: int, operator_id: int, reason: str) -> HandoffRequest:
    if not reason.strip():
        raise HandoffError("请填写结束原因")
    request = owned(session, request_id, operator_id)
    request.status, request.closed_at, request.close_reason = "closed", utcnow(), reason.strip()
    _log(session, request, "closed", operator_id, reason.strip())
    live.announce_queue(session)
    return request


def hand_back(session: Session, request_id: int, operator_id: int) -> HandoffRequest:
    """Return the conversation to the bot (the caller resumes it in Rasa)."""
    request = owned(session, request_id, operator_id)
    request.status, request.closed_at = "handed_back", utcnow()
    _log(session, request, "handed_back", operator_id, None)
    live.announce_queue(session)
    return request


def due_hold_notices(session: Session, every: timedelta, now: datetime) -> list[HandoffRequest]:
    """Waiting requests whose user has not heard from us for `every`."""
    cutoff = now - every
    return list(
        session.execute(
            select(HandoffRequest).where(
                HandoffRequest.status == "waiting",
                func.coalesce(HandoffRequest.last_hold_notice_at, HandoffRequest.created_at)
                <= cutoff,
            )
        ).scalars()
    )
