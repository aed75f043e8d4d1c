"""Blocking file access shared by both adapters (ASGI runs these in a worker thread).

A representation is opened and checked against what the index recorded: a file that was
deleted, truncated or replaced since start-up raises :class:`StaleFile` *before* any header
is sent, so the adapter can rebuild the entry and answer consistently.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from typing import BinaryIO

from servestatic._records import Representation

__all__ = [
    "BoundedFile",
    "FileChangedError",
    "MemoryCache",
    "Parts",
    "Spans",
    "StaleFile",
    "check_current",
    "open_representation",
    "read_block",
    "read_bytes",
    "read_span",
]


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class StaleFile(Exception):  # noqa: N818 - a condition, not an error the user handles
    """The file on disk no longer matches the index (changed, deleted or unreadable)."""


class FileChangedError(OSError):
    """The file changed while its body was being sent: the response cannot be completed.

    Raised after the headers went out, so the server must drop the connection; a client
    then sees a short body instead of silently wrong bytes.
    """


def _open_checked(representation: Representation) -> int:
    """A descriptor on the indexed file, or StaleFile.

    A FIFO or device that replaced the file is refused by ``stat`` before it is opened (an
    open would wait for a writer); ``O_NONBLOCK`` covers a swap between the two calls.
    """
    try:
        if not stat.S_ISREG(os.stat(representation.path).st_mode):
            raise StaleFile(representation.path)
        descriptor = os.open(representation.path, os.O_RDONLY | _NONBLOCK | _CLOEXEC)
    except OSError as error:
        raise StaleFile(representation.path) from error
    try:
        info = os.fstat(descriptor)
    except OSError as error:  # pragma: no cover - fstat on an open descriptor
        os.close(descriptor)
        raise StaleFile(representation.path) from error
    if not _is_current(representation, info):
        os.close(descriptor)
        raise StaleFile(representation.path)
    return descriptor


def check_current(representation: Representation) -> None:
    """Raise :class:`StaleFile` unless the path is still the indexed file (one ``stat``;
    for ``pathsend``, where the server opens the path itself)."""
    try:
        info = os.stat(representation.path)
    except OSError as error:
        raise StaleFile(representation.path) from error
    if not _is_current(representation, info):
        raise StaleFile(representation.path)


def _is_current(representation: Representation, info: os.stat_result) -> bool:
    """Is ``info`` (a ``stat`` of the representation's path) still the indexed file?

    Size and modification time, and the inode once known: without it, a file swapped for
    a symlink to one of the same size and mtime outside the root would pass. An inode not
    known yet (a manifest listing) is learned here (a benign race: every thread that
    learns it sees the same file).
    """
    if (
        not stat.S_ISREG(info.st_mode)
        or info.st_size != representation.size
        or info.st_mtime_ns != representation.mtime_ns
    ):
        return False
    inode = representation.inode
    if inode == 0:
        object.__setattr__(representation, "inode", info.st_ino)
        return True
    return inode == info.st_ino


def open_representation(representation: Representation) -> BinaryIO:
    """Open a representation's file, checking it is still the file that was indexed.

    The file object's ``name`` is the path (Django and logs read it).
    """
    try:
        return open(
            representation.path, "rb", opener=lambda path, flags: _open_checked(representation)
        )
    except StaleFile:
        raise
    except OSError as error:
        raise StaleFile(representation.path) from error


class BoundedFile:
    """A file object that yields exactly ``length`` bytes: never more if the file grew
    (which would desynchronise HTTP framing), an error if it shrank. Keeps ``fileno`` so
    servers can still use sendfile (gunicorn bounds it by Content-Length)."""

    def __init__(self, handle: BinaryIO, length: int) -> None:
        self.handle = handle
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        wanted = self.remaining if size < 0 else min(size, self.remaining)
        data = self.handle.read(wanted)
        if not data:
            raise FileChangedError(getattr(self.handle, "name", "?"))
        self.remaining -= len(data)
        return data

    @property
    def name(self) -> str:
        return str(getattr(self.handle, "name", ""))

    @property
    def closed(self) -> bool:
        return self.handle.closed

    def fileno(self) -> int:
        return self.handle.fileno()

    def close(self) -> None:
        self.handle.close()


def read_block(handle: BinaryIO, offset: int, length: int) -> bytes:
    """Exactly ``length`` bytes at ``offset`` (FileChangedError if the file shrank)."""
    data = os.pread(handle.fileno(), length, offset)
    if len(data) != length:
        raise FileChangedError(getattr(handle, "name", "?"))
    return data


#: (offset, length, bytes sent before the span) for each span of a body.
Parts = list[tuple[int, int, bytes]]


class Spans:
    """Iterate over spans of an open file with the part heads between them (a range or
    ``multipart/byteranges`` body); closes the file when done or when closed."""

    def __init__(self, handle: BinaryIO, parts: Parts, tail: bytes, block_size: int) -> None:
        self.handle = handle
        self.parts = parts
        self.tail = tail
        self.block_size = block_size

    def __iter__(self) -> Iterator[bytes]:
        try:
            for offset, length, head in self.parts:
                if head:
                    yield head
                yield from read_span(self.handle, offset, length, self.block_size)
            if self.tail:
                yield self.tail
        finally:
            self.handle.close()

    def close(self) -> None:
        self.handle.close()


def read_span(handle: BinaryIO, offset: int, length: int, block_size: int) -> Iterator[bytes]:
    """Yield ``length`` bytes from ``offset`` in blocks; never reads past the span.

    A file that shrank while being sent ends the iteration early with an error rather
    than sending fewer bytes than Content-Length promised.
    """
    handle.seek(offset)
    remaining = length
    while remaining > 0:
        block = handle.read(min(block_size, remaining))
        if not block:
            raise FileChangedError(getattr(handle, "name", "?"))
        remaining -= len(block)
        yield block


def read_bytes(representation: Representation, offset: int, length: int) -> bytes:
    """Read one span of a representation (checked against the index) and close the file.

    Plain descriptors, not a buffered file object: for a small span the object's set-up
    costs more than the read.
    """
    descriptor = _open_checked(representation)
    try:
        data = os.pread(descriptor, length, offset)
    finally:
        os.close(descriptor)
    if len(data) != length:
        raise StaleFile(representation.path)
    return data


class MemoryCache:
    """Small files, kept in memory after their first request; bounded in total size.

    Filled lazily (start-up stays fast and memory stays flat for files nobody asks for).
    Once the budget is used, further files are simply read from disk each time.
    """

    def __init__(self, max_file_size: int, max_total_size: int, cache_status: bool = False) -> None:
        self.max_file_size = max_file_size
        self.max_total_size = max_total_size
        #: Add ``Cache-Status`` (RFC 9211) to the answers this cache gives.
        self.cache_status = cache_status
        self.used = 0
        # path -> (mtime_ns, size, bytes): a changed file never matches its old bytes.
        self._data: dict[str, tuple[int, int, bytes]] = {}
        self._lock = threading.Lock()

    def eligible(self, representation: Representation) -> bool:
        return representation.size <= self.max_file_size

    def get(self, representation: Representation) -> bytes | None:
        item = self._data.get(representation.path)
        if item is None or item[0] != representation.mtime_ns or item[1] != representation.size:
            return None
        return item[2]

    def load(self, representation: Representation) -> bytes:
        """Read a small file (raising :class:`StaleFile` if it changed) and keep it if room."""
        with open_representation(representation) as handle:
            data = handle.read(representation.size + 1)
        if len(data) != representation.size:
            raise StaleFile(representation.path)
        with self._lock:
            old = self._data.get(representation.path)
            room = self.used - (len(old[2]) if old else 0) + len(data) <= self.max_total_size
            if room:
                self._data[representation.path] = (
                    representation.mtime_ns,
                    representation.size,
                    data,
                )
                self.used += len(data) - (len(old[2]) if old else 0)
        return data

    def forget(self, path: str) -> None:
        """Drop the cached bytes of a file (after it changed on disk)."""
        with self._lock:
            item = self._data.pop(path, None)
            if item is not None:
                self.used -= len(item[2])
