"""Remove the files of builds that are no longer retained (``servestatic gc DEST``).

The build runs this after writing a new build when DEST has a history; ``servestatic gc``
runs it alone (from cron, say, for the duration form ``--retain 7d``). Both hold DEST's
build lock, so a gc never deletes while a build is writing.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field

from servestatic.build.history import (
    GcPlan,
    History,
    Retention,
    plan_gc,
    write_history,
)
from servestatic.build.manifest import MANIFEST_NAME
from servestatic.formats.variants import VARIANT_SUFFIXES

__all__ = ["VARIANT_SUFFIXES", "GcResult", "apply_gc", "manifest_names"]


@dataclass
class GcResult:
    """What a gc removed (or, dry run, would remove)."""

    retention: Retention
    kept: list[str] = field(default_factory=list)  # build ids kept (current last)
    expired: list[str] = field(default_factory=list)  # build ids dropped
    removed: list[str] = field(default_factory=list)  # DEST-relative paths, variants included
    bytes: int = 0
    dry_run: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "retain": str(self.retention),
            "kept_builds": self.kept,
            "expired_builds": self.expired,
            "removed": self.removed,
            "bytes": self.bytes,
            "dry_run": self.dry_run,
        }


def manifest_names(root: str) -> frozenset[str]:
    """Every name the current ``staticfiles.json`` maps from or to: never removed, even if
    a history were out of step with it (a crash between two writes)."""
    try:
        with open(os.path.join(root, MANIFEST_NAME), "rb") as handle:
            document = json.load(handle)
    except (OSError, ValueError):
        return frozenset()
    if not isinstance(document, dict):
        return frozenset()
    # "paths" only: Django's "files" listing names every file below STATIC_ROOT, retained
    # and expired ones included.
    names: set[str] = set()
    paths = document.get("paths")
    if isinstance(paths, dict):
        names.update(value for value in paths.values() if isinstance(value, str))
        names.update(key for key in paths if isinstance(key, str))
    return frozenset(names)


def apply_gc(
    root: str,
    history: History,
    *,
    now: float | None = None,
    dry_run: bool = False,
    rewrite: bool = False,
) -> GcResult:
    """Plan with :func:`plan_gc`, delete (unless ``dry_run``), then write the pruned history.

    The history is written after the deletions: a crash in between leaves the expired
    builds listed, and the next gc finishes the job. The caller holds the build lock.
    """
    plan = plan_gc(history, time.time() if now is None else now, manifest_names(root))
    result = GcResult(
        retention=history.retain,
        kept=[record.id for record in plan.history.builds],
        expired=[record.id for record in plan.expired],
        dry_run=dry_run,
    )
    for name, path in _present(root, plan):
        with contextlib.suppress(FileNotFoundError):
            size = os.stat(path).st_size
            if not dry_run:
                os.unlink(path)
            result.removed.append(name)
            result.bytes += size
    if not dry_run:
        _remove_empty_parents(root, result.removed)
        if rewrite or plan.history != history:
            write_history(root, plan.history)
    return result


def _present(root: str, plan: GcPlan) -> list[tuple[str, str]]:
    """(name, path) of the files and variants to remove that exist, a live name excepted
    (``app.js.gz`` can be a file of its own in the current build)."""
    found = []
    real_root = os.path.realpath(root)
    for name in plan.remove:
        for candidate in (name, *(name + suffix for suffix in VARIANT_SUFFIXES)):
            if candidate != name and candidate in plan.live:
                continue
            path = os.path.join(root, *candidate.split("/"))
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            # A folder of DEST that is a link to somewhere else: never delete out there.
            if os.path.commonpath([real_root, os.path.realpath(path)]) != real_root:
                continue
            found.append((candidate, path))
    return found


def _remove_empty_parents(root: str, removed: list[str]) -> None:
    """Folders left empty by the removal (a retained build's ``chunks/``) go too."""
    folders = {os.path.dirname(name) for name in removed if "/" in name}
    for folder in sorted(folders, key=lambda name: -name.count("/")):
        parts = folder.split("/")
        while parts:
            path = os.path.join(root, *parts)
            try:
                os.rmdir(path)
            except OSError:
                break  # not empty (or already gone): its parents are not empty either
            parts.pop()
