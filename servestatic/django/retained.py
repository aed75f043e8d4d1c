"""``SERVESTATIC_RETAIN``: retained builds across ``collectstatic`` runs (issue 16).

Each run of ``collectstatic`` with ``CompressedManifestStaticFilesStorage`` is recorded as a
build in ``STATIC_ROOT/.servestatic-history.json`` (the format of ``servestatic SRC DEST
--retain``, :mod:`servestatic.build.history`); the hashed files of the retained builds stay,
those of expired builds are removed with their variants. ``collectstatic --clear`` deletes
through the storage, which skips the files the retained builds still need.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Mapping

from django.core.exceptions import ImproperlyConfigured

from servestatic.build.gc import apply_gc
from servestatic.build.history import (
    HISTORY_NAME,
    LOCK_NAME,
    BuildLockedError,
    BuildRecord,
    FileInfo,
    History,
    HistoryError,
    Retention,
    build_id,
    build_lock,
    extended_history,
    write_history,
)
from servestatic.build.manifest import records_for
from servestatic.formats.variants import VARIANT_SUFFIXES

__all__ = ["protected", "record_build"]


def _history(location: str, retention: Retention | None = None) -> History | None:
    try:
        return extended_history(location, retention)
    except HistoryError as error:
        raise ImproperlyConfigured(f"SERVESTATIC_RETAIN: {error}") from None


def record_build(
    location: str,
    retention: Retention | None,
    hashed_names: Mapping[str, str],
    collected: Collection[str],
) -> None:
    """Record this run (``collected``: the names now in ``location``, ``hashed_names``:
    original → hashed) and remove what no retained build needs. Nothing happens without
    ``SERVESTATIC_RETAIN`` unless ``location`` already has a history."""
    history = _history(location, retention)
    if history is None:
        return
    hashed = {new for old, new in hashed_names.items() if old != new}
    names = sorted(name for name in collected if os.path.isfile(os.path.join(location, name)))
    files = {
        name: FileInfo(int(record["size"]), str(record["hash"]), name in hashed)
        for name, record in records_for(location, names).items()
    }
    when = time.time()
    try:
        with build_lock(location):
            history = history.add(BuildRecord(build_id(when, files), when, files))
            write_history(location, history)
            apply_gc(location, history)
    except BuildLockedError as error:
        raise ImproperlyConfigured(f"SERVESTATIC_RETAIN: {error}") from None
    _protected_cache.clear()


_protected_cache: dict[tuple[str, int], frozenset[str]] = {}


def protected(location: str, name: str) -> bool:
    """True for the history, its lock, and the hashed files (and their variants) of the
    builds the history keeps: ``collectstatic --clear`` must not delete them."""
    if name in (HISTORY_NAME, LOCK_NAME):
        return True
    try:
        stamp = os.stat(os.path.join(location, HISTORY_NAME)).st_mtime_ns
    except OSError:
        return False
    key = (location, stamp)
    names = _protected_cache.get(key)
    if names is None:
        history = _history(location)
        kept = () if history is None else (*history.retained(time.time()), *history.builds[-1:])
        hashed = {n for record in kept for n, info in record.files.items() if info.hashed}
        names = frozenset(hashed | {n + suffix for n in hashed for suffix in VARIANT_SUFFIXES})
        _protected_cache.clear()
        _protected_cache[key] = names
    return name in names
