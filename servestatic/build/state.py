"""The incremental build: what the last build of DEST made from which source, so a rebuild
skips the files whose source has not changed.

Stored as ``.servestatic-build.json`` in DEST and written last (after the manifest and the
removals), only when its content changed (an unchanged rebuild leaves every mtime in DEST as
it was). A build that is interrupted leaves the last complete build's record, which stays
true: it trusts a name only while its source has the recorded size and mtime and its
hashed output (whose name is its content, written atomically, never overwritten with other
bytes) is in DEST with the recorded size; anything the interrupted build changed fails one
of those checks and is rebuilt. A record is used only for the same SRC, the same options that
shape the output and the same servestatic version; anything else, or a record that cannot be
read, means a full build. Per source name it holds the source's size and ``mtime_ns``, the
content hash of its output, the output's size, and for CSS/JS the references it resolved.

A name is *clean* when its source still has the recorded size and mtime and its hashed
output is still in DEST with the recorded size. A clean name is not copied, read or hashed
again, unless it refers (directly or through other files) to a name that is not clean:
its hash covers the hashed names it refers to (``hashing``), so a change cascades up to
every file that refers to the changed one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from servestatic._version import __version__
from servestatic.build.files import write_if_changed
from servestatic.build.hashing import hashed_name

__all__ = ["STATE_NAME", "BuildState", "Entry", "reusable", "state_key"]

STATE_NAME = ".servestatic-build.json"
_VERSION = 1


@dataclass(frozen=True, slots=True)
class Entry:
    """One source name as the last build left it."""

    size: int
    mtime_ns: int
    hash: str  # the 12 hex digits in its hashed name
    output_size: int
    #: CSS/JS: every relative reference it resolved (None for other files), and those that
    #: named a file of that build (the ones its hash covers).
    references: tuple[str, ...] | None = None
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BuildState:
    """The record of one build: the key it is valid for, and one :class:`Entry` per name."""

    key: str
    entries: Mapping[str, Entry]

    @classmethod
    def read(cls, dest: str, key: str) -> BuildState | None:
        """DEST's record if it was written for ``key``; None when absent, unreadable or stale."""
        try:
            with open(os.path.join(dest, STATE_NAME), "rb") as handle:
                document = json.load(handle)
            if document["version"] != _VERSION or document["key"] != key:
                return None
            entries = {
                str(name): Entry(
                    int(size),
                    int(mtime_ns),
                    str(digest),
                    int(output_size),
                    None if references is None else tuple(map(str, references)),
                    tuple(map(str, dependencies)),
                )
                for name, (
                    size,
                    mtime_ns,
                    digest,
                    output_size,
                    references,
                    dependencies,
                ) in document["files"].items()
            }
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None
        return cls(key, entries)

    def write(self, dest: str) -> None:
        files = {
            name: [
                entry.size,
                entry.mtime_ns,
                entry.hash,
                entry.output_size,
                None if entry.references is None else list(entry.references),
                list(entry.dependencies),
            ]
            for name, entry in sorted(self.entries.items())
        }
        document = {"version": _VERSION, "key": self.key, "files": files}
        payload = json.dumps(document, separators=(",", ":")).encode()
        write_if_changed(os.path.join(dest, STATE_NAME), payload)


def state_key(src: str, options: Mapping[str, Any]) -> str:
    """What a record must match to be used: the version, SRC and the output's options."""
    document = {"version": __version__, "src": os.path.realpath(src), **options}
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def reusable(
    state: BuildState,
    src: str,
    dest: str,
    names: Iterable[str],
    present: frozenset[str],
) -> dict[str, str]:
    """``{name: hash}`` for the names whose last output can be kept as it is.

    ``names`` are this build's names to hash, ``present`` every file of SRC. A name is kept
    when it is clean and no name it refers to, directly or not, is rebuilt; for CSS/JS also
    only while every reference still resolves the same way (a file it named added to or
    removed from the build, or a kept-as-written target gone from SRC, rebuilds it).
    """
    name_set = frozenset(names)
    clean: dict[str, Entry] = {}
    for name in name_set:
        entry = state.entries.get(name)
        if entry is None or not _unchanged(src, dest, name, entry):
            continue
        if entry.references is not None:
            dependencies = tuple(target for target in entry.references if target in name_set)
            if dependencies != entry.dependencies or not all(
                target in present for target in entry.references
            ):
                continue
        clean[name] = entry
    # Rebuilt names cascade to everything that refers to them: drop, until nothing changes,
    # every clean name with a dependency that is not clean.
    referrers: dict[str, list[str]] = {}
    for name, entry in clean.items():
        for target in entry.dependencies:
            referrers.setdefault(target, []).append(name)
    pending = [name for name in name_set if name not in clean]
    while pending:
        found = referrers.get(pending.pop(), ())
        pending.extend(name for name in found if clean.pop(name, None) is not None)
    return {name: entry.hash for name, entry in clean.items()}


def _unchanged(src: str, dest: str, name: str, entry: Entry) -> bool:
    parts = name.split("/")
    try:
        source = os.stat(os.path.join(src, *parts))
        output = os.stat(os.path.join(dest, *hashed_name(name, entry.hash).split("/")))
    except OSError:
        return False
    return (
        source.st_size == entry.size
        and source.st_mtime_ns == entry.mtime_ns
        and output.st_size == entry.output_size
    )
