"""ASGI adapter: translate a scope into a request record and a response into messages.

The engine chooses the body (:mod:`servestatic.serve.deliver`) from what the server offers:
bytes for small files and spans, a path for ``http.response.pathsend``, an open file for
``http.response.zerocopysend`` or for blocks read in a worker thread. The engine is called
on the event loop, and again in a worker thread when the answer needs blocking I/O.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, BinaryIO

from asgiref.compatibility import guarantee_single_callable

from servestatic.base import ServeStaticBase
from servestatic.http.paths import route_path
from servestatic.http.records import MAX_FIELD_LENGTH, Request
from servestatic.serve.budget import StreamBudget
from servestatic.serve.deliver import (
    PLAIN,
    Answer,
    FileSpan,
    FileSpans,
    HandedPath,
    Transport,
    WouldBlock,
)
from servestatic.serve.files import Parts
from servestatic.serve.offload import aiter_spans, run_sync
from servestatic.serve.watch import stop_on_shutdown

__all__ = ["ServeStaticASGI"]

Scope = MutableMapping[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Each field's position in the record, by name: the builder below fills a list in the
#: record's own order, whatever that order is.
_AT = {name: position for position, name in enumerate(Request._fields)}
#: Request headers the core reads → their field's position.
_HEADER_AT = {
    name.encode("ascii"): _AT[name.replace("-", "_")]
    for name in (
        "accept-encoding",
        "if-none-match",
        "if-modified-since",
        "if-match",
        "if-unmodified-since",
        "range",
        "if-range",
        "origin",
    )
}
#: How each field that is not a request header is read from the scope (headers start as
#: None and are filled by the loop below).
_SCOPE_SOURCES = {
    "method": 'scope["method"]',
    "path": 'scope["path"] if path is None else path',
    # Most requests have no query: no decode call then (empty bytes are false).
    "query": 'query.decode("latin-1") if (query := scope.get("query_string")) else ""',
    "raw_path": 'scope.get("raw_path")',
    "mount": "mount",
}


def _compile_scanner() -> Callable[..., list[Any]]:
    """``scan_scope``, written once at import with its values in ``Request._fields``
    order, by name (as ``http.environ.request_from_environ`` is): a list literal in that
    order costs ~110 ns less per request than filling a copied list by position, and
    nothing here depends on the field order (the test that reverses the fields checks it).

    The values stay a list until a record is needed: the adapter answers a revalidation
    and a plain GET from them (by the positions below), and making the record costs
    ~0.25 us (a tuple subclass from a list)."""
    headers = set(_HEADER_AT.values())
    values = ", ".join(
        "None" if position in headers else _SCOPE_SOURCES[name]
        for position, name in enumerate(Request._fields)
    )
    source = f"""
def scan_scope(scope, path=None, mount=""):
    values = [{values}]
    for name, value in scope["headers"]:
        position = fields_get(name)
        if position is not None:
            current = values[position]
            if current is None:
                values[position] = value.decode("latin-1")
            elif len(current) <= MAX_FIELD_LENGTH:
                values[position] = f"{{current}}, {{value.decode('latin-1')}}"
    return values
"""
    namespace: dict[str, Any] = {"fields_get": _HEADER_AT.get, "MAX_FIELD_LENGTH": MAX_FIELD_LENGTH}
    exec(source, namespace)  # noqa: S102 - our own text, built from the constants above
    scanner: Callable[..., list[Any]] = namespace["scan_scope"]
    scanner.__module__ = __name__
    scanner.__doc__ = """The request record's values from an HTTP scope, in
    ``Request._fields`` order (``path`` is already decoded text, the path below
    ``mount``, the scope's ``root_path``, when it has one).

    Repeated list-valued headers combine with ", " (RFC 9110 section 5.3). Past the length
    the core parses, the value is malformed whatever follows: further lines are dropped,
    so 100,000 repeats cost no more than one long line (combining them all was
    quadratic)."""
    return scanner


scan_scope = _compile_scanner()
#: Every field is in the list, once: tuple.__new__ skips _make's Python-level call and
#: length check.
_new_record = tuple.__new__


def request_from_scope(scope: Scope, path: str | None = None, mount: str = "") -> Request:
    """The request record of an HTTP scope (see :func:`scan_scope`)."""
    return _new_record(Request, scan_scope(scope, path, mount))


# The positions the adapter reads before a record is made.
_METHOD = _AT["method"]
_ACCEPT_ENCODING = _AT["accept_encoding"]
_IF_NONE_MATCH = _AT["if_none_match"]
_IF_MODIFIED_SINCE = _AT["if_modified_since"]
_IF_MATCH = _AT["if_match"]
_IF_UNMODIFIED_SINCE = _AT["if_unmodified_since"]
_RANGE = _AT["range"]
_ORIGIN = _AT["origin"]
_RAW_PATH = _AT["raw_path"]


_EARLY_HINT = "http.response.early_hint"
_PATHSEND = "http.response.pathsend"
_ZEROCOPYSEND = "http.response.zerocopysend"
#: The four transports, made once: a NamedTuple built per request costs two calls (granian
#: offers pathsend on every request).
_TRANSPORTS = {
    (pathsend, zerocopy): Transport(pathsend=pathsend, zerocopy=zerocopy)
    for pathsend in (False, True)
    for zerocopy in (False, True)
}
_PATHSEND_ONLY = _TRANSPORTS[True, False]


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
        claimed = engine.claimed
        if claimed is not None and path and path not in claimed:
            await self.application(scope, receive, send)
            return
        values = scan_scope(scope, path, mount)
        response: Answer | None = None
        if values[_IF_NONE_MATCH] is not None:
            # What browsers and caches send back, decided from the values it depends on
            # (the WSGI adapter's early check; positionally, in Engine.revalidate's order).
            response = engine.revalidate(
                path,
                values[_RAW_PATH],
                values[_METHOD],
                values[_ACCEPT_ENCODING],
                values[_IF_NONE_MATCH],
                values[_IF_MATCH],
                values[_IF_UNMODIFIED_SINCE],
                values[_ORIGIN],
            )
        elif (
            # A plain GET (servestatic.http.respond.is_plain): the engine's kept answer.
            values[_METHOD] == "GET"
            and values[_RANGE] is None
            and values[_IF_MODIFIED_SINCE] is None
            and values[_IF_MATCH] is None
            and values[_IF_UNMODIFIED_SINCE] is None
        ):
            response = engine.plain(path, values[_RAW_PATH], values[_ACCEPT_ENCODING])
        if response is None:
            request: Request = _new_record(Request, values)
            extensions = scope.get("extensions")
            # Branches, not a lookup keyed by a tuple of both tests: this runs on most
            # requests (granian offers pathsend on each), and the tuple cost ~60 ns.
            if not extensions:
                transport = PLAIN
            elif _ZEROCOPYSEND in extensions:
                transport = _TRANSPORTS[_PATHSEND in extensions, True]
            elif _PATHSEND in extensions:
                transport = _PATHSEND_ONLY
            else:
                transport = PLAIN
            try:
                # blocking=False, by position (a keyword call costs ~35 ns per request).
                response = engine.serve(request, transport, False)
            except WouldBlock:
                # A file to open, a lookup on disk or a changed file to rebuild: in a thread.
                response = await run_sync(engine.serve, request, transport)
            if response is None:
                await self.application(scope, receive, send)
                return
        body = response.body
        if (body is None or type(body) is bytes) and not response.extra and not engine.early_hints:
            # The common answers (a small file from the memory cache, a 304) sent here
            # rather than through _send: one coroutine fewer per request. Anything with
            # extra headers, hints or a file to send takes _send.
            headers = response.headers.raw
            await send(
                {"type": "http.response.start", "status": response.status, "headers": headers}
            )
            await send({"type": "http.response.body", "body": body or b""})
            return
        await self._send(response, scope, receive, send)

    async def _send(self, response: Answer, scope: Scope, receive: Receive, send: Send) -> None:
        body = response.body
        try:
            headers = response.headers.raw
            if response.extra:
                headers = headers + [
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in response.extra
                ]
            if self.engine.early_hints:
                extensions = scope.get("extensions")
                if extensions and _EARLY_HINT in extensions and response.status == 200:
                    # Issue 18: the page's Link hints as a 103 first, where the server
                    # offers it (hypercorn over HTTP/2 and HTTP/3, uvicorn's zttp HTTP/2).
                    links = [value for name, value in response.headers.raw if name == b"link"]
                    if links:
                        await send({"type": _EARLY_HINT, "links": links})
            await send(
                {"type": "http.response.start", "status": response.status, "headers": headers}
            )
            if body is None:
                await send({"type": "http.response.body", "body": b""})
            elif type(body) is bytes:
                await send({"type": "http.response.body", "body": body})
            elif type(body) is HandedPath:
                # The server opens the path itself, after send() returns: it names a checked
                # descriptor (/proc/self/fd/N), never the file's own name, which a symlink
                # swapped in meanwhile would redirect (issue 13).
                await send({"type": _PATHSEND, "path": body.path})
            else:
                await self._send_file(body, scope, receive, send)  # type: ignore[arg-type]
        finally:
            if type(body) is FileSpan or type(body) is FileSpans:
                body.close()  # the engine opened it; ours to close, whatever happened

    async def _send_file(
        self, body: FileSpan | FileSpans, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if type(body) is FileSpans:
            parts, tail = list(body.parts), body.tail
        elif _ZEROCOPYSEND in (scope.get("extensions") or {}):
            message = {
                "type": _ZEROCOPYSEND,
                "file": body.handle.fileno(),
                "offset": body.offset,  # type: ignore[union-attr]
                "count": body.length,  # type: ignore[union-attr]
            }
            await send(message)
            return
        else:
            parts, tail = [(body.offset, body.length, b"")], b""  # type: ignore[union-attr]
        await _stream(body.handle, parts, tail, self.engine.streams, receive, send)


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
    :data:`~servestatic.serve.budget.PROOF` bytes), each block is followed by an empty message:
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
