"""Queue items, conversations and their records, as the console shows them: JSON-ready dicts
with the Chinese labels the pages display (the pages hold no labels of their own)."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.booking import hotel
from bot.handoff import queue
from bot.hotline import texts as hotline_texts
from bot.hotline.clock import aware
from bot.hotline.intake import CATEGORY_NAMES
from bot.service_lines import SERVICE_LINES
from bot.store.base import utcnow
from bot.store.booking import Booking
from bot.store.conversation import Conversation, Message
from bot.store.handoff import HandoffRequest
from bot.store.operator import Operator
from bot.store.outbound import OutboundMessage
from bot.store.workorder import WorkOrder

CHANNELS = {
    "wechat": "微信",
    "qq": "QQ",
    "weibo": "微博",
    "webchat": "网页",
    "rest": "接口",
    "unknown": "未知渠道",
}
REASONS = {
    "user_request": "用户要求转人工",
    "not_understood": "连续两次未能理解",
    "form_not_understood": "填写信息多次未能识别",
    "urgent": "紧急事项",
    "operator_takeover": "话务员接管",
    "share_media": "图片或语音待人工查看",
    "hotline_suggestion": "建议",
    "hotline_request": "一般诉求",
    "hotline_help": "求助",
    "hotline_complaint": "投诉举报",
    "hotline_consult": "咨询",
    "hotline_praise": "表扬",
}
CATEGORIES = {
    "hotel": "酒店预订",
    "meeting": "会议预订",
    "flight": "机票预订",
    "hotline": "市长热线",
    **CATEGORY_NAMES,
}
REQUEST_STATUSES = {
    "waiting": "排队中",
    "next_shift": "待下一班处理",
    "claimed": "人工接待中",
    "closed": "已结束",
    "handed_back": "已交还智能客服",
}
EVENT_KINDS = {
    "queued": "进入队列",
    "next_shift": "非工作时间,转下一班",
    "claimed": "接入",
    "transferred": "转交",
    "closed": "结束",
    "handed_back": "交还智能客服",
}
BOOKING_KINDS = {"hotel": "酒店", "meeting": "会议", "flight": "机票"}
BOOKING_STATUSES = {
    "submitted": "待确认",
    "confirmed": "已确认",
    "failed": "预订失败",
    "cancelled": "已取消",
}
SLOTS = {
    "person_name": "姓名",
    "phone": "手机号",
    "city": "城市",
    "hotel_name": "酒店",
    "hotel_preference": "位置和价格要求",
    "checkin_date": "入住日期",
    "checkout_date": "离店日期",
    "nights": "晚数",
    "rooms": "房型和间数",
    "pending_room_count": "待定间数",
    "guests": "入住人数",
    "arrival_time": "最晚到店时间",
    "breakfast": "早餐",
    "guest_requests": "其他要求",
    "hold_free": "免费保留",
    "hotel_confirmed": "酒店预订已确认",
    "meeting_type": "会议类型",
    "meeting_date": "会议日期",
    "attendees": "参会人数",
    "meeting_rooms": "客房需求",
    "meeting_requirements": "会议要求",
    "meeting_budget": "客户标准",
    "meeting_confirmed": "会议预订已确认",
    "departure_city": "出发城市",
    "arrival_city": "到达城市",
    "flight_date": "出发日期",
    "trip_type": "单程/往返",
    "return_date": "返程日期",
    "id_number": "身份证号",
    "delivery": "取票方式",
    "delivery_address": "送票地址",
    "flight_confirmed": "机票预订已确认",
    "hotline_category": "诉求类别",
    "hotline_department": "承办单位",
    "hotline_urgent": "紧急",
    "hotline_route_confidence": "分派置信度",
    "staff_complaint": "投诉工作人员",
    "hotline_matter": "事项",
    "hotline_place": "地点",
    "hotline_time": "时间",
    "staff_info": "工作人员信息",
    "caller_name": "来电人",
    "hotline_contact": "联系方式",
    "hotline_confirmed": "工单已确认",
    "failed_turns": "连续未理解次数",
}
WORK_ORDER_FIELDS = {
    "name": "来电人",
    "when": "时间",
    "where": "地点",
    "what": "事项",
    "contact": "联系方式",
    "staff_name": "工作人员",
    "staff_number": "工号",
    "note": "备注",
}
FORMS = {
    "hotel_form": "酒店预订",
    "meeting_form": "会议预订",
    "flight_form": "机票预订",
    "hotline_form": "市长热线登记",
}
RECENT_CONVERSATIONS = 50


def iso(moment: datetime | None) -> str | None:
    return aware(moment).astimezone(timezone.utc).isoformat() if moment is not None else None


def seconds_since(moment: datetime, now: datetime) -> int:
    return max(0, int((now - aware(moment)).total_seconds()))


def _said(summary: str | None) -> str | None:
    """The user's words that led to the handoff: the summary's first line."""
    first = (summary or "").split("\n", 1)[0].strip()
    return first or None


def display_value(name: str, value: Any) -> str:
    """A stored value as a person reads it: rooms as 标准间2间, yes/no as 是/否."""
    if name == "rooms" and isinstance(value, list):
        with contextlib.suppress(KeyError, TypeError):
            return hotel.format_rooms(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def labelled(values: dict[str, Any] | None, labels: dict[str, str]) -> list[dict[str, str]]:
    """Fields in the order of `labels` (unknown ones after), each with its label."""
    items = [(k, v) for k, v in (values or {}).items() if v not in (None, "", [])]
    order = list(labels)
    items.sort(key=lambda item: order.index(item[0]) if item[0] in labels else len(order))
    return [
        {"name": name, "label": labels.get(name, name), "value": display_value(name, value)}
        for name, value in items
    ]


def request_view(
    session: Session,
    request: HandoffRequest,
    now: datetime | None = None,
    position: int | None = None,
) -> dict[str, Any]:
    now = now or utcnow()
    conversation = request.conversation
    waited_until = request.claimed_at or request.closed_at or now
    view = {
        "id": request.id,
        "sender_id": conversation.sender_id,
        "status": request.status,
        "status_label": REQUEST_STATUSES.get(request.status, request.status),
        "channel": conversation.channel,
        "channel_label": CHANNELS.get(conversation.channel, conversation.channel),
        "service_line": request.service_line,
        "service_line_label": SERVICE_LINES.get(request.service_line or "", "未指定"),
        "reason": request.reason,
        "reason_label": REASONS.get(request.reason, request.reason),
        "category": request.category,
        "category_label": CATEGORIES.get(request.category or "", request.category),
        "urgent": bool(request.urgent),
        "said": _said(request.summary),
        "summary": request.summary,
        "created_at": iso(request.created_at),
        "waited_seconds": seconds_since(request.created_at, aware(waited_until)),
        "claimed_at": iso(request.claimed_at),
        "first_response_at": iso(request.first_response_at),
        "closed_at": iso(request.closed_at),
        "close_reason": request.close_reason,
        "operator": (
            {"id": request.operator.id, "display_name": request.operator.display_name}
            if request.operator is not None
            else None
        ),
    }
    if request.status == "waiting":
        view["position"] = position or queue.position(session, request)
    return view


def _positions(waiting: list[HandoffRequest]) -> list[int | None]:
    """Places in the live queue, from the list's own order (one query, not one per row);
    requests filed for the next shift have none."""
    places, place = [], 0
    for request in waiting:
        place += request.status == "waiting"
        places.append(place if request.status == "waiting" else None)
    return places


def queue_view(session: Session, operator_id: int) -> dict[str, Any]:
    """What the queue screen shows: waiting requests (urgent first) and the operator's own."""
    now = utcnow()
    waiting = queue.waiting(session)
    return {
        "waiting": [
            request_view(session, r, now, position)
            for r, position in zip(waiting, _positions(waiting), strict=True)
        ],
        "mine": [request_view(session, r, now) for r in queue.owned_by(session, operator_id)],
        "now": iso(now),
    }


def transcript(session: Session, conversation: Conversation) -> list[dict[str, Any]]:
    """The messages in and out, with the replies a platform refused (and why) in their place.
    An operator's message names the operator (`author`, the display name)."""
    messages = list(
        session.execute(
            select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
        ).scalars()
    )
    usernames = {message.author for message in messages if message.author}
    names = (
        dict(
            session.execute(
                select(Operator.username, Operator.display_name).where(
                    Operator.username.in_(usernames)
                )
            ).all()
        )
        if usernames
        else {}
    )
    entries = [
        {
            "kind": message.direction,
            "text": message.text,
            "author": names.get(message.author, message.author) if message.author else None,
            "at": iso(message.created_at),
        }
        for message in messages
    ]
    entries += [
        {
            "kind": outbound.status,  # "refused" or "failed": said, but not delivered
            "text": outbound.text,
            "reason": outbound.reason,
            "at": iso(outbound.created_at),
        }
        for outbound in session.execute(
            select(OutboundMessage).where(
                OutboundMessage.conversation_id == conversation.id,
                OutboundMessage.status.in_(("refused", "failed")),
            )
        ).scalars()
    ]
    return sorted(entries, key=lambda entry: entry["at"] or "")


def booking_view(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.id,
        "reference": booking.reference,
        "kind": booking.kind,
        "kind_label": BOOKING_KINDS.get(booking.kind, booking.kind),
        "status": booking.status,
        "status_label": BOOKING_STATUSES.get(booking.status, booking.status),
        "sender_id": booking.sender_id,
        "channel_label": CHANNELS.get(booking.channel, booking.channel),
        "contact_name": booking.contact_name,
        "contact_phone": booking.contact_phone,
        "details": booking.details,
        "detail_rows": labelled(booking.details, SLOTS),
        "created_at": iso(booking.created_at),
    }


def work_order_view(order: WorkOrder) -> dict[str, Any]:
    return {
        **order.as_dict(),
        "status_label": hotline_texts.STATUS.get(order.status, order.status),
        "category_label": CATEGORIES.get(order.category, order.category),
        "channel_label": CHANNELS.get(order.channel, order.channel),
        "field_rows": labelled(order.fields, WORK_ORDER_FIELDS),
    }


def records(session: Session, conversation: Conversation) -> dict[str, Any]:
    """The bookings and work orders this conversation produced."""
    bookings = session.execute(
        select(Booking).where(Booking.conversation_id == conversation.id).order_by(Booking.id)
    ).scalars()
    orders = session.execute(
        select(WorkOrder)
        .where(
            or_(
                WorkOrder.conversation_id == conversation.id,
                WorkOrder.sender_id == conversation.sender_id,
            )
        )
        .order_by(WorkOrder.id)
    ).scalars()
    return {
        "bookings": [booking_view(b) for b in bookings],
        "work_orders": [work_order_view(o) for o in orders],
    }


def latest_request(session: Session, conversation: Conversation) -> HandoffRequest | None:
    return session.execute(
        select(HandoffRequest)
        .where(HandoffRequest.conversation_id == conversation.id)
        .order_by(HandoffRequest.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def conversation_view(session: Session, conversation: Conversation) -> dict[str, Any]:
    """Everything the conversation screen shows that lives in SQL (the slots live in Rasa)."""
    request = latest_request(session, conversation)
    return {
        "conversation": {
            "sender_id": conversation.sender_id,
            "channel": conversation.channel,
            "channel_label": CHANNELS.get(conversation.channel, conversation.channel),
            "service_line": conversation.service_line,
            "service_line_label": SERVICE_LINES.get(conversation.service_line or "", "未指定"),
            "started_at": iso(conversation.started_at),
            "last_message_at": iso(conversation.last_message_at),
        },
        "request": request_view(session, request) if request is not None else None,
        "notes": [
            {
                "text": note.text,
                "author": note.operator.display_name if note.operator else None,
                "at": iso(note.created_at),
            }
            for note in (request.notes if request is not None else [])
        ],
        "history": [
            {
                "kind": event.kind,
                "label": EVENT_KINDS.get(event.kind, event.kind),
                "detail": event.detail,
                "at": iso(event.at),
            }
            for event in (request.events if request is not None else [])
        ],
        "transcript": transcript(session, conversation),
        "records": records(session, conversation),
    }


def slot_view(state: dict[str, Any]) -> dict[str, Any]:
    """Rasa's conversation state with labels: every slot, filled first."""
    slots = state.get("slots") or {}
    ordered = sorted(slots.items(), key=lambda item: (item[1] is None, item[0] not in SLOTS))
    return {
        "slots": [
            {"name": name, "label": SLOTS.get(name, name), "value": value}
            for name, value in ordered
        ],
        "active_form": state.get("active_form"),
        "paused_form": state.get("paused_form"),
        "form_label": FORMS.get(state.get("paused_form") or state.get("active_form") or ""),
        "paused": state.get("paused"),
    }


def recent_conversations(session: Session, search: str | None = None) -> list[dict[str, Any]]:
    """The latest conversations (optionally those whose sender id contains `search`), with
    their handoff status, for opening or taking over one the queue does not show."""
    query = select(Conversation).order_by(Conversation.last_message_at.desc())
    if search:
        query = query.where(Conversation.sender_id.contains(search.strip(), autoescape=True))
    rows = []
    for conversation in session.execute(query.limit(RECENT_CONVERSATIONS)).scalars():
        request = latest_request(session, conversation)
        rows.append(
            {
                "sender_id": conversation.sender_id,
                "channel_label": CHANNELS.get(conversation.channel, conversation.channel),
                "service_line_label": SERVICE_LINES.get(conversation.service_line or "", "未指定"),
                "last_message_at": iso(conversation.last_message_at),
                "handoff_status": request.status if request is not None else None,
                "handoff_label": (
                    REQUEST_STATUSES.get(request.status)
                    if request is not None
                    else "智能客服接待中"
                ),
            }
        )
    return rows
