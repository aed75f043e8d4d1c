"""What the files in ``STATIC_ROOT`` were like when ``collectstatic`` finished.

``CompressedManifestStaticFilesStorage`` adds a ``files`` object to Django's manifest, in the
format of servestatic's build manifest (``servestatic.build.manifest``), plus each file's
modification time::

    {"paths": {...}, "version": "1.1", "hash": "...",          # Django's keys, untouched
     "files": {"css/site.4f3a9c2b1d0e.css": {"size": 2048, "mtime_ns": 1767225600123456789,
                                             "hash": "<sha256 hex>", "integrity": "sha384-..."}}}

``files`` lists every file below the storage location (variants included, the manifest
itself excluded), keyed by the ``/``-separated path relative to the location. The middleware
indexes ``STATIC_ROOT`` from it without one ``stat()`` per file; files it does not list are
stat-ed as usual.

A listed file that changed afterwards is noticed when it is opened (the engine compares size
and mtime and rebuilds the entry). A tree copied without its mtimes (``cp`` without ``-p``,
archives that keep whole seconds) would make every entry stale at once, so the listing is
only trusted if a sample of the files still matches it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Container, Mapping
from typing import Any

from servestatic.build.compress import walk_files
from servestatic.build.manifest import file_record

__all__ = ["KEY", "add_files", "read_files", "sample", "snapshot", "still_current"]

KEY = "files"
_SAMPLE_SIZE = 5


def snapshot(location: str, exclude: Container[str] = ()) -> dict[str, dict[str, Any]]:
    """``{relative path: record}`` for every file below ``location``."""
    files: dict[str, dict[str, Any]] = {}
    for relative in walk_files(location, follow_links=True, skip_unreadable=True):
        if relative in exclude:
            continue
        path = os.path.join(location, *relative.split("/"))
        try:
            info = os.stat(path)
            record = file_record(path)
        except OSError:  # pragma: no cover - removed since the walk saw it
            continue
        files[relative] = {**record, "mtime_ns": info.st_mtime_ns}
    return dict(sorted(files.items()))


def add_files(content: str | None, files: Mapping[str, Mapping[str, Any]]) -> bytes:
    """The manifest ``content`` with its ``files`` object replaced by ``files``."""
    payload: dict[str, Any] = json.loads(content) if content else {}
    payload[KEY] = dict(files)
    return json.dumps(payload).encode()


def read_files(content: str | None) -> dict[str, tuple[int, int]]:
    """The file listing of a manifest; empty when absent, from another version, or malformed."""
    if not content:
        return {}
    try:
        payload = json.loads(content)
    except json.JSONDecodeError:
        return {}
    files = payload.get(KEY) if isinstance(payload, dict) else None
    if not isinstance(files, dict):
        return {}
    result: dict[str, tuple[int, int]] = {}
    for name, record in files.items():
        if not isinstance(name, str) or not isinstance(record, dict):
            continue
        size, mtime_ns = record.get("size"), record.get("mtime_ns")
        # Records without a modification time (written by ``servestatic build``) are left
        # to a stat() at start-up.
        if type(size) is int and type(mtime_ns) is int and size >= 0 and mtime_ns >= 0:
            result[name] = (size, mtime_ns)
    return result


def sample(names: list[str]) -> list[str]:
    """Up to five names spread evenly over the sorted listing (first and last included)."""
    ordered = sorted(names)
    if not ordered:
        return []
    last = len(ordered) - 1
    picks = {ordered[index * last // (_SAMPLE_SIZE - 1)] for index in range(_SAMPLE_SIZE)}
    return sorted(picks)


def still_current(location: str, files: Mapping[str, tuple[int, int]]) -> bool:
    """Whether a sample of the listed files still has the recorded size and mtime."""
    for name in sample(list(files)):
        try:
            info = os.stat(os.path.join(location, *name.split("/")))
        except OSError:
            return False
        if (info.st_size, info.st_mtime_ns) != files[name]:
            return False
    return True
