"""ASGI adapter: translate a scope into a request record and a plan into messages.

Bodies go out the cheapest way the server offers: bytes from memory for small files,
``http.response.pathsend`` for whole files, ``http.response.zerocopysend`` for ranges, and
otherwise blocks read in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, BinaryIO

from asgiref.compatibility import guarantee_single_callable

from servestatic._budget import StreamBudget
from servestatic._files import Parts, StaleFile, open_representation, read_bytes
from servestatic._offload import aiter_spans, run_sync
from servestatic._paths import route_path
from servestatic._records import (
    MAX_FIELD_LENGTH,
    FileBody,
    MultipartBody,
    Plan,
    Request,
)
from servestatic._respond import NOT_FOUND
from servestatic._watch import stop_on_shutdown
from servestatic.base import ServeStaticBase

__all__ = ["ServeStaticASGI"]

Scope = MutableMapping[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Request headers the core reads → position in the Request record.
_FIELDS = {
    b"accept-encoding": 3,
    b"if-none-match": 4,
    b"if-modified-since": 5,
    b"if-match": 6,
    b"if-unmodified-since": 7,
    b"range": 8,
    b"if-range": 9,
    b"origin": 10,
}


def request_from_scope(scope: Scope, path: str | None = None, mount: str = "") -> Request:
    """Build the request record from an HTTP scope (``path`` is already decoded text).

    ``path`` is the path below ``mount`` (the scope's ``root_path``), when it has one."""
    values: list[Any] = [
        scope["method"],
        scope["path"] if path is None else path,
        scope.get("query_string", b"").decode("latin-1"),
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        scope.get("raw_path"),
        mount,
    ]
    fields = _FIELDS
    for name, value in scope["headers"]:
        position = fields.get(name)
        if position is not None:
            current = values[position]
            if current is None:
                values[position] = value.decode("latin-1")
            elif len(current) <= MAX_FIELD_LENGTH:
                # Repeated list-valued headers combine with ", " (RFC 9110 §5.3). Past the
                # length the core parses, the value is malformed whatever follows: further
                # lines are dropped, so 100,000 repeats cost no more than one long line
                # (combining them all was quadratic).
                values[position] = f"{current}, {value.decode('latin-1')}"
    return _new_tuple(Request, values)  # every field given: skip the Python-level __new__


_new_tuple = tuple.__new__
_EARLY_HINT = "http.response.early_hint"
#: RFC 9211: this cache (the process's memory cache) answered the request.
CACHE_STATUS_HIT = (b"cache-status", b"servestatic; hit")


class ServeStaticASGI(ServeStaticBase):
    """Serve static files in front of an ASGI application (or alone with ``application=None``)."""

    @staticmethod
    def _wrap_application(application: Any) -> Any:
        """ASGI 2 (double-callable) applications are adapted to ASGI 3."""
        if application is None:
            return None
        return guarantee_single_callable(application)  # type: ignore[no-untyped-call]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            watcher = self.engine.watcher
            if watcher is not None and scope["type"] == "lifespan":
                receive = stop_on_shutdown(receive, watcher)
            if self.application is not None:
                await self.application(scope, receive, send)
            else:
                await _standalone_other(scope, receive, send)
            return
        engine = self.engine
        path = scope["path"]
        mount = scope.get("root_path") or ""
        if mount:
            # Mounted (uvicorn --root-path, granian --url-path-prefix, a Starlette Mount):
            # URLs are resolved below the mount point (issue 13).
            path = route_path(path, mount)
        if engine.passthrough and path not in engine.files and path:
            await self.application(scope, receive, send)
            return
        request = request_from_scope(scope, path, mount)
        if engine.autorefresh:
            plan = await run_sync(engine.handle, request)
        else:
            plan = engine.handle(request)
        if plan is None:
            await self.application(scope, receive, send)
            return
        try:
            await self._send(plan, scope, receive, send)
        except StaleFile as stale:
            await run_sync(engine.refresh, request.path, str(stale))
            plan = await run_sync(engine.handle, request)
            if plan is None:
                await self.application(scope, receive, send)
                return
            try:
                await self._send(plan, scope, receive, send)
            except StaleFile:
                await self._send(NOT_FOUND, scope, receive, send)

    async def _send(self, plan: Plan, scope: Scope, receive: Receive, send: Send) -> None:
        headers = plan.headers.raw
        if plan.extra:
            headers = headers + [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in plan.extra
            ]
        body = plan.body
        if self.engine.early_hints:
            extensions = scope.get("extensions")
            if extensions and _EARLY_HINT in extensions and plan.status == 200:
                # Issue 18: the page's Link hints as a 103 first, where the server offers
                # it (hypercorn over HTTP/2 and HTTP/3, uvicorn's zttp HTTP/2).
                links = [value for name, value in plan.headers.raw if name == b"link"]
                if links:
                    await send({"type": _EARLY_HINT, "links": links})
        start = {"type": "http.response.start", "status": plan.status, "headers": headers}
        if body is None:
            await send(start)
            await send({"type": "http.response.body", "body": b""})
            return
        if type(body) is bytes:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        if type(body) is FileBody:
            await self._send_file(body, start, scope, receive, send)
            return
        await self._send_parts(body, start, receive, send)  # type: ignore[arg-type]

    async def _send_file(
        self, body: FileBody, start: Message, scope: Scope, receive: Receive, send: Send
    ) -> None:
        representation = body.representation
        memory = self.engine.memory
        if memory.eligible(representation):
            # Small files: read once (a few microseconds from the page cache, so on the
            # event loop rather than a thread hop), then served from memory.
            data = memory.get(representation)
            if data is None:
                data = memory.load(representation)
            elif memory.cache_status:
                start["headers"] = [*start["headers"], CACHE_STATUS_HIT]
            await send(start)
            chunk = data if body.whole else data[body.offset : body.offset + body.length]
            await send({"type": "http.response.body", "body": chunk})
            return
        if body.length <= memory.max_file_size and "http.response.zerocopysend" not in (
            scope.get("extensions") or {}
        ):
            # A small span of a big file (a 1 KiB range): one pread, no thread hop.
            data = read_bytes(representation, body.offset, body.length)
            await send(start)
            await send({"type": "http.response.body", "body": data})
            return
        extensions = scope.get("extensions") or {}
        if body.whole and "http.response.pathsend" in extensions:
            # The server opens the path itself, after send() returns: give it a path that
            # names a checked descriptor (/proc/self/fd/N), never the file's own name,
            # which a symlink swapped in meanwhile would redirect (issue 13). A stat per
            # request; far cheaper than a thread hop. None: no such path on this system.
            path = self.engine.handed.path(representation)
            if path is not None:
                await send(start)
                await send({"type": "http.response.pathsend", "path": path})
                return
        handle = await run_sync(open_representation, representation)
        try:
            if "http.response.zerocopysend" in extensions:
                await send(start)
                await send(
                    {
                        "type": "http.response.zerocopysend",
                        "file": handle.fileno(),
                        "offset": body.offset,
                        "count": body.length,
                    }
                )
                return
            await send(start)
            await _stream(
                handle, [(body.offset, body.length, b"")], b"", self.engine.streams, receive, send
            )
        finally:
            handle.close()

    async def _send_parts(
        self, body: MultipartBody, start: Message, receive: Receive, send: Send
    ) -> None:
        handle = await run_sync(open_representation, body.representation)
        try:
            await send(start)
            await _stream(handle, list(body.parts), body.tail, self.engine.streams, receive, send)
        finally:
            handle.close()


async def _stream(
    handle: BinaryIO,
    parts: Parts,
    tail: bytes,
    budget: StreamBudget,
    receive: Receive,
    send: Send,
) -> None:
    """Send file spans in blocks taken from the streaming budget; stop if the client leaves.

    While blocks are small (until the client has shown that it reads by taking
    :data:`~servestatic._budget.PROOF` bytes), each block is followed by an empty message:
    servers answer it once their write buffer has room (uvicorn and hypercorn wait for it
    to drain), and only then is the next block read. A client that stops reading early
    thus leaves one small block in the server's buffer, not a second one waiting in our
    hands. Past that point, the next block is read while the server is still writing the
    last one, as fast clients need.
    """
    watcher = _disconnect_watcher(receive)
    lease = budget.lease()
    blocks = aiter_spans(handle, parts, b"", lease, watcher)
    try:
        async for block in blocks:
            if watcher is not None and watcher.done():
                return
            await send({"type": "http.response.body", "body": block, "more_body": True})
            if not lease.full:
                await send({"type": "http.response.body", "body": b"", "more_body": True})
        if watcher is not None and watcher.done():
            return
        await send({"type": "http.response.body", "body": tail, "more_body": False})
    finally:
        await blocks.aclose()
        if watcher is not None:
            watcher.cancel()


def _disconnect_watcher(receive: Receive) -> asyncio.Future[None] | None:
    """Under asyncio, a task that finishes when the client disconnects (servers such as
    uvicorn silently drop messages sent after that, so we would read the file for nothing).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return None  # trio: the server stops us by raising from send()

    async def wait() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            # Servers block in receive() once the request body is read; yield anyway so
            # that a receive() that answers at once cannot starve the event loop.
            await asyncio.sleep(0)

    return asyncio.ensure_future(wait())


async def _standalone_other(scope: Scope, receive: Receive, send: Send) -> None:
    """Without a wrapped application: complete the lifespan protocol, refuse websockets."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
            else:
                # Not a lifespan message (a server bug, or `http.disconnect` delivered to
                # the wrong scope): end here. Looping again would spin on a receive() that
                # answers at once, holding a core.
                return
    elif scope["type"] == "websocket":
        message = await receive()
        if message["type"] == "websocket.connect":
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": 1000})
