"""Run blocking calls in a worker thread under asyncio or trio, without extra dependencies."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncGenerator, Callable
from typing import Any, BinaryIO, TypeVar

from servestatic._files import Parts, read_block

__all__ = ["aiter_spans", "run_sync"]

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


async def aiter_spans(
    handle: BinaryIO, parts: Parts, tail: bytes, block_size: int
) -> AsyncGenerator[bytes, None]:
    """The spans of :class:`~servestatic._files.Spans`, each block read in a worker thread.

    Closes the file when exhausted or when the consumer stops early.
    """
    try:
        for offset, length, head in parts:
            if head:
                yield head
            position, end = offset, offset + length
            while position < end:
                size = min(block_size, end - position)
                yield await run_sync(read_block, handle, position, size)
                position += size
        if tail:
            yield tail
    finally:
        handle.close()
