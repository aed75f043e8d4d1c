"""Run blocking calls in a worker thread under asyncio or trio, without extra dependencies."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncGenerator, Callable
from typing import Any, BinaryIO, TypeVar

from servestatic.serve.budget import Lease
from servestatic.serve.files import Parts, read_block

__all__ = ["aiter_spans", "checkpoint", "run_sync"]

T = TypeVar("T")


async def run_sync(function: Callable[..., T], *args: Any) -> T:
    """Call ``function(*args)`` in a thread: asyncio's default executor, or trio's pool.

    One shared pool per event loop; never a new executor per response (ServeStatic creates
    one for every response, which costs about 1.5 ms).
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        import trio  # noqa: PLC0415 - only imported when running under trio

        return await trio.to_thread.run_sync(functools.partial(function, *args))
    return await loop.run_in_executor(None, function, *args)


async def checkpoint() -> None:
    """Let the event loop run other tasks (asyncio or trio)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        import trio  # noqa: PLC0415 - only imported when running under trio

        await trio.lowlevel.checkpoint()
        return
    await asyncio.sleep(0)


#: Blocks up to this size are read on the event loop: a ``pread`` of 64 KiB from the page
#: cache takes microseconds, less than the hop to a worker thread, and bytes allocated on
#: the loop's thread stay in one malloc arena (glibc gives each worker thread its own,
#: which keeps freed blocks after the responses have closed).
INLINE_READ = 64 * 1024


async def aiter_spans(
    handle: BinaryIO,
    parts: Parts,
    tail: bytes,
    lease: Lease,
    stop: asyncio.Future[Any] | None = None,
) -> AsyncGenerator[bytes, None]:
    """The spans of :class:`~servestatic.serve.files.Spans`, each block taken from the streaming
    budget when the consumer asks for it (which releases the previous one: the consumer has
    handed it to the server). Large blocks are read in a worker thread.

    Ends early, without the tail, if ``stop`` finishes while waiting for the budget (the
    client left). Closes the file and gives back the budget when exhausted or when the
    consumer stops early.
    """
    inline = 0
    try:
        for offset, length, head in parts:
            if head:
                yield head
            position, end = offset, offset + length
            while position < end:
                size = await lease.atake(end - position, stop)
                if not size:
                    return
                if size <= INLINE_READ:
                    # A server's send() returns without suspending while its buffer has
                    # room, so without a thread hop nothing else would run: yield to the
                    # event loop now and then (other connections, a disconnect to notice).
                    inline += size
                    if inline >= INLINE_READ:
                        inline = 0
                        await checkpoint()
                    yield read_block(handle, position, size)
                else:
                    yield await run_sync(read_block, handle, position, size)
                position += size
        if tail:
            lease.release()
            yield tail
    finally:
        lease.close()
        handle.close()
