"""A hotel booking after the chat: an operator calls the hotel (outside the bot), then confirms
or fails the booking from the console; the traveller hears the result in chat, becomes a 康飞
member, and gets the weather note the evening before check-in.

    submitted ─confirm→ confirmed   confirmation, registration, weather timer
        └──────fail───→ failed      one of the seed's apologies and other hotels

The decision is committed before anything is sent, so a slow or refusing platform never undoes
it, and every message's outcome is recorded in outbound_messages. Meeting and flight results
stay with the operator's phone call, as in the seed: there is no message for them here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.booking import notices, weather
from bot.channels.sender import Delivery
from bot.handoff.replies import send_to_user
from bot.hotline.clock import LOCAL, aware
from bot.store.base import utcnow
from bot.store.booking import FAIL_REASONS, Booking
from bot.store.conversation import find_conversation
from bot.store.database import session_scope
from bot.store.member import find_member, issue_password
from bot.store.outbound import OutboundMessage
from bot.store.workorder import ScheduledJob

WEATHER_CARE = "weather_care"  # the scheduled job's kind
WEATHER_CARE_AT = time(18, 0)  # local time on the day before check-in, as the seed's 五 does
MASKED_PASSWORD = "******"
# The web chat's page fetches its messages from the outbound log: there the log is the delivery,
# and masking the password in it would keep it from the traveller.
LOG_IS_DELIVERY = ("webchat",)


class BookingError(Exception):
    """A decision on a booking that cannot be carried out; the message says why."""


class BookingNotFound(BookingError):
    pass


class NotAHotelBooking(BookingError):
    pass


class InvalidBookingTransition(BookingError):
    def __init__(self, booking: Booking, action: str) -> None:
        super().__init__(
            f"cannot {action} booking {booking.reference}: it is already {booking.status}"
        )
        self.reference = booking.reference
        self.status = booking.status
        self.action = action


class IncompleteDecision(BookingError, ValueError):
    """The operator left out something the message to the traveller needs."""


class MissingPrice(IncompleteDecision):
    pass


class HotelNotNamed(IncompleteDecision):
    pass


class UnknownFailReason(IncompleteDecision):
    pass


class NoAlternatives(IncompleteDecision):
    pass


def bookings_awaiting(session: Session) -> list[Booking]:
    """Bookings an operator has yet to take to the hotel, the oldest first."""
    return list(
        session.execute(
            select(Booking)
            .where(Booking.status == "submitted")
            .order_by(Booking.created_at, Booking.id)
        ).scalars()
    )


@dataclass(frozen=True)
class _Decision:
    """What a committed decision leaves to send."""

    sender_id: str
    channel: str
    text: str
    phone: str | None = None
    password: str | None = None  # a new member's, to send once and forget


async def confirm_booking(
    booking_id: int,
    *,
    unit_price: str,
    actor: str,
    now: datetime | None = None,
    hotel: str | None = None,
) -> list[Delivery]:
    """The hotel took the booking at `unit_price`. `hotel` names the hotel the operator booked
    when the traveller left the choice to us (不指定). The traveller gets the confirmation and,
    unless they already hold one, a member password; the weather note is scheduled. Returns
    what became of each message, in the order sent (the password masked)."""
    price = (unit_price or "").strip()
    if not price:
        raise MissingPrice("a confirmed booking needs the unit price the hotel gave")
    now = _utc(now)
    decision = await asyncio.to_thread(_confirm, booking_id, price, hotel, actor, now)
    deliveries = await _notify(decision.sender_id, decision.text)
    if decision.password is not None:
        deliveries += await _send_registration(decision, now)
    return deliveries


def _confirm(
    booking_id: int, price: str, hotel: str | None, actor: str, now: datetime
) -> _Decision:
    with session_scope() as session:
        booking = _booking_to_decide(session, booking_id, "confirm")
        chosen = (hotel or "").strip() or notices.hotel_of(booking.details)
        if not chosen:
            raise HotelNotNamed(
                f"booking {booking.reference} left the hotel to us: name the hotel booked"
            )
        text = notices.confirmation(
            booking.details, hotel=chosen, price=price, name=_guest_name(booking)
        )
        booking.details = {**booking.details, "hotel_name": chosen}
        booking.status, booking.unit_price = "confirmed", price
        booking.decided_by, booking.decided_at = actor, now
        password = None
        if booking.contact_phone:
            _, password = issue_password(
                session, booking.contact_phone, booking_id=booking.id, now=now
            )
        _schedule_weather_care(session, booking, now)
        return _Decision(
            booking.sender_id, _channel(booking), text, booking.contact_phone, password
        )


async def fail_booking(
    booking_id: int,
    *,
    reason: str,
    alternatives: Sequence[str],
    actor: str,
    now: datetime | None = None,
) -> list[Delivery]:
    """The hotel would not take the booking: "full" (peak season) or "event" (a meeting or an
    event there on those days). The traveller gets the seed's apology and `alternatives`."""
    if reason not in FAIL_REASONS:
        raise UnknownFailReason(f"reason must be one of {FAIL_REASONS}, not {reason!r}")
    hotels = [name.strip() for name in alternatives if name and name.strip()]
    if not hotels:
        raise NoAlternatives("the seed recommends other hotels with every apology: name one")
    decision = await asyncio.to_thread(_fail, booking_id, reason, hotels, actor, _utc(now))
    return await _notify(decision.sender_id, decision.text)


def _fail(booking_id: int, reason: str, hotels: list[str], actor: str, now: datetime) -> _Decision:
    with session_scope() as session:
        booking = _booking_to_decide(session, booking_id, "fail")
        text = notices.failure(booking.details, reason=reason, alternatives=hotels)
        booking.status, booking.fail_reason, booking.alternatives = "failed", reason, hotels
        booking.decided_by, booking.decided_at = actor, now
        return _Decision(booking.sender_id, _channel(booking), text)


def weather_care_time(checkin: date) -> datetime:
    """18:00 in Shanghai on the day before check-in, in UTC as stored."""
    evening = datetime.combine(checkin - timedelta(days=1), WEATHER_CARE_AT, tzinfo=LOCAL)
    return evening.astimezone(timezone.utc)


async def send_weather_care(session: Session, job: ScheduledJob, now: datetime) -> None:
    """The scheduler's handler: tomorrow's forecast for the destination, or why none was sent
    (in job.outcome). A provider that is down raises, and the scheduler tries again later."""
    job.outcome = await _weather_care(job.booking, now)


async def _weather_care(booking: Booking, now: datetime) -> str:
    if booking.status != "confirmed":
        return f"not sent: booking {booking.reference} is {booking.status}"
    checkin = _checkin(booking)
    if _local_day(now) >= checkin:  # a scheduler down for long: "明日" would be wrong now
        return f"not sent: check-in day {checkin.isoformat()} has come"
    provider = weather.provider_from_env()
    if provider is None:
        return "not sent: no weather provider (WEATHER_API_KEY is not set)"
    city = booking.details.get("city")
    if not city:
        return f"not sent: booking {booking.reference} names no city"
    try:
        forecast = await provider.forecast(city, checkin)
    except weather.WeatherUnavailable:
        raise
    except weather.WeatherError as error:
        return f"not sent: {error}"
    text = notices.weather_care(city, weather=forecast.text, low=forecast.low, high=forecast.high)
    deliveries = await _notify(booking.sender_id, text)
    failed = next((d for d in deliveries if not d.ok), None)
    return "sent" if failed is None else f"{failed.status}: {failed.reason}"


# --- helpers --------------------------------------------------------------------------------


def _utc(now: datetime | None) -> datetime:
    return aware(now or utcnow()).astimezone(timezone.utc)


def _local_day(moment: datetime) -> date:
    return aware(moment).astimezone(LOCAL).date()


def _checkin(booking: Booking) -> date:
    return date.fromisoformat(booking.details["checkin_date"][:10])


def _channel(booking: Booking) -> str:
    return booking.conversation.channel


def _guest_name(booking: Booking) -> str:
    return booking.contact_name or booking.details.get("person_name") or ""


def _booking_to_decide(session: Session, booking_id: int, action: str) -> Booking:
    # Locked (on PostgreSQL) so two operators deciding at once cannot both send a message.
    booking = session.get(Booking, booking_id, with_for_update=True)
    if booking is None:
        raise BookingNotFound(f"no booking with id {booking_id}")
    if booking.kind != "hotel":
        raise NotAHotelBooking(
            f"booking {booking.reference} is a {booking.kind} booking: the operator tells the "
            "customer its result by phone"
        )
    if booking.status != "submitted":
        raise InvalidBookingTransition(booking, action)
    return booking


def _schedule_weather_care(session: Session, booking: Booking, now: datetime) -> None:
    checkin = _checkin(booking)
    if _local_day(now) >= checkin:  # confirmed on the day: the traveller is on the way
        return
    session.add(
        ScheduledJob(kind=WEATHER_CARE, booking_id=booking.id, due_at=weather_care_time(checkin))
    )


async def _notify(sender_id: str, text: str, *, transcript: bool = True) -> list[Delivery]:
    """Through the conversation's channel; a refusal is recorded with its reason, so an
    operator sees it and can phone instead."""
    return await send_to_user(sender_id, text, transcript=transcript)


async def _send_registration(decision: _Decision, now: datetime) -> list[Delivery]:
    phone, password = decision.phone or "", decision.password or ""
    text = notices.registration(phone, password)
    # Kept out of the transcript: operators never need to see the password.
    deliveries = await _notify(decision.sender_id, text, transcript=False)
    delivered = any(d.ok for d in deliveries)
    mask = decision.channel not in LOG_IS_DELIVERY
    await asyncio.to_thread(
        _forget_password, decision.sender_id, phone, password, delivered, mask, now
    )
    return [replace(d, text=d.text.replace(password, MASKED_PASSWORD)) for d in deliveries]


def _forget_password(
    sender_id: str, phone: str, password: str, delivered: bool, mask: bool, now: datetime
) -> None:
    """Only the hash is kept: the sender logged the message with the password, so mask it
    there. A password that did not arrive is replaced with the member's next booking."""
    with session_scope() as session:
        conversation = find_conversation(session, sender_id)
        if mask and conversation is not None:
            session.execute(
                update(OutboundMessage)
                .where(
                    OutboundMessage.conversation_id == conversation.id,
                    OutboundMessage.text.contains(password),
                )
                .values(text=notices.registration(phone, MASKED_PASSWORD))
                .execution_options(synchronize_session=False)
            )
        member = find_member(session, phone)
        if delivered and member is not None:
            member.password_sent_at = now
