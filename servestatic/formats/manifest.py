"""``staticfiles.json`` as the server reads it: names, digests, originals, page metadata.

The document Django's ``ManifestStaticFilesStorage`` reads is ``{"paths": {name: hashed},
"version": "1.0"}``; Django ignores other top-level keys, so servestatic adds ``files``::

    "files": {"css/app.1a2b3c4d5e6f.css": {"size": 1234, "hash": "<sha256 hex>",
                                            "integrity": "sha384-<base64>"}}

``hash`` gives the server a content ETag without reading the file at start-up (see
:func:`load_digests`); ``integrity`` is ready for ``<script integrity=...>`` (W3C SRI §3.1).

This module is the format shared by the build tool (:mod:`servestatic.build.manifest`
writes the document) and the server (:mod:`servestatic.serve.engine` reads it), so that
serving never imports the build tool. Reading never fails: a missing or malformed document
reads as empty, and the server falls back to hashing or mtime ETags.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "SHA256_HEX",
    "PageMeta",
    "format_link",
    "load_digests",
    "load_originals",
    "load_pages",
    "safe_name",
]

MANIFEST_NAME = "staticfiles.json"
MANIFEST_VERSION = "1.0"
#: A ``hash`` value as the build writes it (sha256, lower-case hex).
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What the build recorded for one HTML page (issue 18): its ``Link`` value and the
    CSP hash sources of its inline scripts and styles."""

    link: str | None = None
    script_hashes: tuple[str, ...] = ()
    style_hashes: tuple[str, ...] = ()


def _document(root: str) -> dict[str, Any]:
    """``root/staticfiles.json`` as a dict; empty when missing, unreadable or malformed."""
    try:
        with open(os.path.join(root, MANIFEST_NAME), "rb") as handle:
            document = json.load(handle)
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def safe_name(name: object) -> bool:
    """A ``/``-separated relative name that stays below the root (the document is data
    from disk: ``..``, absolute and backslash names are refused)."""
    if not isinstance(name, str) or not name or name.startswith("/") or "\\" in name:
        return False
    return not any(part in {"", ".", ".."} for part in name.split("/"))


def load_originals(root: str) -> dict[str, str]:
    """Original name → hashed name from ``paths`` (only names that differ), for the server
    to answer an original name with its hashed file. Unsafe names are ignored."""
    paths = _document(root).get("paths")
    if not isinstance(paths, dict):
        return {}
    return {
        name: hashed
        for name, hashed in paths.items()
        if safe_name(name) and safe_name(hashed) and name != hashed
    }


#: Attributes a ``Link`` hint carries besides the URL and ``rel`` (RFC 8288 §3.4, HTML's
#: preload: ``as``, ``type``, ``crossorigin``, ``media``, ``fetchpriority``).
_LINK_PARAMS = ("as", "type", "crossorigin", "media", "fetchpriority")
_URL_SAFE = "/:@!$&'()*+,;=-._~%?"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_QUOTABLE = re.compile(r"[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]*")


def format_link(hint: Mapping[str, Any], prefix: str = "/") -> str | None:
    """One ``Link`` header element from a recorded hint, or None if it is malformed.

    A relative ``href`` is a name below the root (the build resolved it against the
    page), served under ``prefix``; an absolute path is used as written."""
    href, rel = hint.get("href"), hint.get("rel")
    if not isinstance(href, str) or rel not in {"preload", "modulepreload", "stylesheet"}:
        return None
    if not href.startswith("/"):
        if not safe_name(href):
            return None
        href = prefix + href
    if href.startswith("//"):
        return None
    url = quote(href, safe=_URL_SAFE)
    parts = [f"<{url}>", f"rel={rel}"]
    for name in _LINK_PARAMS:
        value = hint.get(name)
        if value is None or not isinstance(value, str):
            continue
        if value == "" and name == "crossorigin":
            parts.append("crossorigin")
        elif _TOKEN.fullmatch(value):
            parts.append(f"{name}={value}")
        elif _QUOTABLE.fullmatch(value):  # RFC 9110 §5.6.4 quoted-string, no escapes needed
            parts.append(f'{name}="{value}"')
    return "; ".join(parts)


def load_pages(
    root: str, prefix: str = "/", *, link: bool = True, csp: bool = True
) -> dict[str, PageMeta]:
    """Absolute file path → :class:`PageMeta`, from the ``pages`` of ``staticfiles.json``
    (written by the build, issue 18). Malformed entries are skipped, never fatal."""
    pages = _document(root).get("pages")
    if not isinstance(pages, dict):
        return {}
    base = os.path.abspath(root)
    found: dict[str, PageMeta] = {}
    for name, record in pages.items():
        if not safe_name(name) or not isinstance(record, dict):
            continue
        links: list[str] = []
        if link and isinstance(record.get("links"), list):
            links = [
                value
                for hint in record["links"]
                if isinstance(hint, dict) and (value := format_link(hint, prefix)) is not None
            ]
        scripts: tuple[str, ...] = ()
        styles: tuple[str, ...] = ()
        hashes = record.get("csp")
        if csp and isinstance(hashes, dict):
            scripts = _hash_sources(hashes.get("script-src"))
            styles = _hash_sources(hashes.get("style-src"))
        if links or scripts or styles:
            path = os.path.join(base, *name.split("/"))
            found[path] = PageMeta(", ".join(links) or None, scripts, styles)
    return found


_HASH_SOURCE = re.compile(r"'sha(?:256|384|512)-[A-Za-z0-9+/]+={0,2}'")


def _hash_sources(values: object) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(v for v in values if isinstance(v, str) and _HASH_SOURCE.fullmatch(v))


def load_digests(root: str) -> dict[str, str]:
    """Absolute file path → sha256 hex, from ``root/staticfiles.json``.

    Only entries whose file still has the recorded size are returned; a name that would
    leave ``root`` is ignored. A missing, unreadable or malformed manifest gives an empty
    dict: the server then falls back to hashing or to mtime ETags, it never fails.
    """
    try:
        with open(os.path.join(root, MANIFEST_NAME), "rb") as handle:
            document = json.load(handle)
    except (OSError, ValueError):
        return {}
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict):
        return {}
    base = os.path.abspath(root)
    digests: dict[str, str] = {}
    for name, record in files.items():
        if not isinstance(name, str) or not isinstance(record, dict):
            continue
        digest, size = record.get("hash"), record.get("size")
        if not isinstance(digest, str) or not SHA256_HEX.match(digest):
            continue
        if not isinstance(size, int) or isinstance(size, bool):
            continue
        parts = name.split("/")
        if name.startswith("/") or "\\" in name or any(part in {"", ".", ".."} for part in parts):
            continue
        path = os.path.join(base, *parts)
        try:
            if os.stat(path).st_size != size:
                continue
        except (OSError, ValueError):
            continue
        digests[path] = digest
    return digests
