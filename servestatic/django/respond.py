"""Translate a Django request into a request record, and a plan into a Django response.

Like the WSGI and ASGI adapters, this only translates: every HTTP decision is in the
engine's response, and so is the choice of body (:mod:`servestatic.serve.deliver`: bytes from
the memory cache or one read, or a file already opened and checked). File bodies are mapped
for the server Django runs under, not for the middleware's mode (a sync middleware can run
under ASGI in a thread):

* under WSGI, whole files are a :class:`FileResponse` so Django hands the open file to
  ``wsgi.file_wrapper`` (sendfile); ranges and multipart bodies are a sync iterator;
* under ASGI, file bodies are async iterators reading blocks in the shared worker pool, so
  Django never warns that it must consume a synchronous iterator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, BinaryIO

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from servestatic.http.environ import request_from_environ
from servestatic.http.records import Request
from servestatic.serve.budget import Lease, StreamBudget
from servestatic.serve.deliver import Answer, FileSpan
from servestatic.serve.files import BoundedFile, Parts, Spans
from servestatic.serve.offload import aiter_spans

__all__ = ["BLOCK_SIZE", "is_asgi", "request_record", "to_django"]

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


def _with_headers(response: HttpResponseBase, plan: Answer) -> HttpResponseBase:
    headers = response.headers
    del headers["Content-Type"]  # Django's default; the plan has the real one (or none)
    for name, value in (*plan.headers.pairs, *plan.extra):
        # Django keeps one value per name: repeated fields combine (RFC 9110 §5.3).
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return response


def to_django(response: Answer, streams: StreamBudget, *, asgi: bool) -> HttpResponseBase:
    """The Django response for an engine response (no I/O: files are already open).

    Shared by the middleware's sync and async paths; ``asgi`` is the server Django runs
    under, which decides whether a file body is an async iterator.
    """
    body = response.body
    status = response.status
    if body is None or type(body) is bytes:
        return _with_headers(HttpResponse(body or b"", status=status), response)
    if type(body) is FileSpan:
        if body.whole and not asgi:
            # Django hands the open file to wsgi.file_wrapper (sendfile).
            bounded = BoundedFile(body.handle, body.length, streams.lease())
            return _with_headers(ServeStaticFileResponse(bounded, status=status), response)
        parts: Parts = [(body.offset, body.length, b"")]
        tail = b""
    else:
        # FileSpans (a multipart body); HandedPath is only for transports offering pathsend.
        parts, tail = list(body.parts), body.tail  # type: ignore[union-attr]
    handle = body.handle  # type: ignore[union-attr]
    stream: Any = (
        _AsyncSpans(handle, parts, tail, streams.lease())
        if asgi
        else Spans(handle, parts, tail, streams.lease())
    )
    return _with_headers(StreamingHttpResponse(stream, status=status), response)
