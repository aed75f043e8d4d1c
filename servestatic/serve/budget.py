"""A process-wide budget for file bytes read but not yet taken by the server (issue 13).

Every streamed body (a large file, a range, a multipart body) reads its file in blocks. A
block's share of the budget is held from the moment the block is read until the stream
asks for its next block, which it does once the server has taken the last one: a WSGI
server asks for the next item after writing the previous one; the ASGI adapter asks after
``send`` returned (and, for a client that has not shown that it reads, after an empty
message that servers hold while their write buffer is full). The sum of what all streams
hold is bounded by the budget:

* a block is as large as the stream has earned: the minimum block until the server has
  taken :data:`PROOF` bytes (more than the buffers between us and a client that does not
  read take, so the client is reading), then the configured block size. A client that
  stops reading early thus holds one small block, wherever it sits;
* a block also shrinks with the free budget (at most a quarter of what is free), and never
  exceeds the span still to send;
* a stream that finds too little free waits (first come, first served) without holding
  anything, so no stream waits while holding a share and no cycle can form. After
  ``max_wait`` seconds it takes a minimum block past the budget and never waits again
  (clients that stall while holding the whole budget must not stop every other download):
  the excess is bounded by one minimum block per such stream, as with any server's
  per-connection buffers, and it is logged.

What the budget cannot see is the server's own write buffer: uvicorn and hypercorn keep up
to 64 KiB per connection before ``send`` waits, granian several hundred KiB. Small blocks
for unproven clients keep our part of that small; the benchmark's slow-reader part
measures the rest (``benchmarks/slowreaders.py``).

Blocks are new ``bytes`` each time rather than reused buffers: ASGI and WSGI bodies are
``bytes``, and servers keep a reference to what they were given until it is written
(uvloop queues the object itself), so reusing a buffer would corrupt bodies.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Imported where a coroutine waits: a WSGI server never does, and asyncio is a tenth
    # of the cold start of ``import servestatic.wsgi`` (issue 19).
    import asyncio

__all__ = ["MIN_BLOCK", "PROOF", "Lease", "StreamBudget", "shared_budget"]

#: The block of a stream that has not shown that its client reads (the default of
#: ``[streaming] min_block_size``).
MIN_BLOCK = 16 * 1024
#: Bytes a server must have taken before a stream's blocks grow: more than the socket
#: buffers and a server's write buffer take for a client that reads nothing (about 3 MiB
#: over loopback, where Linux grows them largest with its 64 KiB segments; about 0.2 MiB
#: across Ethernet), so a client that passes it is reading.
PROOF = 4 * 1024 * 1024
#: Overdrafts are logged at most this often (seconds).
LOG_INTERVAL = 60.0

logger = logging.getLogger("servestatic")


class _Waiter:
    """A stream waiting for a share; ``granted`` is set under the budget's lock."""

    __slots__ = ("floor", "granted", "wake", "want")

    def __init__(self, want: int, floor: int, wake: Callable[[], None]) -> None:
        self.want = want
        self.floor = floor
        self.wake = wake
        self.granted = 0


class StreamBudget:
    """The bytes all streamed bodies of a process may hold at once."""

    def __init__(
        self, capacity: int, max_block: int, max_wait: float, min_block: int = MIN_BLOCK
    ) -> None:
        self.capacity = capacity
        self.max_block = max(1, min(max_block, capacity))
        self.min_block = min(min_block, self.max_block)
        self.max_wait = max_wait
        self.used = 0
        #: The most ever held at once, and the number of minimum blocks taken past the
        #: budget after ``max_wait`` (for tests, benchmarks and the log).
        self.peak = 0
        self.overdrafts = 0
        self._lock = threading.Lock()
        self._queue: collections.deque[_Waiter] = collections.deque()
        self._logged = -LOG_INTERVAL

    def lease(self) -> Lease:
        """The share of one response body (release it with :meth:`Lease.close`)."""
        return Lease(self)

    # -- under the lock ---------------------------------------------------------------

    def _size(self, want: int, floor: int) -> int:
        """What a request for ``want`` bytes (at least ``floor``) gets now; 0 if too little
        is free. At most a quarter of the free budget, so blocks shrink as it fills."""
        free = self.capacity - self.used
        if free < floor:
            return 0
        return min(want, max(floor, free // 4))

    def _grant(self, size: int) -> None:
        self.used += size
        self.peak = max(self.peak, self.used)

    def _release(self, size: int) -> None:
        self.used -= size
        queue = self._queue
        while queue:
            waiter = queue[0]
            granted = self._size(waiter.want, waiter.floor)
            if not granted:
                return
            queue.popleft()
            self._grant(granted)
            waiter.granted = granted
            waiter.wake()

    # -- used by leases ---------------------------------------------------------------

    def try_take(
        self,
        want: int,
        floor: int,
        *,
        overdraft: bool,
        wake: Callable[[], None] | None = None,
    ) -> tuple[int, _Waiter | None]:
        """Take a share now if one is free and nobody waits before us.

        Otherwise: with ``overdraft``, take ``floor`` past the budget; with ``wake``, join
        the queue (``wake`` is called, from whichever thread releases, once the returned
        waiter is granted); with neither, return (0, None).
        """
        with self._lock:
            if not self._queue:
                size = self._size(want, floor)
                if size:
                    self._grant(size)
                    return size, None
            if overdraft:
                self._grant(floor)
                return floor, None
            if wake is None:
                return 0, None
            waiter = _Waiter(want, floor, wake)
            self._queue.append(waiter)
            return 0, waiter

    def resolve(self, waiter: _Waiter) -> tuple[int, bool]:
        """After a wait: the share granted, or (after ``max_wait``) leave the queue and
        take a minimum block past the budget. Returns (size, overdrawn)."""
        with self._lock:
            if waiter.granted:
                return waiter.granted, False
            self._queue.remove(waiter)
            self._grant(waiter.floor)
            self.overdrafts += 1
            now = time.monotonic()
            log = now - self._logged >= LOG_INTERVAL
            if log:
                self._logged = now
            used, waiting = self.used, len(self._queue)
        if log:
            logger.warning(
                "the streaming budget (%d bytes) stayed full for %g s: a response "
                "continues past it in %d-byte blocks (%d bytes now held, %d responses "
                "waiting). Clients that stopped reading hold it: raise [streaming] budget "
                "or limit connections per client.",
                self.capacity,
                self.max_wait,
                waiter.floor,
                used,
                waiting,
            )
        return waiter.floor, True

    def abandon(self, waiter: _Waiter) -> None:
        """A waiter that is cancelled (its client left): give back whatever it was granted."""
        with self._lock:
            if waiter.granted:
                granted, waiter.granted = waiter.granted, 0
                self._release(granted)
            else:
                self._queue.remove(waiter)

    def release(self, size: int) -> None:
        if size:
            with self._lock:
                self._release(size)


class Lease:
    """One body's share of the budget: the block it holds and the size of the next one."""

    __slots__ = ("block", "budget", "held", "overdraft", "taken")

    def __init__(self, budget: StreamBudget) -> None:
        self.budget = budget
        self.held = 0
        #: Bytes the server has taken from this stream so far.
        self.taken = 0
        self.block = budget.min_block
        self.overdraft = False

    @property
    def full(self) -> bool:
        """Does this stream read full blocks (its client has taken :data:`PROOF` bytes, or
        the minimum block is the full one)?"""
        return self.block >= self.budget.max_block

    def _want(self, remaining: int) -> tuple[int, int]:
        budget = self.budget
        if self.taken >= PROOF:
            # Straight to the full size: intermediate sizes would only add thread hops.
            self.block = budget.max_block
        want = min(self.block, remaining)
        return want, min(want, budget.min_block)

    def release(self) -> None:
        """The server has taken the block this stream held."""
        held = self.held
        if held:
            self.held = 0
            self.taken += held
            self.budget.release(held)

    def take(self, remaining: int) -> int:
        """The size of the next block (at most ``remaining``), waiting in this thread."""
        self.release()
        want, floor = self._want(remaining)
        budget = self.budget
        size, _ = budget.try_take(want, floor, overdraft=self.overdraft)
        if not size:
            event = threading.Event()
            size, waiter = budget.try_take(want, floor, overdraft=False, wake=event.set)
            if waiter is not None:
                event.wait(budget.max_wait)
                size, self.overdraft = budget.resolve(waiter)
        self.held = size
        return size

    async def atake(self, remaining: int, stop: asyncio.Future[Any] | None = None) -> int:
        """:meth:`take` for a coroutine (asyncio or trio); 0 if ``stop`` finished first."""
        self.release()
        want, floor = self._want(remaining)
        budget = self.budget
        size, _ = budget.try_take(want, floor, overdraft=self.overdraft)
        if not size:
            size, self.overdraft = await _queue_for(budget, want, floor, stop)
        self.held = size
        return size

    def close(self) -> None:
        """The body is finished or abandoned: give back what is held."""
        held, self.held = self.held, 0
        self.budget.release(held)


async def _queue_for(
    budget: StreamBudget, want: int, floor: int, stop: asyncio.Future[Any] | None
) -> tuple[int, bool]:
    """Wait in the queue: (size, overdrawn), or (0, False) if ``stop`` finished first.
    Wake-ups may come from any thread."""
    import asyncio  # noqa: PLC0415 - see the import at the top; loaded by now under asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return await _queue_for_trio(budget, want, floor)
    granted: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        loop.call_soon_threadsafe(_resolve, granted)

    size, waiter = budget.try_take(want, floor, overdraft=False, wake=wake)
    if waiter is None:
        return size, False
    waited: set[asyncio.Future[Any]] = {granted} if stop is None else {granted, stop}
    try:
        done, _ = await asyncio.wait(
            waited, timeout=budget.max_wait, return_when=asyncio.FIRST_COMPLETED
        )
    except BaseException:
        budget.abandon(waiter)
        raise
    finally:
        granted.cancel()
    if done and granted not in done:
        budget.abandon(waiter)
        return 0, False
    return budget.resolve(waiter)


def _resolve(future: asyncio.Future[None]) -> None:
    # The wait may have ended (timed out, or the client left) before the wake-up ran.
    if not future.done():
        future.set_result(None)


async def _queue_for_trio(budget: StreamBudget, want: int, floor: int) -> tuple[int, bool]:
    import trio  # noqa: PLC0415 - only imported when running under trio

    event = trio.Event()
    token = trio.lowlevel.current_trio_token()

    def wake() -> None:
        token.run_sync_soon(event.set)

    size, waiter = budget.try_take(want, floor, overdraft=False, wake=wake)
    if waiter is None:
        return size, False
    try:
        with trio.move_on_after(budget.max_wait):
            await event.wait()
    except BaseException:
        budget.abandon(waiter)
        raise
    return budget.resolve(waiter)


_shared: dict[tuple[int, int, float, int], StreamBudget] = {}
_shared_lock = threading.Lock()


def shared_budget(
    capacity: int, max_block: int, max_wait: float, min_block: int = MIN_BLOCK
) -> StreamBudget:
    """The process's budget for these settings: applications configured alike share one."""
    key = (capacity, max_block, max_wait, min_block)
    with _shared_lock:
        budget = _shared.get(key)
        if budget is None:
            budget = _shared[key] = StreamBudget(capacity, max_block, max_wait, min_block)
        return budget
