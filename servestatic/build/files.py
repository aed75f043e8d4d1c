"""Atomic writes: a reader never sees half a file, a failed write leaves nothing behind.

Kept apart from the codecs so that the server can read the manifest (``manifest``) without
importing brotli and zstandard.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

__all__ = ["replacing", "write_atomic", "write_if_changed"]


@contextlib.contextmanager
def replacing(path: str) -> Iterator[tuple[int, str]]:
    """A temporary file beside ``path`` (its open descriptor and its name, the caller
    closes the descriptor) that replaces ``path`` by a rename when the block ends, or is
    removed if the block raises: ``path`` is never seen half written."""
    directory, name = os.path.split(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        yield descriptor, temporary
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_atomic(path: str, data: bytes, *, mtime_ns: int | None = None, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader (the server, a CDN pull) never sees half a file, and a failed write (a full
    disk) leaves no partial file behind. ``mtime_ns`` copies the original's mtime, as
    ServeStatic does, so the variant's Last-Modified matches the file's; ``mode`` is the
    permission bits (callers pass the original's).
    """
    with replacing(path) as (descriptor, temporary):
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode & 0o7777)
        if mtime_ns is not None:
            os.utime(temporary, ns=(mtime_ns, mtime_ns))


def write_if_changed(path: str, data: bytes) -> bool:
    """:func:`write_atomic` unless ``path`` already holds ``data``; True if written.

    Re-running a build on an unchanged tree then leaves every file, mtime included, as it
    was (a deploy that syncs by mtime copies nothing).
    """
    try:
        with open(path, "rb") as handle:
            if handle.read() == data:
                return False
    except OSError:
        pass
    write_atomic(path, data)
    return True
