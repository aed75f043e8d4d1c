"""Translate a Django request into a request record, and a plan into a Django response.

Like the WSGI and ASGI adapters, this only translates: every HTTP decision is in the plan.
Bodies are chosen for the server Django runs under, not for the middleware's mode (a sync
middleware can run under ASGI in a thread):

* small files come from the engine's memory cache as plain bytes;
* under WSGI, whole files are a :class:`FileResponse` so Django hands the open file to
  ``wsgi.file_wrapper`` (sendfile); ranges and multipart bodies are a sync iterator;
* under ASGI, file bodies are async iterators reading blocks in the shared worker pool, so
  Django never warns that it must consume a synchronous iterator.

Files are opened before the response exists, so a file that changed since start-up raises
:class:`~servestatic._files.StaleFile` while the middleware can still answer differently.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, BinaryIO

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from servestatic._budget import Lease, StreamBudget
from servestatic._files import (
    BoundedFile,
    MemoryCache,
    Parts,
    Spans,
    open_representation,
)
from servestatic._offload import aiter_spans, run_sync
from servestatic._records import FileBody, Plan, Request, request_from_environ

__all__ = ["BLOCK_SIZE", "arespond", "is_asgi", "request_record", "respond"]

#: What ``wsgi.file_wrapper`` asks for at once when the server has no sendfile; each read
#: is then sized by the streaming budget (``[streaming] block_size`` at most).
BLOCK_SIZE = 256 * 1024


def is_asgi(request: HttpRequest) -> bool:
    """True when Django runs under ASGI (its request carries the ASGI scope)."""
    return isinstance(getattr(request, "scope", None), dict)


def request_record(request: HttpRequest) -> Request:
    """The request record the engine reads (``path_info``: without the script name).

    The mount is Django's script name for this request (``FORCE_SCRIPT_NAME``, else
    ``SCRIPT_NAME`` or the ASGI ``root_path``), the one ``path_info`` is relative to and
    ``reverse()`` puts in front of URLs: configured redirect targets get it too."""
    meta = request.META
    get = meta.get
    scope = getattr(request, "scope", None)
    raw_path = scope.get("raw_path") if isinstance(scope, dict) else None
    if raw_path is None:
        raw_path = get("RAW_URI") or get("REQUEST_URI")
    record = request_from_environ(
        meta, request.method or "GET", request.path_info, raw_path, _script_name(request)
    )
    if isinstance(scope, dict) and record.query:
        # Django's ASGI handler decodes the query as UTF-8; the core takes the bytes as
        # received, one character each (as WSGI gives them).
        raw_query = scope.get("query_string", b"")
        if isinstance(raw_query, bytes):
            record = record._replace(query=raw_query.decode("latin-1"))
    return record


def _script_name(request: HttpRequest) -> str:
    # An ASGIRequest keeps it; a WSGIRequest's path is the script name then path_info.
    script_name = getattr(request, "script_name", None)
    if isinstance(script_name, str):
        return script_name
    path, info = request.path, request.path_info
    return path[: len(path) - len(info)] if path.endswith(info) else ""


class ServeStaticFileResponse(FileResponse):
    """A :class:`FileResponse` whose headers all come from the plan.

    Django's ``set_headers`` would guess Content-Type, Content-Length and
    Content-Disposition from the file; the plan already has the right ones.
    """

    block_size = BLOCK_SIZE

    def set_headers(self, filelike: Any) -> None:
        """Keep the plan's headers."""


class _AsyncSpans:
    """File spans as an async iterator (blocks sized by the streaming budget, large ones
    read in the worker pool); ``close`` is what Django calls when the response is closed,
    even if it was never iterated."""

    def __init__(self, handle: BinaryIO, parts: Parts, tail: bytes, lease: Lease) -> None:
        self.handle = handle
        self.parts = parts
        self.tail = tail
        self.lease = lease

    def __aiter__(self) -> AsyncIterator[bytes]:
        return aiter_spans(self.handle, self.parts, self.tail, self.lease)

    def close(self) -> None:
        self.lease.close()
        self.handle.close()


def _with_headers(response: HttpResponseBase, plan: Plan) -> HttpResponseBase:
    headers = response.headers
    del headers["Content-Type"]  # Django's default; the plan has the real one (or none)
    for name, value in (*plan.headers.pairs, *plan.extra):
        # Django keeps one value per name: repeated fields combine (RFC 9110 §5.3).
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return response


def _parts(plan: Plan) -> tuple[Parts, bytes]:
    body = plan.body
    if type(body) is FileBody:
        return [(body.offset, body.length, b"")], b""
    return list(body.parts), body.tail  # type: ignore[union-attr]


def respond(
    plan: Plan, memory: MemoryCache, streams: StreamBudget, *, asgi: bool
) -> HttpResponseBase:
    """The Django response for a plan (blocking: opens or reads the file)."""
    body = plan.body
    if body is None or type(body) is bytes:
        return _with_headers(HttpResponse(body or b"", status=plan.status), plan)
    representation = body.representation  # type: ignore[union-attr]
    if type(body) is FileBody and memory.eligible(representation):
        data = memory.get(representation) or memory.load(representation)
        if not body.whole:
            data = data[body.offset : body.offset + body.length]
        return _with_headers(HttpResponse(data, status=plan.status), plan)
    handle = open_representation(representation)
    if asgi:
        parts, tail = _parts(plan)
        stream: Any = _AsyncSpans(handle, parts, tail, streams.lease())
        return _with_headers(StreamingHttpResponse(stream, status=plan.status), plan)
    if type(body) is FileBody and body.whole:
        bounded = BoundedFile(handle, body.length, streams.lease())
        return _with_headers(ServeStaticFileResponse(bounded, status=plan.status), plan)
    parts, tail = _parts(plan)
    spans = Spans(handle, parts, tail, streams.lease())
    return _with_headers(StreamingHttpResponse(spans, status=plan.status), plan)


async def arespond(plan: Plan, memory: MemoryCache, streams: StreamBudget) -> HttpResponseBase:
    """The Django response for a plan under ASGI; blocking calls run in the worker pool."""
    body = plan.body
    if body is None or type(body) is bytes:
        return _with_headers(HttpResponse(body or b"", status=plan.status), plan)
    representation = body.representation  # type: ignore[union-attr]
    if type(body) is FileBody and memory.eligible(representation):
        data = memory.get(representation)
        if data is None:
            data = await run_sync(memory.load, representation)
        if not body.whole:
            data = data[body.offset : body.offset + body.length]
        return _with_headers(HttpResponse(data, status=plan.status), plan)
    handle = await run_sync(open_representation, representation)
    parts, tail = _parts(plan)
    stream: Any = _AsyncSpans(handle, parts, tail, streams.lease())
    return _with_headers(StreamingHttpResponse(stream, status=plan.status), plan)
