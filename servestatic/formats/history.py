"""The build history format (issue 16, skew protection): ``DEST/.servestatic-history.json``.

During a rolling deploy, and for as long as a browser tab or an edge cache holds a page of
the previous build, that page asks for the previous build's hashed files. Keeping them in
DEST (they have distinct names, so they never collide with the new ones) means the page
still works. The history records which files each build wrote, so that they can be removed
once no page can refer to them any more::

    {
      "version": 1,
      "retain": {"builds": 2},                    # or {"seconds": 604800} for "7d"
      "builds": [                                  # oldest first; the last is current
        {"id": "20250102T030405Z-1a2b3c4d", "time": 1735787045.5,
         "files": {"css/app.1a2b3c4d5e6f.css": {"size": 1234, "hash": "<sha256 hex>",
                                                  "hashed": true},
                   "index.html": {"size": 99, "hash": "<sha256 hex>", "hashed": false}}}
      ]
    }

Only ``hashed`` files outlive their build: an unhashed name (``index.html``, ``robots.txt``)
always answers with the current build's bytes, and one the current build no longer has is
removed with the build that had it. A previous build is *retained* while it is one of the
``builds`` newest previous builds, or (duration form) while less than ``seconds`` have
passed since the next build replaced it: a page served just before a deploy lives that
long from the deploy, not from when its own build ran.

The file is a dotfile, so the server never serves it (dotfiles are hidden by default), and
it is written through a temporary file and a rename. :func:`plan_gc` is pure: the build
and ``servestatic gc`` share it, and it never lists a file of the current build or of the
current ``staticfiles.json``.

This module is the format (names, records, parse and serialise, and what the server learns
from it), shared by the build tool (:mod:`servestatic.build.history` keeps the lock, the
build ids and the gc plan) and the server, so that serving never imports the build tool.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from servestatic.errors import ServeStaticError
from servestatic.formats.manifest import SHA256_HEX, safe_name

__all__ = [
    "HISTORY_NAME",
    "BuildRecord",
    "FileInfo",
    "History",
    "HistoryError",
    "Retention",
    "ServedBuilds",
    "history_document",
    "read_history",
    "served_builds",
]

HISTORY_NAME = ".servestatic-history.json"
_VERSION = 1
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^([0-9]+)([smhdw])$")


class HistoryError(ServeStaticError, ValueError):
    """A history file that cannot be used (names the file and the problem)."""


@dataclass(frozen=True, slots=True)
class Retention:
    """How many previous builds to keep: a count, or a time since they were replaced."""

    builds: int | None = None
    seconds: int | None = None

    @classmethod
    def parse(cls, text: str) -> Retention:
        """``"3"`` (builds) or ``"7d"`` (``s``, ``m``, ``h``, ``d``, ``w``); ValueError else."""
        value = text.strip()
        if value.isdigit():
            return cls(builds=int(value))
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(
                f"expected a number of builds (e.g. 3) or a duration (e.g. 12h, 7d, 2w; "
                f"units s, m, h, d, w), got {text!r}"
            )
        return cls(seconds=int(match.group(1)) * _UNITS[match.group(2)])

    def to_json(self) -> dict[str, int]:
        return (
            {"seconds": self.seconds} if self.seconds is not None else {"builds": self.builds or 0}
        )

    def __str__(self) -> str:
        if self.seconds is None:
            return f"{self.builds or 0} build{'s' if self.builds != 1 else ''}"
        if self.seconds == 0:
            return "0s"
        for unit in "wdhm":
            if self.seconds % _UNITS[unit] == 0:
                return f"{self.seconds // _UNITS[unit]}{unit}"
        return f"{self.seconds}s"


@dataclass(frozen=True, slots=True)
class FileInfo:
    size: int
    hash: str  # sha256 hex
    hashed: bool  # a content-hashed name: kept while its build is retained


@dataclass(frozen=True, slots=True)
class BuildRecord:
    id: str
    time: float
    files: Mapping[str, FileInfo]

    def same_files(self, other: BuildRecord) -> bool:
        return dict(self.files) == dict(other.files)


@dataclass(frozen=True, slots=True)
class History:
    retain: Retention
    builds: tuple[BuildRecord, ...]  # oldest first; the last one is current

    @property
    def current(self) -> BuildRecord | None:
        return self.builds[-1] if self.builds else None

    def add(self, record: BuildRecord) -> History:
        """``record`` as the current build; a rebuild of the same files is not a new build
        (it must not push a retained build out)."""
        current = self.current
        if current is not None and current.same_files(record):
            return self
        return History(self.retain, (*self.builds, record))

    def retained(self, now: float) -> tuple[BuildRecord, ...]:
        """The previous builds still kept at ``now`` (oldest first)."""
        previous = self.builds[:-1]
        if self.retain.seconds is None:
            count = self.retain.builds or 0
            return previous[-count:] if count else ()
        kept = []
        for index, record in enumerate(previous):
            replaced_at = self.builds[index + 1].time
            if now - replaced_at < self.retain.seconds:
                kept.append(record)
        return tuple(kept)


def read_history(root: str) -> History | None:
    """DEST's history (None when there is none); :class:`HistoryError` when it is unusable
    (a build must not guess which files are still needed)."""
    path = os.path.join(root, HISTORY_NAME)
    try:
        with open(path, "rb") as handle:
            document = json.load(handle)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise HistoryError(f"{path}: cannot read ({error.strerror})") from None
    except ValueError as error:
        raise HistoryError(f"{path}: not valid JSON ({error})") from None
    try:
        return _parse(document)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise HistoryError(
            f"{path}: not a servestatic build history ({error}); move it away to start a "
            "new history (files of earlier builds are then kept until removed by hand)"
        ) from None


def _parse(document: Any) -> History:
    if not isinstance(document, dict) or document.get("version") != _VERSION:
        raise ValueError(f"expected version {_VERSION}")
    retain = document["retain"]
    builds_value, seconds_value = retain.get("builds"), retain.get("seconds")
    if seconds_value is not None:
        retention = Retention(seconds=_count(seconds_value, "retain.seconds"))
    else:
        retention = Retention(builds=_count(builds_value, "retain.builds"))
    records = []
    # Most files are in every kept build, unchanged: each name is checked once and equal
    # records share one FileInfo (issue 19 item 3: start-up with retained builds grows with
    # the distinct files, not with builds x files, as far as reading the document allows).
    names: set[str] = set()
    infos: dict[tuple[Any, ...], FileInfo] = {}
    for number, build in enumerate(document["builds"]):
        files = {}
        for name, info in build["files"].items():
            size = info["size"]
            # The size's type too: True == 1, but only an int is a size (_count).
            key = (type(size), size, info["hash"], bool(info["hashed"]))
            shared = infos.get(key)
            if shared is None or name not in names:
                if not safe_name(name) or not SHA256_HEX.match(info["hash"]):
                    raise ValueError(f"builds[{number}]: bad file entry {name!r}")
                names.add(name)
                if shared is None:
                    shared = infos[key] = FileInfo(
                        _count(size, "size"), info["hash"], bool(info["hashed"])
                    )
            files[name] = shared
        when = build["time"]
        if not isinstance(when, int | float) or isinstance(when, bool):
            raise TypeError(f"builds[{number}].time must be a number")
        records.append(BuildRecord(str(build["id"]), float(when), files))
    return History(retention, tuple(records))


def _count(value: Any, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{key} must be a whole number >= 0, got {value!r}")
    return value


def history_document(history: History) -> dict[str, Any]:
    """The JSON document for ``history`` (what :func:`read_history` parses back)."""
    return {
        "version": _VERSION,
        "retain": history.retain.to_json(),
        "builds": [
            {
                "id": record.id,
                "time": record.time,
                "files": {
                    name: {"size": info.size, "hash": info.hash, "hashed": info.hashed}
                    for name, info in sorted(record.files.items())
                },
            }
            for record in history.builds
        ],
    }


# ----------------------------------------------------------------------------- serving


@dataclass(frozen=True, slots=True)
class ServedBuilds:
    """What the server learns from a root's history at start-up."""

    #: absolute path → ids of the kept builds that contain it (newest first)
    builds: Mapping[str, tuple[str, ...]]
    #: absolute paths of files only previous builds have (the ``retained`` rule condition)
    retained: frozenset[str]
    #: absolute path → sha256 hex, for files still of the recorded size (content ETags)
    digests: Mapping[str, str]


def served_builds(root: str) -> ServedBuilds:
    """The history of ``root`` as the server uses it; empty when there is none or it is
    unusable (the server then serves the files as any others, it never fails)."""
    try:
        history = read_history(root)
    except HistoryError:
        history = None
    if history is None or history.current is None:
        return ServedBuilds({}, frozenset(), {})
    base = os.path.abspath(root)
    builds: dict[str, list[str]] = {}
    digests: dict[str, str] = {}
    sizes: dict[str, int] = {}
    joined: dict[str, str] = {}  # name -> path: a name is in most builds, joined once
    for record in reversed(history.builds):
        for name, info in record.files.items():
            path = joined.get(name)
            if path is None:
                path = joined[name] = os.path.join(base, *name.split("/"))
            if path not in sizes:
                sizes[path] = info.size
                digests[path] = info.hash
            # An unhashed name (index.html) belongs to an older build only if it had the
            # same bytes then: the tag of a build is purged with the pages it served.
            if digests.get(path, info.hash) == info.hash:
                builds.setdefault(path, []).append(record.id)
    for path, size in sizes.items():
        try:
            if os.stat(path).st_size != size:
                del digests[path]
        except (OSError, ValueError):
            del digests[path]
    current = history.current.id
    retained = frozenset(path for path, ids in builds.items() if current not in ids)
    return ServedBuilds({path: tuple(ids) for path, ids in builds.items()}, retained, digests)
