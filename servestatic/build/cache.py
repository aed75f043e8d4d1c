"""The incremental-build record: which files were compressed, from what, into what.

Stored as ``.servestatic-cache.json`` at the root of the tree (a dotfile, so the server does
not serve it by default). An entry is trusted only while the file's size and mtime, every
kept variant's size, and the compression settings are unchanged; anything else means
"compress again". A missing or unreadable record just means a full run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from servestatic.build.codecs import SUFFIXES
from servestatic.build.files import write_if_changed

__all__ = ["CACHE_NAME", "CachedEntry", "CompressCache"]

CACHE_NAME = ".servestatic-cache.json"
_VERSION = 1


@dataclass(frozen=True, slots=True)
class CachedEntry:
    size: int
    kept: dict[str, int]


class CompressCache:
    """Load with :meth:`open`, consult with :meth:`lookup`, update, then :meth:`save`."""

    def __init__(self, root: str, fingerprint: str, entries: dict[str, Any] | None = None) -> None:
        self.root = root
        self.fingerprint = fingerprint
        self.entries: dict[str, Any] = entries or {}

    @classmethod
    def open(cls, root: str, fingerprint: str) -> CompressCache:
        """The record under ``root``; empty when absent, unreadable or for other settings."""
        try:
            with open(os.path.join(root, CACHE_NAME), "rb") as handle:
                document = json.load(handle)
        except (OSError, ValueError):
            return cls(root, fingerprint)
        if (
            not isinstance(document, dict)
            or document.get("version") != _VERSION
            or document.get("settings") != fingerprint
            or not isinstance(document.get("files"), dict)
        ):
            return cls(root, fingerprint)
        return cls(root, fingerprint, document["files"])

    def _key(self, path: str) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def lookup(self, path: str) -> CachedEntry | None:
        """The entry for ``path`` if everything it describes is still on disk unchanged."""
        entry = self.entries.get(self._key(path))
        try:
            size, mtime_ns, kept = entry  # type: ignore[misc]
            info = os.stat(path)
            if info.st_size != size or info.st_mtime_ns != mtime_ns:
                return None
            for coding, variant_size in kept.items():
                if os.stat(path + SUFFIXES[coding]).st_size != variant_size:
                    return None
        except (OSError, TypeError, ValueError, KeyError, AttributeError):
            return None
        return CachedEntry(size, {str(coding): int(value) for coding, value in kept.items()})

    def record(self, path: str, size: int, mtime_ns: int, kept: dict[str, int]) -> None:
        self.entries[self._key(path)] = [size, mtime_ns, dict(kept)]

    def save(self) -> None:
        """Write the record (atomically); entries for vanished files are dropped."""
        live = {
            key: value
            for key, value in self.entries.items()
            if os.path.exists(os.path.join(self.root, *key.split("/")))
        }
        document = {"version": _VERSION, "settings": self.fingerprint, "files": live}
        payload = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
        write_if_changed(os.path.join(self.root, CACHE_NAME), payload)
