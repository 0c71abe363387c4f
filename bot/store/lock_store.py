"""Rasa's ticket lock in Redis, each change to a lock made in one step that Redis runs alone.

Rasa's RedisLockStore reads a lock, changes it in Python and writes it back. Two server
processes taking tickets for one conversation at once (a user's burst of messages spread over
two workers) can both read the same lock: both get the same ticket and run the conversation
together, or one's write drops the other's ticket and its message fails with a LockError.
Here every change is a Lua script, so no write is based on a stale read. Locks keep Rasa's
format, so Rasa's own reading of them (`get_lock`, `TicketLock`) is unchanged, and a message
costs two round trips to Redis instead of Rasa's seven: its server's event loop waits on each.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

# The live tickets of a lock as Rasa stores it (each ticket a JSON string inside the lock's
# JSON): without those expired (Rasa: expired once now > expires) and without ticket `drop`.
_LIVE_TICKETS = """
local function live_tickets(lock, now, drop)
  local tickets = {}
  for _, encoded in ipairs(lock['tickets']) do
    local ticket = cjson.decode(encoded)
    if ticket['expires'] >= now and ticket['number'] ~= drop then
      tickets[#tickets + 1] = encoded
    end
  end
  return tickets
end
"""

# KEYS[1]: the lock; ARGV: conversation id, now, the new ticket's expiry. The next number after
# the last live ticket, 0 for the first (Rasa's numbering); returns the lock with it.
_ISSUE = (
    _LIVE_TICKETS
    + """
local raw = redis.call('GET', KEYS[1])
local tickets = {}
if raw then tickets = live_tickets(cjson.decode(raw), tonumber(ARGV[2]), nil) end
local number = 0
if #tickets > 0 then number = cjson.decode(tickets[#tickets])['number'] + 1 end
tickets[#tickets + 1] = cjson.encode({number = number, expires = tonumber(ARGV[3])})
local lock = cjson.encode({conversation_id = ARGV[1], tickets = tickets})
redis.call('SET', KEYS[1], lock)
return lock
"""
)

# KEYS[1]: the lock; ARGV: now, and the ticket that is done, if any. Drops it and the expired
# tickets; deletes the lock once nobody holds or waits for it. Returns how many tickets remain.
_RELEASE = (
    _LIVE_TICKETS
    + """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local lock = cjson.decode(raw)
local drop = nil
if ARGV[2] then drop = tonumber(ARGV[2]) end
local tickets = live_tickets(lock, tonumber(ARGV[1]), drop)
if #tickets == 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
lock['tickets'] = tickets
redis.call('SET', KEYS[1], cjson.encode(lock))
return #tickets
"""
)


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore (connection, keys, format) with atomic tickets."""

    def __init__(self, **settings: Any) -> None:  # RedisLockStore's
        super().__init__(**settings)
        self._issue = self.red.register_script(_ISSUE)
        self._release = self.red.register_script(_RELEASE)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self._issued(conversation_id, lock_lifetime).last_issued

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        lock = self._issued(conversation_id, lock_lifetime)
        ticket = lock.last_issued
        try:
            if lock.is_locked(ticket):  # queued behind other messages: Rasa's own wait
                lock = await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
            yield lock
        finally:
            self.cleanup(conversation_id, ticket)

    def update_lock(self, conversation_id: str) -> None:
        """Drop the expired tickets (a waiter's call between looks at the lock)."""
        self._released(conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._released(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self._released(conversation_id, ticket_number)  # the last ticket out deletes the lock

    def _issued(self, conversation_id: str, lifetime: float) -> TicketLock:
        now = time.time()
        try:
            raw = self._issue(
                keys=[self.key_prefix + conversation_id],
                args=[conversation_id, now, now + lifetime],
            )
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return TicketLock.from_dict(json.loads(raw))

    def _released(self, conversation_id: str, ticket_number: int | None = None) -> None:
        args: list[float] = [time.time()]
        if ticket_number is not None:
            args.append(ticket_number)
        self._release(keys=[self.key_prefix + conversation_id], args=args)
