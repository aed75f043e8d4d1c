"""Retained builds (issue 16): the retain history's format lives in
:mod:`servestatic.formats.history` (the server reads it too); this module re-exports it
and adds what only the build needs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from servestatic.build.files import write_atomic
from servestatic.errors import ServeStaticError

# The format (records, parse, serialise, what the server reads) lives below both the build
# tool and the server; re-exported here, where the build tool's callers import it from.
from servestatic.formats.history import (
    HISTORY_NAME,
    BuildRecord,
    FileInfo,
    History,
    HistoryError,
    Retention,
    ServedBuilds,
    history_document,
    read_history,
    served_builds,
)
from servestatic.formats.manifest import SHA256_HEX, safe_name

__all__ = [
    "HISTORY_NAME",
    "LOCK_NAME",
    "BuildLockedError",
    "BuildRecord",
    "FileInfo",
    "GcPlan",
    "History",
    "HistoryError",
    "Retention",
    "ServedBuilds",
    "build_id",
    "build_lock",
    "extended_history",
    "imported_build",
    "plan_gc",
    "read_history",
    "served_builds",
    "write_history",
]

LOCK_NAME = ".servestatic-build.lock"


class BuildLockedError(ServeStaticError, RuntimeError):
    """Another build or gc holds DEST's lock."""


def build_id(when: float, files: Mapping[str, FileInfo]) -> str:
    """``20250102T030405Z-1a2b3c4d``: sortable by time, and different for different files
    built in the same second."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{files[name].hash}\n".encode())
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    return f"{stamp}-{digest.hexdigest()[:8]}"


def imported_build(manifest: Mapping[str, Any], when: float) -> BuildRecord | None:
    """The build a ``staticfiles.json`` written without a history describes (the first
    ``--retain`` build into a DEST keeps the build that was there), or None if it lists no
    files."""
    files_json, paths = manifest.get("files"), manifest.get("paths")
    if not isinstance(files_json, dict) or not isinstance(paths, dict):
        return None
    hashed = {served for name, served in paths.items() if name != served}
    files: dict[str, FileInfo] = {}
    for name, record in files_json.items():
        if not isinstance(name, str) or not isinstance(record, dict) or not safe_name(name):
            continue
        size, digest = record.get("size"), record.get("hash")
        if isinstance(size, int) and isinstance(digest, str) and SHA256_HEX.match(digest):
            files[name] = FileInfo(size, digest, name in hashed)
    if not files:
        return None
    return BuildRecord(build_id(when, files), when, files)


# ----------------------------------------------------------------------------- file


def extended_history(
    root: str,
    retention: Retention | None,
    earlier: Callable[[], tuple[BuildRecord, ...]] = tuple,
) -> History | None:
    """The history a new build of ``root`` extends (the build tool's ``--retain`` and
    Django's ``SERVESTATIC_RETAIN`` alike): the recorded one, under ``retention`` when
    given; a new one when ``retention`` is given and none is recorded (holding
    ``earlier()``: the build already there, if it can tell); else None.

    Raises :class:`HistoryError` for a history that cannot be read.
    """
    history = read_history(root)
    if history is not None:
        return history if retention is None else History(retention, history.builds)
    if retention is None:
        return None
    return History(retention, earlier())


def write_history(root: str, history: History) -> str:
    """Write the history atomically (temporary file + rename); return its path."""
    document = history_document(history)
    path = os.path.join(root, HISTORY_NAME)
    write_atomic(path, (json.dumps(document, indent=1) + "\n").encode("utf-8"))
    return path


@contextlib.contextmanager
def build_lock(root: str) -> Iterator[None]:
    """Hold ``DEST/.servestatic-build.lock`` (an OS lock: a crashed build leaves the file
    but not the lock). A second build or gc into the same DEST fails at once with
    :class:`BuildLockedError` instead of interleaving its writes and deletions with the first."""
    path = os.path.join(root, LOCK_NAME)
    # Opened for appending and never written: a re-run leaves DEST's files, mtimes
    # included, as they were.
    handle: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115 - held until exit
    try:
        if not _try_lock(handle):
            raise BuildLockedError(
                f"{path}: another build or gc is running in this DEST; wait for it to finish"
            )
        yield
    finally:
        handle.close()  # closing releases the lock


def _try_lock(handle: IO[str]) -> bool:
    try:
        import fcntl  # noqa: PLC0415 - POSIX only

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # pragma: no cover - Windows
        import msvcrt  # noqa: PLC0415

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
    except OSError:
        return False
    return True


# ----------------------------------------------------------------------------- gc


@dataclass(frozen=True, slots=True)
class GcPlan:
    """What a gc keeps and removes (names relative to DEST, variants not listed)."""

    history: History  # the history to write afterwards (expired builds dropped)
    retained: tuple[BuildRecord, ...]
    expired: tuple[BuildRecord, ...]
    live: frozenset[str]
    remove: tuple[str, ...]


def plan_gc(history: History, now: float, protected: Iterable[str] = ()) -> GcPlan:
    """Which files of which builds can go at ``now``.

    ``live``: every file of the current build, the hashed files of the retained builds, and
    ``protected`` (the names the current ``staticfiles.json`` lists). ``remove``: any other
    file a build in the history wrote. A file in DEST that no build recorded is never listed.
    """
    current = history.current
    if current is None:
        return GcPlan(history, (), (), frozenset(protected), ())
    retained = history.retained(now)
    live = set(current.files) | set(protected)
    for record in retained:
        live.update(name for name, info in record.files.items() if info.hashed)
    kept_ids = {record.id for record in retained} | {current.id}
    expired = tuple(record for record in history.builds if record.id not in kept_ids)
    candidates = {name for record in history.builds for name in record.files}
    remove = tuple(sorted(candidates - live))
    # An expired build that staticfiles.json still names (a build that crashed before
    # writing its manifest) stays in the history, so a later gc removes its files.
    pinned = set(protected) - set(current.files)
    kept = tuple(
        record
        for record in history.builds
        if record.id in kept_ids or not pinned.isdisjoint(record.files)
    )
    return GcPlan(History(history.retain, kept), retained, expired, frozenset(live), remove)
