"""The pattern every platform webhook follows: verify → parse → de-duplicate → record →
dispatch → reply in the HTTP response if the bot is done in time, else acknowledge and send
through the platform's API. Platform modules supply only what differs between platforms."""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, ClassVar

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from bot.channels.eager import start_eagerly
from bot.channels.inbound import Inbound
from bot.channels.ledger import ReplyLedger, ledger_from_env
from bot.channels.sender import ChannelSender
from bot.store.conversation import note_inbound
from bot.store.database import database_url
from bot.store.outbound import record_outbound
from bot.store.recorder import RecordingFailed, recorder_for

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
# Requests signed longer ago than this are replays (platforms re-send within a minute).
MAX_REQUEST_AGE_SECONDS = 300
# A reply too late for its request waits this long past the passive deadline for a re-sent
# copy to take it, before it goes through the platform's API.
LATE_MARGIN_SECONDS = 0.2


class WebhookRejected(Exception):
    """A request we refuse, with the HTTP status and a reason for the platform's logs."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadRequest(WebhookRejected):
    status = 400


class Forbidden(WebhookRejected):
    status = 403


class TooLarge(WebhookRejected):
    status = 413


def check_fresh(sent_at: float, now: float | None = None) -> None:
    """Refuse a correctly signed request that was captured and is being played back later."""
    age = (time.time() if now is None else now) - sent_at
    if abs(age) > MAX_REQUEST_AGE_SECONDS:
        raise Forbidden(f"request timestamp is {age:.0f} s away from now")


class PlatformWebhook(ABC):
    channel: ClassVar[str]
    # Seconds the platform waits for the HTTP reply, less a margin; None: never reply in it.
    passive_deadline: ClassVar[float | None]
    max_body_bytes: ClassVar[int] = 64 * 1024

    def __init__(
        self, sender: ChannelSender, service_line: str, ledger: ReplyLedger | None = None
    ) -> None:
        self.sender = sender
        self.service_line = service_line
        self.ledger = ledger or ledger_from_env()
        self._running: set[asyncio.Task] = set()

    def handshake(self, request: Request) -> HTTPResponse | None:
        """The platform's URL verification, if this request is one (it verifies itself)."""
        return None

    @abstractmethod
    def verify(self, request: Request) -> None:
        """Raise Forbidden unless the platform signed this request, recently."""

    @abstractmethod
    def parse(self, request: Request) -> Inbound | None:
        """The message in the request; None for events to acknowledge and ignore."""

    @abstractmethod
    def passive_reply(self, inbound: Inbound, texts: list[str]) -> HTTPResponse:
        """The bot's reply inside the HTTP response."""

    def fit_passive(self, texts: list[str]) -> tuple[list[str], list[str]]:
        """What fits in one HTTP reply, and the rest, which the sender delivers after it."""
        return texts, []

    @abstractmethod
    def ack(self, inbound: Inbound | None) -> HTTPResponse:
        """Received, no reply in this response (and no re-send, please)."""

    async def serve(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse | None:
        started = time.monotonic()
        try:
            if len(request.body or b"") > self.max_body_bytes:
                raise TooLarge(f"body over {self.max_body_bytes} bytes")
            handshake = self.handshake(request)
            if handshake is not None:
                return handshake
            self.verify(request)
            inbound = self.parse(request)
        except WebhookRejected as rejected:
            logger.warning("%s webhook refused a request: %s", self.channel, rejected.reason)
            return response.text(rejected.reason, status=rejected.status)
        if inbound is None:
            return self.ack(None)
        claimed = await self.ledger.claim(inbound.dedup_key)
        if self.passive_deadline is None:
            if claimed:
                self._accept(inbound, on_new_message, None)
            return self.ack(inbound)
        deadline = started + self.passive_deadline
        if claimed:
            # No await from the claim to here: a platform hanging up now cannot cancel this
            # handler before the claimed message is noted and its bot run started.
            chance = PassiveChance(request, self.ack(inbound), deadline)
            self._accept(inbound, on_new_message, chance)
            return await chance.outcome()
        # A re-sent copy: the bot runs (or ran) for the first one, here or in another process.
        texts = await self.ledger.wait(inbound.dedup_key, max(0.0, deadline - time.monotonic()))
        if texts and await self.ledger.take_delivery(inbound.dedup_key):
            return self._passive(inbound, texts)
        return self.ack(inbound)

    def _passive(self, inbound: Inbound, texts: list[str]) -> HTTPResponse:
        """The reply to send in the HTTP response, recorded; what does not fit goes after it."""
        passive, rest = self.fit_passive(texts)
        recorder_for(database_url()).submit(
            partial(self._record_passive, inbound=inbound, texts=passive)
        )
        if rest:
            self._start(self._send_all(inbound, rest))
        return self.passive_reply(inbound, passive)

    def _accept(
        self, inbound: Inbound, on_new_message: OnNewMessage, chance: PassiveChance | None
    ) -> None:
        """Run the bot on the message in the background. A message the bot reads reopens the
        reply window when its turn is recorded (Inbound.metadata); any other is noted now."""
        if inbound.text is None:
            self._note(inbound)
        run = self._run(inbound, on_new_message, chance)
        if chance is None:  # the acknowledgement goes first
            self._start(run)
            return
        # For a reply in the response, the first step runs now, up to the bot's first wait, as
        # Rasa's REST channel runs the bot in the handler; the rest runs in a task of its own,
        # which a platform hanging up cannot cancel.
        self._keep(start_eagerly(run))

    def _start(self, work: Awaitable[None]) -> None:
        self._keep(asyncio.ensure_future(work))

    def _keep(self, task: asyncio.Future[None]) -> None:
        self._running.add(task)  # keep a reference until it is done
        task.add_done_callback(self._running.discard)

    async def _run(
        self, inbound: Inbound, on_new_message: OnNewMessage, chance: PassiveChance | None
    ) -> None:
        # The turn's transcript waits for its passive reply's record: one transaction for both.
        with recorder_for(database_url()).together() as held:
            texts = await self._ask_bot(inbound, on_new_message)
            if chance is not None and chance.take():  # its request still waits: answer in it
                try:
                    if texts:
                        reply = self._passive(inbound, texts)
                        held.release()  # stored while the reply is written
                        await chance.answer(reply)
                finally:  # unless answered: nothing to say, or an error
                    chance.acknowledge()
                # Only now, off the user's wait, for re-sent copies: the reply is theirs to
                # read, not to deliver. None can have delivered it before: they deliver only
                # a published reply, and while this request held its chance, none was.
                await self._publish(inbound, texts, delivered=bool(texts))
                return
            await self._publish(inbound, texts)  # re-sent copies waiting for it
        if chance is None:
            await self._deliver(inbound, texts)
        elif texts:
            # Too late for this request: give a re-sent copy its passive chance first, it is
            # faster for the user; after that the platform's API.
            late = max(0.0, chance.deadline - time.monotonic()) + LATE_MARGIN_SECONDS
            asyncio.get_running_loop().call_later(late, self._deliver_later, inbound, texts)

    async def _publish(self, inbound: Inbound, texts: list[str], delivered: bool = False) -> None:
        try:
            await self.ledger.publish(inbound.dedup_key, texts, delivered)
        except Exception:  # noqa: BLE001 (a re-sent copy then waits in vain, and is acknowledged)
            logger.exception("%s reply to %s was not published", self.channel, inbound.dedup_key)

    def _deliver_later(self, inbound: Inbound, texts: list[str]) -> None:
        self._start(self._deliver(inbound, texts))

    async def _deliver(self, inbound: Inbound, texts: list[str]) -> None:
        if not texts:
            return
        try:
            ours = await self.ledger.take_delivery(inbound.dedup_key)
        except Exception:  # noqa: BLE001 (a copy could not take it either: the reply or nothing)
            key = inbound.dedup_key
            logger.exception("%s reply to %s: the ledger failed, sent anyway", self.channel, key)
            ours = True
        if ours:
            await self._send_all(inbound, texts)

    async def _send_all(self, inbound: Inbound, texts: list[str]) -> None:
        # A send reads the reply window this message reopened: wait until that is stored.
        try:
            await asyncio.wrap_future(recorder_for(database_url()).written())
        except RecordingFailed:  # the window may be stale; the sender says if it refuses
            logger.warning("%s message %s was not noted", self.channel, inbound.dedup_key)
        for text in texts:
            await self.sender.send(inbound.sender_id, text)

    async def _ask_bot(self, inbound: Inbound, on_new_message: OnNewMessage) -> list[str]:
        if inbound.text is None:
            return []
        collector = CollectingOutputChannel()
        message = UserMessage(
            inbound.text,
            collector,
            inbound.sender_id,
            input_channel=self.channel,
            metadata=inbound.metadata,
        )
        try:
            await on_new_message(message)
        except Exception:  # the platform has been answered; log and move on
            logger.exception("%s message %s failed in the bot", self.channel, inbound.dedup_key)
            self._note(inbound)  # no turn was recorded: the message still reopens the window
        return [m["text"] for m in collector.messages if m.get("text")]

    def _note(self, inbound: Inbound) -> None:
        """Record the message and the reply window it reopens, in the transcript's order."""
        recorder_for(database_url()).submit(partial(self._write_note, inbound=inbound))

    def _write_note(self, session: Session, inbound: Inbound) -> None:
        note_inbound(
            session,
            sender_id=inbound.sender_id,
            channel=self.channel,
            at=inbound.received_at,
            service_line=inbound.service_line,
            reply_context=inbound.reply_context,
            record_text=inbound.note if inbound.text is None else None,
        )

    def _record_passive(self, session: Session, inbound: Inbound, texts: list[str]) -> None:
        record_outbound(
            session,
            sender_id=inbound.sender_id,
            channel=self.channel,
            texts=texts,
            status="passive",
        )


class PassiveChance:
    """The request that brought a message whose bot runs here, while the reply may still go
    in its response: the bot's task writes the reply into it as soon as the bot is done.

    The handler waiting for it to be written would wake only after the rest of a busy event
    loop's turn; under load that wait was a large part of the webhook's time
    (docs/benchmarks.md). Exactly one of the bot's task, the deadline and a hang-up `take`s
    the chance; the handler returns what it is given, or None once the reply was written.
    """

    def __init__(self, request: Request, ack: HTTPResponse, deadline: float) -> None:
        self.request = request
        self.deadline = deadline  # time.monotonic()
        self._ack = ack
        self._open = True
        self._outcome: asyncio.Future[HTTPResponse | None] = (
            asyncio.get_running_loop().create_future()
        )

    def take(self) -> bool:
        """True for the first to ask: it alone answers the request."""
        taken, self._open = self._open, False
        return taken

    def acknowledge(self) -> None:
        self._settle(self._ack)

    async def answer(self, reply: HTTPResponse) -> None:
        """Write `reply` as this request's response (Sanic's streaming response API)."""
        if self.request.stream is None:  # not from Sanic's HTTP server: the handler returns it
            self._settle(reply)
            return
        try:
            sent = await self.request.respond(reply)
            await sent.send(end_stream=True)
        except Exception:  # the platform hung up: the reply was recorded, not received
            logger.warning("a passive reply could not be written", exc_info=True)
        self._settle(None)

    async def outcome(self) -> HTTPResponse | None:
        """What the handler returns: the acknowledgement, or None once the reply is written."""
        timer = asyncio.get_running_loop().call_later(
            max(0.0, self.deadline - time.monotonic()), self._expire
        )
        try:
            return await self._outcome
        finally:
            timer.cancel()
            self.take()  # a handler cancelled by a hang-up: the reply goes by the API

    def _expire(self) -> None:
        if self.take():
            self.acknowledge()

    def _settle(self, result: HTTPResponse | None) -> None:
        if not self._outcome.done():
            self._outcome.set_result(result)


class PlatformInput(InputChannel):
    """A Rasa input channel serving one platform webhook at /webhooks/<name>/webhook.

    A platform whose environment variables are unset is off: its URL answers 404.
    """

    def __init__(self, webhook: PlatformWebhook | None) -> None:
        self.webhook = webhook

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = Blueprint(f"{self.name()}_webhook", __name__)

        @blueprint.route("/webhook", methods=["GET", "POST"])
        async def receive(request: Request) -> HTTPResponse | None:
            if self.webhook is None:
                return response.text(f"{self.name()} is not configured", status=404)
            return await self.webhook.serve(request, on_new_message)

        return blueprint
