"""The build history format (issue 16, skew protection): ``DEST/.servestatic-history.json``.

During a rolling deploy, and for as long as a browser tab or an edge cache holds a page of
the previous build, that page asks for the previous build's hashed files. Keeping them in
DEST (they have distinct names, so they never collide with the new ones) means the page
still works. The history records which files each build wrote, so that they can be removed
once no page can refer to them any more::

    {
      "version": 2,
      "retain": {"builds": 2},                    # or {"seconds": 604800} for "7d"
      "builds": [                                  # oldest first; the last is current
        {"id": "20250102T030405Z-1a2b3c4d", "time": 1735787045.5},
        {"id": "20250103T030405Z-5e6f7a8b", "time": 1735873445.5}
      ],
      "files": {                                   # each name, once per version
        "css/app.1a2b3c4d5e6f.css": [{"size": 1234, "hash": "<sha256 hex>",
                                      "hashed": true, "builds": [[0, 1]]}],
        "index.html": [{"size": 99, "hash": "<sha256 hex>", "hashed": false,
                        "builds": [[0, 0]]},
                       {"size": 104, "hash": "<sha256 hex>", "hashed": false,
                        "builds": [[1, 1]]}]
      }
    }

A version's ``builds`` are spans ``[first, last]`` (indexes into ``builds``, both included)
of the builds that wrote those bytes under that name: a file unchanged over five builds is
one record, so reading the history costs the server a few microseconds per distinct file,
whatever the number of builds (issue 19 item 3). Version 1, which earlier releases wrote
(each build listing all its files), is still read; the next build rewrites it as version 2.

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
from collections.abc import Iterable, Iterator, Mapping
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
#: Written: version 2 (each file once per version, with its spans of builds). Read: 2,
#: and 1 (each build listing all its files), which earlier releases wrote.
_VERSION = 2
_VERSIONS = (1, 2)
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
    found = _read_document(root)
    if found is None:
        return None
    path, document = found
    try:
        return _parse(document)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise _unusable(path, error) from None


def _read_document(root: str) -> tuple[str, Any] | None:
    path = os.path.join(root, HISTORY_NAME)
    try:
        with open(path, "rb") as handle:
            return path, json.load(handle)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise HistoryError(f"{path}: cannot read ({error.strerror})") from None
    except ValueError as error:
        raise HistoryError(f"{path}: not valid JSON ({error})") from None


def _unusable(path: str, error: Exception) -> HistoryError:
    return HistoryError(
        f"{path}: not a servestatic build history ({error}); move it away to start a "
        "new history (files of earlier builds are then kept until removed by hand)"
    )


def _parse(document: Any) -> History:
    if not isinstance(document, dict) or document.get("version") not in _VERSIONS:
        raise ValueError(f"expected version {_VERSION} (or {_VERSION - 1})")
    retention = _retention(document["retain"])
    if document["version"] == 1:
        return History(retention, tuple(_parse_v1(document["builds"])))
    heads = _build_heads(document["builds"])
    files: list[dict[str, FileInfo]] = [{} for _ in heads]
    for name, versions in _names(document["files"], len(heads)):
        for info, spans in versions:
            for first, last in spans:
                for index in range(first, last + 1):
                    files[index][name] = info
    return History(
        retention,
        tuple(BuildRecord(id, time, found) for (id, time), found in zip(heads, files, strict=True)),
    )


def _retention(retain: Any) -> Retention:
    builds_value, seconds_value = retain.get("builds"), retain.get("seconds")
    if seconds_value is not None:
        return Retention(seconds=_count(seconds_value, "retain.seconds"))
    return Retention(builds=_count(builds_value, "retain.builds"))


def _parse_v1(builds: Any) -> list[BuildRecord]:
    """Version 1: every build lists all its files (read, never written any more)."""
    records = []
    # Most files are in every kept build, unchanged: each name is checked once and equal
    # records share one FileInfo.
    names: set[str] = set()
    infos: dict[tuple[Any, ...], FileInfo] = {}
    for number, build in enumerate(builds):
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
        records.append(BuildRecord(str(build["id"]), _time(build["time"], number), files))
    return records


def _time(when: Any, number: int) -> float:
    if not isinstance(when, int | float) or isinstance(when, bool):
        raise TypeError(f"builds[{number}].time must be a number")
    return float(when)


def _build_heads(builds: Any) -> list[tuple[str, float]]:
    """Version 2's builds: (id, time), oldest first."""
    return [(str(build["id"]), _time(build["time"], number)) for number, build in enumerate(builds)]


#: A name's versions: each record with the spans of builds that wrote it (``(first,
#: last)`` indexes into the builds, oldest first, both included).
Versions = list[tuple["FileInfo", list[tuple[int, int]]]]


def _names(files: Any, count: int) -> Iterator[tuple[str, Versions]]:
    """Version 2's files, checked: each name with its versions."""
    for name, records in files.items():
        if not safe_name(name):
            raise ValueError(f"bad file name {name!r}")
        versions: Versions = []
        for info in records:
            digest = info["hash"]
            if not SHA256_HEX.match(digest):
                raise ValueError(f"files[{name!r}]: bad hash {digest!r}")
            spans = [(first, last) for first, last in info["builds"]]
            if not spans or not all(
                type(first) is int and type(last) is int and 0 <= first <= last < count
                for first, last in spans
            ):
                raise ValueError(f"files[{name!r}]: bad spans of builds {info['builds']!r}")
            versions.append(
                (FileInfo(_count(info["size"], "size"), digest, bool(info["hashed"])), spans)
            )
        if not versions:
            raise ValueError(f"files[{name!r}]: no version")
        if len(versions) > 1 or len(versions[0][1]) > 1:
            _one_version_per_build(name, versions)
        yield name, versions


def _one_version_per_build(name: str, versions: Versions) -> None:
    seen: set[int] = set()
    for _, spans in versions:
        for first, last in spans:
            for index in range(first, last + 1):
                if index in seen:
                    raise ValueError(f"files[{name!r}]: two versions in builds[{index}]")
                seen.add(index)


def _count(value: Any, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{key} must be a whole number >= 0, got {value!r}")
    return value


def _grouped(history: History) -> dict[str, dict[FileInfo, list[int]]]:
    """Name → each distinct version → the indexes of the builds that wrote it."""
    indexes: dict[str, dict[FileInfo, list[int]]] = {}
    for index, record in enumerate(history.builds):
        for name, info in record.files.items():
            indexes.setdefault(name, {}).setdefault(info, []).append(index)
    return indexes


def history_document(history: History) -> dict[str, Any]:
    """The JSON document for ``history`` (what :func:`read_history` parses back).

    Each name is written once per distinct version, with the spans of builds that wrote
    it: a file unchanged over five builds is one record, not five, so the document (and
    the server's start-up) grows with the distinct files, not with builds x files."""
    indexes = _grouped(history)
    return {
        "version": _VERSION,
        "retain": history.retain.to_json(),
        "builds": [{"id": record.id, "time": record.time} for record in history.builds],
        "files": {
            name: [
                {
                    "size": info.size,
                    "hash": info.hash,
                    "hashed": info.hashed,
                    "builds": _spans(found),
                }
                for info, found in sorted(indexes[name].items(), key=lambda item: item[1][0])
            ]
            for name in sorted(indexes)
        },
    }


def _spans(indexes: list[int]) -> list[tuple[int, int]]:
    """Ascending build indexes as ``(first, last)`` runs (JSON arrays when written)."""
    spans: list[tuple[int, int]] = []
    for index in indexes:
        if spans and spans[-1][1] == index - 1:
            spans[-1] = (spans[-1][0], index)
        else:
            spans.append((index, index))
    return spans


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


def served_builds(root: str, *, digests: bool = True, build_ids: bool = True) -> ServedBuilds:
    """The history of ``root`` as the server uses it; empty when there is none or it is
    unusable (the server then serves the files as any others, it never fails).

    ``digests=False`` (the server without content ETags) and ``build_ids=False`` (no build
    tag headers) leave those out: no ``stat`` per file, no list of builds per file.
    ``retained`` is always there (the rules' ``retained`` condition)."""
    try:
        found = _read_document(root)
        if found is None:
            return _NOTHING_SERVED
        document = found[1]
        if isinstance(document, dict) and document.get("version") == _VERSION:
            _retention(document["retain"])
            heads = _build_heads(document["builds"])
            names = _names(document["files"], len(heads))
            ids = [id for id, _ in heads]
            return _served(os.path.abspath(root), ids, names, digests, build_ids)
        history = _parse(document)
    except (HistoryError, AttributeError, KeyError, TypeError, ValueError):
        return _NOTHING_SERVED
    ids = [record.id for record in history.builds]
    grouped = (
        (name, [(info, _spans(indexes)) for info, indexes in infos.items()])
        for name, infos in _grouped(history).items()
    )
    return _served(os.path.abspath(root), ids, grouped, digests, build_ids)


_NOTHING_SERVED = ServedBuilds({}, frozenset(), {})


def _served(
    base: str,
    ids: list[str],
    names: Iterable[tuple[str, Versions]],
    want_digests: bool,
    want_ids: bool,
) -> ServedBuilds:
    """:func:`served_builds` from each name's versions (one pass, per name)."""
    if not ids:
        return _NOTHING_SERVED
    current = len(ids) - 1
    builds: dict[str, tuple[str, ...]] = {}
    digests: dict[str, str] = {}
    retained: list[str] = []
    # Names are safe (checked): relative, "/"-separated, no "." or ".." segment.
    prefix = os.path.join(base, "")
    separator = os.sep
    for name, versions in names:
        path = prefix + (name if separator == "/" else name.replace("/", separator))
        # The newest version: the one the latest build that has the name wrote.
        if len(versions) == 1:
            newest, spans = versions[0]
        else:
            newest, spans = max(versions, key=lambda version: _last_build(version[1]))
        if _last_build(spans) < current:
            retained.append(path)  # no file of that name in the current build
        if want_ids:
            # An unhashed name (index.html) belongs to an older build only if it had the
            # same bytes then: the tag of a build is purged with the pages it served.
            indexes = sorted(
                (
                    index
                    for info, version_spans in versions
                    if info.hash == newest.hash
                    for first, last in version_spans
                    for index in range(first, last + 1)
                ),
                reverse=True,
            )
            builds[path] = tuple(ids[index] for index in indexes)
        if want_digests:
            try:
                if os.stat(path).st_size == newest.size:
                    digests[path] = newest.hash
            except (OSError, ValueError):
                pass
    return ServedBuilds(builds, frozenset(retained), digests)


def _last_build(spans: list[tuple[int, int]]) -> int:
    return spans[0][1] if len(spans) == 1 else max(last for _, last in spans)
