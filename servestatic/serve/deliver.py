"""Turn a plan into a response whose body is ready to send: read from memory, read in one
go, or a file already opened and checked against the index.

This is the one place that decides how a body is delivered, for every adapter (WSGI, ASGI,
Django sync and async): adapters only map the closed set of bodies below onto their
protocol. Opening here, before the adapter sends a header, is what lets the engine notice a
file changed since start-up (:class:`~servestatic.serve.files.StaleFile`) while it can still
answer differently (:meth:`servestatic.serve.engine.Engine.serve`).
"""

from __future__ import annotations

from typing import BinaryIO, NamedTuple

from servestatic.http.records import FileBody, HeaderBlock, Plan
from servestatic.serve.files import (
    CACHE_STATUS_HIT,
    HandedFiles,
    HandedPath,
    HeldDescriptors,
    MemoryCache,
    open_representation,
    stable_plan,
)

__all__ = [
    "CACHE_STATUS_HIT",
    "PLAIN",
    "Answer",
    "FileSpan",
    "FileSpans",
    "HandedPath",
    "Response",
    "Transport",
    "WouldBlock",
    "deliver",
]


class Transport(NamedTuple):
    """What the server can take besides bytes (ASGI extensions; WSGI and Django: nothing)."""

    #: ``http.response.pathsend``: a whole file named by a path the server opens itself.
    pathsend: bool = False
    #: ``http.response.zerocopysend``: a descriptor, offset and count.
    zerocopy: bool = False


PLAIN = Transport()


class FileSpan:
    """``length`` bytes from ``offset`` of an open, checked file; the receiver closes it.

    A slotted class rather than a NamedTuple (one call to build, not two): one is made for
    every streamed response. Never changed after construction."""

    __slots__ = ("handle", "length", "offset", "whole")

    def __init__(self, handle: BinaryIO, offset: int, length: int, whole: bool) -> None:
        self.handle = handle
        self.offset = offset
        self.length = length
        self.whole = whole

    def __repr__(self) -> str:
        return f"FileSpan({self.handle!r}, {self.offset}, {self.length}, {self.whole})"

    def close(self) -> None:
        self.handle.close()


class FileSpans(NamedTuple):
    """A ``multipart/byteranges`` body over an open, checked file: (offset, length, part
    head) spans, then the closing line; the receiver closes it."""

    handle: BinaryIO
    parts: tuple[tuple[int, int, bytes], ...]
    tail: bytes

    def close(self) -> None:
        self.handle.close()


Body = bytes | FileSpan | FileSpans | HandedPath | None


class Response:
    """What to send: a plan's status and headers with a body of :data:`Body`, ready to go.

    A slotted class rather than a NamedTuple: built on most requests, and constructing a
    NamedTuple costs two calls (its Python ``__new__``, then ``tuple.__new__``), this one.
    Never changed after construction."""

    __slots__ = ("body", "extra", "headers", "status")

    def __init__(
        self,
        status: int,
        headers: HeaderBlock,
        extra: tuple[tuple[str, str], ...],
        body: Body,
    ) -> None:
        self.status = status
        self.headers = headers
        self.extra = extra
        self.body = body

    def __repr__(self) -> str:
        return f"Response({self.status}, {self.headers!r}, {self.extra!r}, {self.body!r})"


#: What :meth:`~servestatic.serve.engine.Engine.serve` returns: a :class:`Response`, or a plan
#: whose body is already bytes or nothing (a 304, a HEAD, a redirect, a 404 text). Such a
#: plan is sent as it is: it has the same four fields, and adapters read them by name.
Answer = Response | Plan


class WouldBlock(Exception):  # noqa: N818 - a signal to the caller, not an error
    """Raised by a non-blocking :meth:`~servestatic.serve.engine.Engine.serve` when the answer
    needs blocking I/O (a file to open for streaming, a lookup on disk, a rebuild): an
    asynchronous adapter then calls it again in a worker thread."""


def deliver(
    plan: Plan,
    memory: MemoryCache,
    handed: HandedFiles,
    held: HeldDescriptors,
    transport: Transport,
    blocking: bool,
    /,
) -> Answer:
    """The response for ``plan``, whose body is a file (a :class:`FileBody` or
    :class:`MultipartBody`: plans with bytes or no body are sent as they are); raises
    StaleFile if its file changed since it was indexed.

    The same choice for every adapter, in this order:

    1. small files (``memory_cache.max_file_size``) from the memory cache, whole or a slice
       (a file's whole-file 200 answered from the memory cache is kept there, built once:
       :class:`~servestatic.serve.files.CachedFile`);
    2. a small span of a big file (a 1 KiB range) in one ``pread`` from a descriptor held
       per file (:class:`~servestatic.serve.files.HeldDescriptors`: an ``fstat`` checks it
       is still the indexed file): cheaper than opening a file, and than a thread hop;
       except where the server takes descriptors (``zerocopysend``), which then sends it
       without copying it through Python;
    3. a whole file by path where the server offers ``pathsend``;
    4. otherwise the file opened and checked (blocking: :class:`WouldBlock` if not allowed).

    Steps 1-3 read a few KiB at most or ``stat`` once: microseconds, done on an event loop.
    ``blocking`` as for :meth:`~servestatic.serve.engine.Engine.serve`. Positional-only:
    called on every request that reads a file, where keywords cost a slower call.
    """
    body = plan.body
    representation = body.representation  # type: ignore[union-attr]
    if type(body) is FileBody:
        offset, length = body.offset, body.length
        whole = offset == 0 and length == representation.size
        if representation.size <= memory.max_file_size:  # memory.eligible, inlined
            # The file's own whole-file 200: its answer is kept with its cached bytes.
            stable = stable_plan(plan, representation)
            if stable:
                answer = memory.answer(plan, representation)
                if answer is not None:
                    return answer
            extra = plan.extra
            data = memory.get(representation)
            if data is None:
                data = memory.load(representation, plan)
            else:
                if stable:  # cached by another plan (a range): keep this answer from now on
                    memory.keep_answer(representation, plan)
                if memory.cache_status:
                    extra = (*extra, CACHE_STATUS_HIT)
            if not whole:
                data = data[offset : offset + length]
            return Response(plan.status, plan.headers, extra, data)
        if length <= memory.max_file_size and not transport.zerocopy:
            data = held.read(representation, offset, length)
            return Response(plan.status, plan.headers, plan.extra, data)
        if whole and transport.pathsend:
            handed_path = handed.body(representation)
            if handed_path is not None:
                return Response(plan.status, plan.headers, plan.extra, handed_path)
        if not blocking:
            raise WouldBlock
        handle = open_representation(representation)
        return Response(
            plan.status, plan.headers, plan.extra, FileSpan(handle, offset, length, whole)
        )
    if not blocking:
        raise WouldBlock
    handle = open_representation(representation)
    spans = FileSpans(handle, body.parts, body.tail)  # type: ignore[union-attr]
    return Response(plan.status, plan.headers, plan.extra, spans)
