"""The streaming budget (issue 13 item 4): what slow readers may hold, on every adapter.

Each test counts, from outside, the bytes read from files and the bytes a fake server has
taken (a ``send`` that returned, a WSGI item written), so "the budget is respected" is not
just the budget's own bookkeeping agreeing with itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trio

import servestatic.serve.files
import servestatic.serve.offload
from servestatic import ServeStatic, ServeStaticASGI
from servestatic.config import Settings
from servestatic.serve.budget import MIN_BLOCK, PROOF, StreamBudget, _resolve
from tests.conftest import write

SIZE = 600_000  # above the memory cache, many minimum blocks
DATA = bytes(range(251)) * (SIZE // 251) + bytes(SIZE % 251)
RANGES = "bytes=0-99,1000-70999,200000-399999,599990-"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write(tmp_path / "big.bin", DATA)
    return tmp_path


class Ledger:
    """Bytes read from files (patched ``read_block``) against bytes the server has taken."""

    def __init__(self) -> None:
        self.read = 0
        self.taken = 0
        self.most = 0
        self.reads: list[tuple[int, int]] = []
        self.lock = threading.Lock()

    def on_read(self, offset: int, length: int) -> None:
        with self.lock:
            self.read += length
            self.reads.append((offset, length))
            self.most = max(self.most, self.read - self.taken)

    def on_taken(self, length: int) -> None:
        with self.lock:
            self.taken += length


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> Ledger:
    ledger = Ledger()
    original = servestatic.serve.files.read_block

    def counted(handle: Any, offset: int, length: int) -> bytes:
        ledger.on_read(offset, length)
        return original(handle, offset, length)

    monkeypatch.setattr(servestatic.serve.files, "read_block", counted)
    monkeypatch.setattr(servestatic.serve.offload, "read_block", counted)
    return ledger


def settings(
    budget: int,
    *,
    block_size: int = 256 * 1024,
    max_wait: float = 30.0,
    min_block_size: int = MIN_BLOCK,
) -> Settings:
    return Settings.model_validate(
        {
            "memory_cache": {"max_file_size": 0},
            "streaming": {
                "budget": budget,
                "block_size": block_size,
                "max_wait": max_wait,
                "min_block_size": min_block_size,
            },
        }
    )


def scope(path: str = "/big.bin", range_: str | None = None) -> dict[str, Any]:
    headers = [(b"range", range_.encode())] if range_ else []
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
    }


def expected_body(range_: str | None) -> bytes:
    if range_ is None:
        return DATA
    return DATA[1000:71000]  # the single-range cases below


class Client:
    """One fake connection for the ASGI tests: what it received, and when it leaves."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.body = bytearray()
        self.messages: list[dict[str, Any]] = []
        self.done = False


# ----------------------------------------------------------------------------- asyncio


@dataclass(frozen=True)
class FakeServer:
    """What differs between the ASGI servers these tests imitate: the event loop's event
    and sleep, and what ``send`` does once the client has left (uvicorn: returns at once;
    hypercorn under trio: raises ``gone``)."""

    event: Callable[[], Any]
    sleep: Callable[[float], Awaitable[Any]]
    gone: type[Exception] | None = None


UVICORN = FakeServer(asyncio.Event, asyncio.sleep)
HYPERCORN_TRIO = FakeServer(trio.Event, trio.sleep, trio.ClosedResourceError)


async def fake_fetch(
    server: FakeServer,
    app: Any,
    client: Client,
    *,
    path: str = "/big.bin",
    range_: str | None = None,
    delay: float = 0.0,
    stall_after: int | None = None,
    leave: Any = None,
) -> None:
    """One GET through ``app`` as ``server`` runs it; ``send`` returns once the (fake)
    socket took the message, a stalled client blocks it until the client leaves, after
    which ``receive`` says ``http.disconnect``."""
    leave = server.event() if leave is None else leave
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await leave.wait()
        return {"type": "http.disconnect"}

    def left() -> None:
        if server.gone is not None:
            raise server.gone

    async def send(message: dict[str, Any]) -> None:
        if leave.is_set():
            left()
            return
        client.messages.append(message)
        body = message.get("body", b"")
        if stall_after is not None and len(client.body) >= stall_after:
            await leave.wait()
            left()
            return
        if delay:
            await server.sleep(delay)
        client.body += body
        client.ledger.on_taken(len(body))

    with contextlib.suppress(*([server.gone] if server.gone else [])):
        await app(scope(path, range_), receive, send)
    client.done = True


async def asyncio_fetch(app: Any, client: Client, **options: Any) -> None:
    """uvicorn's behaviour (see :class:`FakeServer`)."""
    await fake_fetch(UVICORN, app, client, **options)


def asgi_app(tree: Path, budget: int, **options: Any) -> ServeStaticASGI:
    return ServeStaticASGI(None, tree, settings=settings(budget, **options))


def test_asgi_budget_is_respected_with_slow_sends(tree: Path, ledger: Ledger) -> None:
    capacity = 64 * 1024
    app = asgi_app(tree, capacity)

    async def main() -> list[Client]:
        clients = [Client(ledger) for _ in range(8)]
        await asyncio.gather(*(asyncio_fetch(app, c, delay=0.0005) for c in clients))
        return clients

    clients = asyncio.run(main())
    assert all(bytes(c.body) == DATA for c in clients)
    assert 0 < ledger.most <= capacity
    assert app.engine.streams.peak <= capacity
    assert app.engine.streams.used == 0


def test_asgi_a_stalled_reader_holds_one_block(tree: Path, ledger: Ledger) -> None:
    """Between blocks, an empty message waits for the server; the next block is read only
    after that, so a stalled client never has a second block read for it."""
    app = asgi_app(tree, 1024 * 1024)
    budget = app.engine.streams

    async def main() -> Client:
        client, leave = Client(ledger), asyncio.Event()
        task = asyncio.ensure_future(asyncio_fetch(app, client, stall_after=100_000, leave=leave))
        for _ in range(200):
            await asyncio.sleep(0.001)
        # The last block sits in the (fake) server's buffer: its share is still held,
        # and nothing more was read for this client.
        held, read_for_it = budget.used, ledger.read - ledger.taken
        leave.set()
        await task
        assert (held, read_for_it) == (MIN_BLOCK, 0)
        return client

    client = asyncio.run(main())
    assert budget.used == 0
    assert len(client.body) < SIZE


async def _until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Let the event loop run until ``condition()`` holds, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.001)


def test_asgi_disconnect_releases_the_budget_and_the_queue(tree: Path, ledger: Ledger) -> None:
    """A stalled client holds the whole (one-block) budget; a second waits for it; both
    leave: everything is given back and nobody takes a block past the budget."""
    app = asgi_app(tree, MIN_BLOCK)
    budget = app.engine.streams

    async def main() -> None:
        first, second = Client(ledger), Client(ledger)
        leave_first, leave_second = asyncio.Event(), asyncio.Event()
        one = asyncio.ensure_future(asyncio_fetch(app, first, stall_after=1, leave=leave_first))
        # Each client's file is opened in a worker thread first, which a busy machine may
        # take a while to schedule: the second starts only once the first holds the
        # budget (else it could take the budget first and the roles swap), then the test
        # waits until the second has queued. At most 5 s each.
        await _until(lambda: budget.used == MIN_BLOCK)
        two = asyncio.ensure_future(asyncio_fetch(app, second, leave=leave_second))
        await _until(lambda: len(budget._queue) == 1)
        assert budget.used == MIN_BLOCK
        assert len(budget._queue) == 1
        leave_second.set()
        await asyncio.wait_for(two, 5)
        assert len(budget._queue) == 0
        leave_first.set()
        await asyncio.wait_for(one, 5)

    asyncio.run(main())
    assert budget.used == 0
    assert budget.overdrafts == 0


@pytest.mark.parametrize("range_", [None, "bytes=1000-70999"])
def test_asgi_budget_smaller_than_a_block_does_not_deadlock(
    tree: Path, ledger: Ledger, range_: str | None
) -> None:
    capacity = 4096
    app = asgi_app(tree, capacity)

    async def main() -> list[Client]:
        clients = [Client(ledger) for _ in range(6)]
        await asyncio.wait_for(
            asyncio.gather(*(asyncio_fetch(app, c, range_=range_) for c in clients)), 30
        )
        return clients

    clients = asyncio.run(main())
    assert all(bytes(c.body) == expected_body(range_) for c in clients)
    assert ledger.most <= capacity
    assert max(length for _, length in ledger.reads) <= capacity
    assert app.engine.streams.used == 0


def test_asgi_a_full_budget_is_overdrawn_after_max_wait(
    tree: Path, ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that stalls holding the whole budget cannot stop another download: after
    ``max_wait`` it continues in minimum blocks, and the log says why."""
    app = asgi_app(tree, MIN_BLOCK, max_wait=0.05)
    budget = app.engine.streams

    async def main() -> Client:
        stalled, fast, leave = Client(ledger), Client(ledger), asyncio.Event()
        hold = asyncio.ensure_future(asyncio_fetch(app, stalled, stall_after=1, leave=leave))
        await _until(lambda: budget.used == MIN_BLOCK)  # the stalled client holds it all
        await asyncio.wait_for(asyncio_fetch(app, fast), 10)
        leave.set()
        await hold
        return fast

    with caplog.at_level(logging.WARNING, logger="servestatic"):
        fast = asyncio.run(main())
    assert bytes(fast.body) == DATA
    assert budget.overdrafts == 1  # once: the stream then never waits again
    assert budget.used == 0
    assert "streaming budget" in caplog.text
    assert max(length for _, length in ledger.reads) <= MIN_BLOCK


# ----------------------------------------------------------------------------- trio


async def trio_fetch(app: Any, client: Client, **options: Any) -> None:
    """hypercorn's behaviour under trio: ``send`` raises once the client has left."""
    await fake_fetch(HYPERCORN_TRIO, app, client, **options)


def test_trio_budget_is_respected_with_slow_sends(tree: Path, ledger: Ledger) -> None:
    capacity = 64 * 1024
    app = asgi_app(tree, capacity)
    clients = [Client(ledger) for _ in range(8)]

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            for client in clients:
                nursery.start_soon(functools.partial(trio_fetch, app, client, delay=0.0005))

    trio.run(main)
    assert all(bytes(c.body) == DATA for c in clients)
    assert 0 < ledger.most <= capacity
    assert app.engine.streams.used == 0


def test_trio_disconnect_releases_the_budget_and_the_queue(tree: Path, ledger: Ledger) -> None:
    app = asgi_app(tree, MIN_BLOCK)
    budget = app.engine.streams
    first, second = Client(ledger), Client(ledger)

    async def main() -> None:
        leave = trio.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(lambda: trio_fetch(app, first, stall_after=1, leave=leave))
            # Until the first client holds the budget (its file is opened in a worker
            # thread first); at most 5 s.
            with trio.move_on_after(5):
                while budget.used != MIN_BLOCK:
                    await trio.sleep(0.001)
            with trio.move_on_after(0.05) as waiting:
                # The second client waits for the budget; its task is cancelled (the
                # server gave up on it), which must take it out of the queue.
                await trio_fetch(app, second)
            assert waiting.cancelled_caught
            assert len(budget._queue) == 0
            assert budget.used == MIN_BLOCK
            leave.set()

    trio.run(main)
    assert budget.used == 0
    assert budget.overdrafts == 0


@pytest.mark.parametrize("range_", [None, "bytes=1000-70999"])
def test_trio_budget_smaller_than_a_block_does_not_deadlock(
    tree: Path, ledger: Ledger, range_: str | None
) -> None:
    capacity = 4096
    app = asgi_app(tree, capacity)
    clients = [Client(ledger) for _ in range(6)]

    async def main() -> None:
        with trio.fail_after(30):
            async with trio.open_nursery() as nursery:
                for client in clients:
                    nursery.start_soon(functools.partial(trio_fetch, app, client, range_=range_))

    trio.run(main)
    assert all(bytes(c.body) == expected_body(range_) for c in clients)
    assert ledger.most <= capacity
    assert app.engine.streams.used == 0


# ----------------------------------------------------------------------------- WSGI


def environ(range_: str | None = None, *, file_wrapper: bool = False) -> dict[str, Any]:
    values: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/big.bin",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
    }
    if range_:
        values["HTTP_RANGE"] = range_
    if not file_wrapper:
        # A server without sendfile: wsgiref's FileWrapper calls read() on our file object.
        values.pop("wsgi.file_wrapper", None)
    return values


def wsgi_fetch(
    app: ServeStatic,
    ledger: Ledger,
    *,
    range_: str | None = None,
    delay: float = 0.0,
    stop_after: int | None = None,
) -> bytes:
    """A sync server: write each item (slowly), then ask for the next; ``close`` at the end
    or when the client leaves after ``stop_after`` bytes."""
    result = app(environ(range_), lambda status, headers: None)
    body = bytearray()
    try:
        for item in result:
            if delay:
                time.sleep(delay)
            body += item
            ledger.on_taken(len(item))
            if stop_after is not None and len(body) >= stop_after:
                break
    finally:
        close: Callable[[], None] | None = getattr(result, "close", None)
        if close is not None:
            close()
    return bytes(body)


def run_threads(count: int, target: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a stream never finished"


@pytest.mark.parametrize("range_", [None, "bytes=1000-70999"])
def test_wsgi_budget_is_respected_with_slow_writes(
    tree: Path, ledger: Ledger, range_: str | None
) -> None:
    capacity = 64 * 1024
    app = ServeStatic(None, tree, settings=settings(capacity))
    bodies: dict[int, bytes] = {}

    def fetch(number: int) -> None:
        bodies[number] = wsgi_fetch(app, ledger, range_=range_, delay=0.0005)

    run_threads(8, fetch)
    assert all(body == expected_body(range_) for body in bodies.values())
    assert 0 < ledger.most <= capacity
    assert app.engine.streams.peak <= capacity
    assert app.engine.streams.used == 0


@pytest.mark.parametrize("range_", [None, "bytes=1000-70999"])
def test_wsgi_budget_smaller_than_a_block_does_not_deadlock(
    tree: Path, ledger: Ledger, range_: str | None
) -> None:
    capacity = 4096
    app = ServeStatic(None, tree, settings=settings(capacity))
    bodies: dict[int, bytes] = {}

    def fetch(number: int) -> None:
        bodies[number] = wsgi_fetch(app, ledger, range_=range_)

    run_threads(6, fetch)
    assert all(body == expected_body(range_) for body in bodies.values())
    assert ledger.most <= capacity
    assert app.engine.streams.used == 0


@pytest.mark.parametrize("range_", [None, "bytes=1000-70999"])
def test_wsgi_close_releases_the_budget(tree: Path, ledger: Ledger, range_: str | None) -> None:
    app = ServeStatic(None, tree, settings=settings(1024 * 1024))
    body = wsgi_fetch(app, ledger, range_=range_, stop_after=1)
    assert 0 < len(body) < len(expected_body(range_))
    assert app.engine.streams.used == 0


# ----------------------------------------------------------------------------- spans


def _spans(range_: str) -> list[tuple[int, int]]:
    spans = []
    for item in range_.removeprefix("bytes=").split(","):
        first, _, last = item.partition("-")
        end = int(last) + 1 if last else SIZE
        spans.append((int(first), end))
    return spans


def _check_reads(ledger: Ledger, range_: str, limit: int) -> None:
    spans = _spans(range_)
    for offset, length in ledger.reads:
        assert 0 < length <= limit
        assert any(first <= offset and offset + length <= end for first, end in spans), (
            offset,
            length,
        )
    assert sum(length for _, length in ledger.reads) == sum(end - first for first, end in spans)


@pytest.mark.parametrize("budget", [4096, 20_000, 1024 * 1024])
def test_asgi_blocks_never_exceed_the_span(tree: Path, ledger: Ledger, budget: int) -> None:
    app = asgi_app(tree, budget, block_size=65536)
    client = Client(ledger)
    asyncio.run(asyncio_fetch(app, client, range_=RANGES))
    assert client.messages[0]["status"] == 206
    _check_reads(ledger, RANGES, min(budget, 65536))
    for message in client.messages[1:]:
        assert len(message.get("body", b"")) <= max(min(budget, 65536), 200)  # or a part head


@pytest.mark.parametrize("budget", [4096, 20_000, 1024 * 1024])
def test_wsgi_blocks_never_exceed_the_span(tree: Path, ledger: Ledger, budget: int) -> None:
    app = ServeStatic(None, tree, settings=settings(budget, block_size=65536))
    wsgi_fetch(app, ledger, range_=RANGES)
    _check_reads(ledger, RANGES, min(budget, 65536))


# ----------------------------------------------------------------------------- the policy


def test_blocks_start_small_and_grow_once_the_client_has_taken_enough() -> None:
    budget = StreamBudget(64 * 1024 * 1024, 1024 * 1024, 1.0)
    lease = budget.lease()
    sizes = []
    total = 0
    while total < PROOF + 4 * 1024 * 1024:
        size = lease.take(1 << 40)
        sizes.append(size)
        total += size
    lease.close()
    assert set(sizes[: PROOF // MIN_BLOCK]) == {MIN_BLOCK}
    assert set(sizes[PROOF // MIN_BLOCK :]) == {1024 * 1024}
    assert budget.used == 0


def test_blocks_shrink_as_the_budget_fills() -> None:
    budget = StreamBudget(1024 * 1024, 256 * 1024, 1.0)
    grown = budget.lease()
    grown.taken = PROOF  # as if it had sent 4 MiB
    grown.block = 256 * 1024
    assert grown.take(1 << 40) == 256 * 1024
    others = [budget.lease() for _ in range(40)]
    for lease in others:
        lease.take(1 << 40)
    free = budget.capacity - budget.used
    grown.release()
    free += 256 * 1024
    size = grown.take(1 << 40)
    assert size == min(256 * 1024, max(MIN_BLOCK, free // 4))
    assert size < 256 * 1024
    for lease in [grown, *others]:
        lease.close()
    assert budget.used == 0


def test_a_grant_never_exceeds_what_remains() -> None:
    budget = StreamBudget(1024 * 1024, 256 * 1024, 1.0)
    lease = budget.lease()
    assert [lease.take(n) for n in (1, 100, MIN_BLOCK + 1, 5)] == [1, 100, MIN_BLOCK, 5]
    lease.close()
    assert budget.used == 0


def test_waiters_are_served_in_order() -> None:
    budget = StreamBudget(MIN_BLOCK, MIN_BLOCK, 30.0)
    holder = budget.lease()
    holder.take(MIN_BLOCK)
    order: list[int] = []

    def wait(number: int) -> None:
        lease = budget.lease()
        lease.take(MIN_BLOCK)
        order.append(number)
        lease.close()

    threads = []
    for number in range(3):
        thread = threading.Thread(target=wait, args=(number,))
        thread.start()
        threads.append(thread)
        while len(budget._queue) <= number:
            time.sleep(0.001)
    holder.close()
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2]
    assert budget.used == 0


# ----------------------------------------------------------------------------- large bodies


LARGE = PROOF + 3 * 1024 * 1024 + 123


@pytest.fixture
def large(tmp_path: Path) -> Path:
    write(tmp_path / "large.bin", (DATA * (LARGE // SIZE + 1))[:LARGE])
    return tmp_path


def _check_large_reads(ledger: Ledger, block_size: int) -> None:
    """Minimum blocks until the client has taken PROOF bytes, then full blocks (read in a
    worker thread under ASGI), never past the end."""
    offsets = [offset for offset, _ in ledger.reads]
    assert offsets == sorted(offsets)
    small = [length for offset, length in ledger.reads if offset < PROOF]
    big = [length for offset, length in ledger.reads if offset >= PROOF]
    assert set(small) == {MIN_BLOCK}
    assert big[:-1] == [block_size] * (len(big) - 1)
    assert 0 < big[-1] <= block_size
    assert sum(small) + sum(big) == LARGE


def test_asgi_large_body_grows_its_blocks(large: Path, ledger: Ledger) -> None:
    app = ServeStaticASGI(None, large, settings=settings(64 * 1024 * 1024, block_size=1 << 20))
    client = Client(ledger)
    asyncio.run(asyncio_fetch(app, client, path="/large.bin"))
    assert bytes(client.body) == (large / "large.bin").read_bytes()
    _check_large_reads(ledger, 1 << 20)
    # Past PROOF no empty message separates the blocks: the next one is read while the
    # server writes.
    bodies = [len(m.get("body", b"")) for m in client.messages[1:]]
    assert 0 in bodies[: 2 * PROOF // MIN_BLOCK]
    assert 0 not in bodies[2 * PROOF // MIN_BLOCK + 2 : -1]
    assert app.engine.streams.used == 0


def test_trio_large_body_grows_its_blocks(large: Path, ledger: Ledger) -> None:
    app = ServeStaticASGI(None, large, settings=settings(64 * 1024 * 1024, block_size=1 << 20))
    client = Client(ledger)
    trio.run(functools.partial(trio_fetch, app, client, path="/large.bin"))
    assert bytes(client.body) == (large / "large.bin").read_bytes()
    _check_large_reads(ledger, 1 << 20)
    assert app.engine.streams.used == 0


def test_wsgi_large_body_grows_its_blocks(large: Path, ledger: Ledger) -> None:
    """Without sendfile, wsgiref's FileWrapper reads through the budget too."""
    app = ServeStatic(None, large, settings=settings(64 * 1024 * 1024, block_size=1 << 20))
    values = environ() | {"PATH_INFO": "/large.bin"}
    result = app(values, lambda status, headers: None)
    body = b"".join(result)
    result.close()  # type: ignore[attr-defined]
    assert body == (large / "large.bin").read_bytes()
    _check_large_reads(ledger, 1 << 20)
    assert app.engine.streams.used == 0


# ----------------------------------------------------------------------------- edge cases


def test_a_waiter_cancelled_after_its_grant_gives_it_back() -> None:
    budget = StreamBudget(MIN_BLOCK, MIN_BLOCK, 30.0)

    async def main() -> None:
        holder = budget.lease()
        holder.take(MIN_BLOCK)
        task = asyncio.ensure_future(budget.lease().atake(MIN_BLOCK))
        await asyncio.sleep(0.01)
        assert len(budget._queue) == 1
        holder.close()  # grants the waiter, whose task has not run yet...
        task.cancel()  # ...and is cancelled before it does
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert (budget.used, len(budget._queue)) == (0, 0)


def test_a_thread_waits_then_overdraws_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    budget = StreamBudget(MIN_BLOCK, MIN_BLOCK, 0.02)
    holder = budget.lease()
    holder.take(MIN_BLOCK)
    late = [budget.lease(), budget.lease()]
    with caplog.at_level(logging.WARNING, logger="servestatic"):
        assert [lease.take(MIN_BLOCK) for lease in late] == [MIN_BLOCK, MIN_BLOCK]
        # Once overdrawn, a stream never waits again.
        started = time.monotonic()
        assert late[0].take(MIN_BLOCK) == MIN_BLOCK
        assert time.monotonic() - started < 0.02
    assert budget.overdrafts == 2
    assert budget.used == 3 * MIN_BLOCK
    assert caplog.text.count("streaming budget") == 1  # at most once a minute
    for lease in [holder, *late]:
        lease.close()
    assert budget.used == 0


def test_a_late_wake_up_is_harmless() -> None:
    async def main() -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.cancel()
        _resolve(future)  # the wait ended before the wake-up ran: nothing to do
        assert future.cancelled()

    asyncio.run(main())


def test_applications_configured_alike_share_one_budget(tree: Path) -> None:
    first = ServeStatic(None, tree, settings=settings(5 * 1024 * 1024))
    second = ServeStaticASGI(None, tree, settings=settings(5 * 1024 * 1024))
    other = ServeStatic(None, tree, settings=settings(6 * 1024 * 1024))
    assert first.engine.streams is second.engine.streams
    assert other.engine.streams is not first.engine.streams


def test_min_block_size_equal_to_block_size_sends_full_blocks_at_once(
    large: Path, ledger: Ledger
) -> None:
    """Behind a buffering proxy no client can stall the application: full blocks from the
    first byte, read while the server writes the previous one."""
    options = {"block_size": 1 << 20, "min_block_size": 1 << 20}
    app = ServeStaticASGI(None, large, settings=settings(64 * 1024 * 1024, **options))
    client = Client(ledger)
    asyncio.run(asyncio_fetch(app, client, range_=None, path="/large.bin"))
    assert bytes(client.body) == (large / "large.bin").read_bytes()
    assert [length for _, length in ledger.reads][:-1] == [1 << 20] * (LARGE // (1 << 20))
    assert all(message.get("body", b"x") for message in client.messages[1:-1])
