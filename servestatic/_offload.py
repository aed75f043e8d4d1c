"""Run blocking calls in a worker thread under asyncio or trio, without extra dependencies."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["run_sync"]

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
