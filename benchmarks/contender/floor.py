"""The trivial application: each server's own floor, the most any library can reach on it.

It answers every scenario's URL with the same status and the same kind of headers as
servestatic (Content-Type, Cache-Control, Access-Control-Allow-Origin, Vary,
Content-Encoding, Content-Length, Last-Modified, ETag, Accept-Ranges, Content-Range), all
built at start-up, so a request costs a dict lookup, a few string comparisons and the
server's own work:

- a file's 200: its bytes from memory;
- ``Accept-Encoding`` naming ``br`` (a substring test, no q-values) and a ``.br`` sibling:
  the sibling's bytes from memory, with its own ETag;
- ``If-None-Match`` equal to the chosen representation's ETag: a 304 with the headers
  servestatic sends on a 304 (Cache-Control, Access-Control-Allow-Origin, ETag);
- ``Range: bytes=FIRST-LAST`` inside the file: a 206 read with ONE ``os.pread`` from a
  descriptor opened at start-up (no open, stat or close per request);
- any other path: the wrapped application (the same ``200 app`` the libraries fall
  through to).

Files too big for one read (the 10 MiB file) go the cheapest way the server offers for
bytes an application already holds, since any library's reading, blocking and flow control
come on top of that:

- ``wsgi.file_wrapper`` (gunicorn): over the descriptor opened at start-up, which gunicorn
  sends with ``sendfile`` (zero-copy, nginx's own path). The wrapped object has ``fileno``
  but no ``seek`` or ``close``: gunicorn then never moves the shared file position, so its
  threads (gthread) can share the descriptor, and never closes it;
- ``http.response.pathsend`` (granian ASGI): the file's path, which the server opens and
  sends from native code;
- otherwise (uvicorn, granian WSGI): the whole file, read into memory at start-up, as one
  body (a one-item list, one ``http.response.body`` message): no Python loop per block.

Stdlib only: it runs in every contender's environment.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
from email.utils import formatdate
from typing import Any

#: Precompressed siblings are variants, not URLs of their own.
VARIANT_SUFFIXES = (".br", ".gz", ".zst")
CACHE_CONTROL = "max-age=60, public"
#: Text types get a charset, as servestatic's media types do.
CHARSET_TYPES = ("text/", "application/javascript", "application/json")

#: The slow-reader benchmark's large file: streamed in new 16 KiB blocks of zeros
#: (allocated per block, as any application sending file contents must, but never read
#: from disk), so what stalled readers cost is the server's own buffering.
LARGE = "/static/large.bin"
STREAM_BLOCK = 16 * 1024
#: Files up to this size are held in memory at start-up (the 10 MiB file included).
IN_MEMORY_MAX = 64 * 1024 * 1024
#: Files above this size go by sendfile or pathsend where the server offers it.
HANDED_MIN = 1024 * 1024


class SharedFile:
    """A descriptor opened at start-up, as the file-like object ``wsgi.file_wrapper`` takes.

    No ``seek`` and no ``close`` on purpose: gunicorn's sendfile reads the position with
    ``lseek(SEEK_CUR)`` and ``socket.sendfile`` moves it only through ``seek``, so without
    one the position stays 0 for every thread; ``close`` would end the shared descriptor
    after the first response. ``read`` (servers without sendfile) keeps its own offset."""

    __slots__ = ("descriptor", "offset")

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self.offset = 0

    def fileno(self) -> int:
        return self.descriptor

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = os.fstat(self.descriptor).st_size - self.offset
        data = os.pread(self.descriptor, size, self.offset)
        self.offset += len(data)
        return data


class Entry:
    """One URL's answers, built at start-up."""

    __slots__ = (
        "br_body",
        "br_etag",
        "br_headers",
        "br_not_modified",
        "descriptor",
        "etag",
        "headers",
        "not_modified",
        "path",
        "plain",
        "range_headers",
        "size",
    )

    def __init__(self, path: str) -> None:
        stat = os.stat(path)
        self.path = path
        self.size = stat.st_size
        self.descriptor = os.open(path, os.O_RDONLY)
        with open(path, "rb") as handle:
            self.plain = handle.read() if self.size <= IN_MEMORY_MAX else b""
        guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if guessed.startswith(CHARSET_TYPES):
            guessed += "; charset=utf-8"
        mtime = int(stat.st_mtime)
        last_modified = formatdate(mtime, usegmt=True)
        self.etag = f'"{mtime:x}-{self.size:x}"'
        head = [
            ("Content-Type", guessed),
            ("Cache-Control", CACHE_CONTROL),
            ("Access-Control-Allow-Origin", "*"),
        ]
        br_path = path + ".br"
        has_br = os.path.isfile(br_path)
        vary = [("Vary", "Accept-Encoding")] if has_br else []
        tail = [("Last-Modified", last_modified)]
        self.headers = [
            *head,
            *vary,
            ("Content-Length", str(self.size)),
            *tail,
            ("ETag", self.etag),
            ("Accept-Ranges", "bytes"),
        ]
        # Content-Range and Content-Length are added per request.
        self.range_headers = [*head, *tail, ("ETag", self.etag), ("Accept-Ranges", "bytes")]
        self.not_modified = [*head[1:], ("ETag", self.etag), *vary]
        self.br_body = self.br_etag = self.br_headers = self.br_not_modified = None
        if has_br:
            with open(br_path, "rb") as handle:
                br_body = handle.read()
            self.br_body = br_body
            self.br_etag = f'"{mtime:x}-{len(br_body):x}-br"'
            self.br_headers = [
                *head,
                *vary,
                ("Content-Encoding", "br"),
                ("Content-Length", str(len(br_body))),
                *tail,
                ("ETag", self.br_etag),
                ("Accept-Ranges", "bytes"),
            ]
            self.br_not_modified = [*head[1:], ("ETag", self.br_etag), *vary]

    def span(self, range_value: str) -> tuple[int, int] | None:
        """(first, last) of ``bytes=FIRST-LAST`` inside the file; None: answer 200."""
        if not range_value.startswith("bytes="):
            return None
        first_text, _, last_text = range_value[6:].partition("-")
        if not (first_text.isdigit() and last_text.isdigit()):
            return None
        first, last = int(first_text), min(int(last_text), self.size - 1)
        if first > last:
            return None
        return first, last


def build(root: str) -> dict[str, Entry]:
    """Every file under ``root`` by URL (below ``/static/``), variants and ``large.bin``
    excepted."""
    entries = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            url = "/static/" + os.path.relpath(path, root).replace(os.sep, "/")
            if name.endswith(VARIANT_SUFFIXES) or url == LARGE:
                continue
            entries[url] = Entry(path)
    return entries


def _large_plan(
    root: str, range_value: str | None
) -> tuple[int, int, list[tuple[str, str]]] | None:
    """(status, length, headers) for the large file, honouring ``Range: bytes=N-`` only."""
    path = os.path.join(root, "large.bin")
    if not os.path.exists(path):
        return None
    size = os.path.getsize(path)
    headers = [("Content-Type", "application/octet-stream")]
    if range_value and range_value.startswith("bytes=") and range_value.endswith("-"):
        first = int(range_value[6:-1])
        headers.append(("Content-Range", f"bytes {first}-{size - 1}/{size}"))
        return 206, size - first, [*headers, ("Content-Length", str(size - first))]
    return 200, size, [*headers, ("Content-Length", str(size))]


def _blocks(length: int) -> Any:
    while length > 0:
        size = min(STREAM_BLOCK, length)
        yield bytes(size)
        length -= size


def _range_header(first: int, last: int, size: int) -> list[tuple[str, str]]:
    return [
        ("Content-Range", f"bytes {first}-{last}/{size}"),
        ("Content-Length", str(last - first + 1)),
    ]


# ---------------------------------------------------------------------- WSGI


def make_wsgi(application: Any, root: str) -> Any:
    entries = build(root)
    lookup = entries.get

    def trivial(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO")
        entry = lookup(path)  # type: ignore[arg-type]
        if entry is None:
            if path == LARGE:
                large = _large_plan(root, environ.get("HTTP_RANGE"))
                if large is not None:
                    status, length, large_headers = large
                    line = "200 OK" if status == 200 else "206 Partial Content"
                    start_response(line, large_headers)
                    return _blocks(length)
            return application(environ, start_response)
        get = environ.get
        if entry.br_body is not None and "br" in get("HTTP_ACCEPT_ENCODING", ""):
            if get("HTTP_IF_NONE_MATCH") == entry.br_etag:
                start_response("304 Not Modified", entry.br_not_modified)
                return []
            start_response("200 OK", entry.br_headers)
            return [entry.br_body]
        if get("HTTP_IF_NONE_MATCH") == entry.etag:
            start_response("304 Not Modified", entry.not_modified)
            return []
        range_value = get("HTTP_RANGE")
        if range_value is not None:
            span = entry.span(range_value)
            if span is not None:
                first, last = span
                data = os.pread(entry.descriptor, last - first + 1, first)
                start_response(
                    "206 Partial Content",
                    entry.range_headers + _range_header(first, last, entry.size),
                )
                return [data]
        start_response("200 OK", entry.headers)
        wrapper = get("wsgi.file_wrapper")
        if wrapper is not None and entry.size > HANDED_MIN:
            # A new reader per response (its own read offset), on the shared descriptor.
            return wrapper(SharedFile(entry.descriptor), HANDED_MIN)
        return [entry.plain]

    return trivial


# ---------------------------------------------------------------------- ASGI


def _raw(headers: list[tuple[str, str]] | None) -> list[tuple[bytes, bytes]]:
    return [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers or []]


def _disconnect_watcher(receive: Any) -> Any:
    async def wait() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    return asyncio.ensure_future(wait())


_PATHSEND = "http.response.pathsend"


def make_asgi(application: Any, root: str) -> Any:
    entries = build(root)
    raw = {
        url: (
            entry,
            _raw(entry.headers),
            _raw(entry.not_modified),
            _raw(entry.br_headers),
            _raw(entry.br_not_modified),
            _raw(entry.range_headers),
            entry.etag.encode(),
            entry.br_etag.encode() if entry.br_etag else None,
        )
        for url, entry in entries.items()
    }
    lookup = raw.get
    big = {url for url, entry in entries.items() if entry.size > HANDED_MIN}

    async def trivial(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await application(scope, receive, send)
            return
        path = scope["path"]
        found = lookup(path)
        if found is None:
            if path == LARGE and await _send_large(root, scope, receive, send):
                return
            await application(scope, receive, send)
            return
        entry, headers, not_modified, br_headers, br_not_modified, range_headers, etag, br_etag = (
            found
        )
        accept = if_none_match = range_value = None
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"range":
                range_value = value
        if br_etag is not None and accept is not None and b"br" in accept:
            if if_none_match == br_etag:
                await send(
                    {"type": "http.response.start", "status": 304, "headers": br_not_modified}
                )
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": 200, "headers": br_headers})
            await send({"type": "http.response.body", "body": entry.br_body})
            return
        if if_none_match == etag:
            await send({"type": "http.response.start", "status": 304, "headers": not_modified})
            await send({"type": "http.response.body", "body": b""})
            return
        if range_value is not None:
            span = entry.span(range_value.decode("latin-1"))
            if span is not None:
                first, last = span
                data = os.pread(entry.descriptor, last - first + 1, first)
                extra = _raw(_range_header(first, last, entry.size))
                start = {
                    "type": "http.response.start",
                    "status": 206,
                    "headers": range_headers + extra,
                }
                await send(start)
                await send({"type": "http.response.body", "body": data})
                return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        extensions = scope.get("extensions")
        if path in big and extensions and _PATHSEND in extensions:
            await send({"type": _PATHSEND, "path": entry.path})
            return
        await send({"type": "http.response.body", "body": entry.plain})

    return trivial


async def _send_large(root: str, scope: dict[str, Any], receive: Any, send: Any) -> bool:
    wanted = dict(scope["headers"]).get(b"range")
    large = _large_plan(root, wanted.decode() if wanted else None)
    if large is None:
        return False
    status, length, large_headers = large
    await send({"type": "http.response.start", "status": status, "headers": _raw(large_headers)})
    # Stop when the client leaves, as any well-behaved application does.
    watcher = _disconnect_watcher(receive)
    try:
        for block in _blocks(length):
            if watcher.done():
                return True
            await send({"type": "http.response.body", "body": block, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    finally:
        watcher.cancel()
    return True
