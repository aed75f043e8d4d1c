"""``staticfiles.json``: Django's manifest, plus per-file digests for the server.

The document Django's ``ManifestStaticFilesStorage`` reads is ``{"paths": {name: hashed},
"version": "1.0"}``; Django ignores other top-level keys, so servestatic adds ``files``::

    "files": {"css/app.1a2b3c4d5e6f.css": {"size": 1234, "hash": "<sha256 hex>",
                                            "integrity": "sha384-<base64>"}}

``hash`` gives the server a content ETag without reading the file at start-up (see
:func:`load_digests`); ``integrity`` is ready for ``<script integrity=...>`` (W3C SRI §3.1).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from servestatic.build.files import write_if_changed
from servestatic.errors import ServeStaticError
from servestatic.formats.manifest import (
    MANIFEST_NAME,
    MANIFEST_VERSION,
    format_link,
    load_digests,
    load_originals,
    load_pages,
)

__all__ = [
    "MANIFEST_NAME",
    "ManifestError",
    "file_record",
    "format_link",
    "load_digests",
    "load_originals",
    "load_pages",
    "merge_manifest",
    "read_manifest",
    "write_manifest",
]

_CHUNK = 1 << 16


class ManifestError(ServeStaticError, ValueError):
    """An existing manifest that cannot be merged into (names the file and the problem)."""


def file_record(path: str) -> dict[str, Any]:
    """``{"size", "hash" (sha256 hex), "integrity" (sha384, SRI form)}`` in one read."""
    sha256 = hashlib.sha256()
    sha384 = hashlib.sha384()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            size += len(chunk)
            sha256.update(chunk)
            sha384.update(chunk)
    integrity = "sha384-" + base64.b64encode(sha384.digest()).decode("ascii")
    return {"size": size, "hash": sha256.hexdigest(), "integrity": integrity}


def read_manifest(path: str) -> dict[str, Any]:
    """An existing manifest to merge into; :class:`ManifestError` says what is wrong."""
    try:
        with open(path, "rb") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise ManifestError(f"{path}: no manifest to merge into (drop --merge-manifest)") from None
    except OSError as error:
        raise ManifestError(f"{path}: cannot read ({error.strerror})") from None
    except ValueError as error:
        raise ManifestError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise ManifestError(f"{path}: expected a JSON object, got {type(document).__name__}")
    if not isinstance(document.get("paths", {}), dict):
        raise ManifestError(f"{path}: 'paths' must be an object")
    if not isinstance(document.get("files", {}), dict):
        raise ManifestError(f"{path}: 'files' must be an object")
    return document


def merge_manifest(
    paths: Mapping[str, str],
    files: Mapping[str, Mapping[str, Any]],
    existing: Mapping[str, Any] | None = None,
    pages: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """A new manifest; with ``existing``, its entries and other top-level keys are kept
    and this build's entries win (ServeStatic's ``--merge-manifest``)."""
    document: dict[str, Any] = dict(existing or {})
    merged_paths = dict(document.get("paths", {}))
    merged_paths.update(paths)
    merged_files = dict(document.get("files", {}))
    merged_files.update({name: dict(record) for name, record in files.items()})
    document["paths"] = dict(sorted(merged_paths.items()))
    document["version"] = MANIFEST_VERSION
    document["files"] = dict(sorted(merged_files.items()))
    if pages is not None:
        merged_pages = dict(document.get("pages") or {})
        merged_pages.update({name: dict(record) for name, record in pages.items()})
        document["pages"] = dict(sorted(merged_pages.items()))
    return document


def write_manifest(root: str, document: Mapping[str, Any]) -> str:
    """Write ``root/staticfiles.json`` atomically (indent 2, as ServeStatic); return its path."""
    path = os.path.join(root, MANIFEST_NAME)
    payload = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_if_changed(path, payload.encode("utf-8"))
    return path


def records_for(root: str, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """:func:`file_record` for each ``/``-separated name under ``root``."""
    return {name: file_record(os.path.join(root, *name.split("/"))) for name in names}
