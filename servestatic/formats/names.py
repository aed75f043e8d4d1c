"""What a file's name says: a bundler's content hash, or a name linked to from outside.

Shared by the build tool (``servestatic SRC DEST --hash`` leaves a bundler's hashed names
alone and never renames an entry point), the server's framework presets
(:mod:`servestatic.serve.frameworks`) and Django's storage, so that none of them imports
another. Pure name tests, except :func:`bundler_hashed` which reads a bundler's manifest.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Iterable

__all__ = [
    "ANGULAR_HASH",
    "HEX_HASH",
    "SERVICE_WORKERS",
    "bundler_hashed",
    "is_entry_point",
    "looks_hashed",
    "manifest_files",
    "read_json",
    "rollup_hashed",
]

# ------------------------------------------------------------------ hashed names
#
# What each tool puts in a name (defaults, from their docs):
#   Django / servestatic --hash   name.<12 hex>.ext
#   webpack [contenthash]         name.<20 hex>.js (any length via [contenthash:N]); CRA 8
#   Parcel 2                      name.<8 hex>.ext
#   Vite / Rollup                 name-<8 base64url>.ext (assets/), e.g. index-BxY3kQ_9.js
#   Angular (esbuild)             name-<8 upper-case base32>.ext, e.g. main-5XJ2YQ7A.js
HEX_HASH = re.compile(
    r"[.-](?P<hash>(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,32})(?:\.chunk)?\.[A-Za-z0-9]+$"
)
ANGULAR_HASH = re.compile(r"-(?=[A-Z0-9]*[0-9])(?=[A-Z0-9]*[A-Z])[A-Z0-9]{8}\.[A-Za-z0-9]+$")
_ROLLUP = re.compile(r"-([A-Za-z0-9_-]{8})\.[A-Za-z0-9]+$")
_ROLLUP_DIRECTORIES = ("assets", "_astro", "_app/immutable", "_nuxt", "build")


def _mixed(token: str) -> bool:
    """A base64url hash mixes character classes; a word ("settings", "Overview") does not
    mix digits or two cases with ``-``/``_`` often enough to be mistaken for one."""
    classes = sum(
        (
            any(c.islower() for c in token),
            any(c.isupper() for c in token),
            any(c.isdigit() or c in "-_" for c in token),
        )
    )
    return classes >= 2 and not (token.isalpha() and token[:1].isupper() and token[1:].islower())


def looks_hashed(name: str) -> bool:
    """Does a ``/``-separated name (or URL path) carry a content hash a bundler put there?

    Rollup-style base64url hashes count only inside the directories bundlers write them
    to (``assets/``, ``_astro/`` ...): elsewhere ``site-settings.js`` would be one.
    """
    base = posixpath.basename(name)
    if HEX_HASH.search(base) or ANGULAR_HASH.search(base):
        return True
    if not rollup_hashed(base):
        return False
    directory = "/" + posixpath.dirname(name.lstrip("/")) + "/"
    return any(f"/{part}/" in directory for part in _ROLLUP_DIRECTORIES)


def rollup_hashed(base: str) -> bool:
    """Does a base name end in a Rollup/Vite-style base64url hash (``index-BxY3kQ_9.js``)?"""
    found = _ROLLUP.search(base)
    return found is not None and _mixed(found.group(1))


def bundler_hashed(root: str) -> frozenset[str]:
    """Names (relative to ``root``) that a bundler's own manifest says it hashed: Vite's
    ``.vite/manifest.json`` (or ``manifest.json`` in Vite 4's shape) and webpack's
    ``asset-manifest.json`` / ``manifest.json``. Exact, where the name tests guess."""
    names: set[str] = set()
    for manifest in (".vite/manifest.json", "manifest.json", "asset-manifest.json"):
        document = read_json(os.path.join(root, *manifest.split("/")))
        if not isinstance(document, dict):
            continue
        values: Iterable[object] = document.values()
        if isinstance(document.get("files"), dict):  # create-react-app's asset-manifest
            values = document["files"].values()
        for value in values:
            for file in manifest_files(value):
                name = posixpath.normpath(file.lstrip("/"))
                if not name.startswith("..") and looks_hashed(name):
                    names.add(name)
    return frozenset(names)


def manifest_files(value: object) -> list[str]:
    """The file names one value of a Vite or webpack manifest lists."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):  # Vite: {"file": ..., "css": [...], "assets": [...]}
        found = [value["file"]] if isinstance(value.get("file"), str) else []
        for key in ("css", "assets"):
            found.extend(item for item in value.get(key) or [] if isinstance(item, str))
        return found
    return []


def read_json(path: str) -> object:
    try:
        with open(path, "rb") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------ entry points

#: Files browsers, crawlers and platforms ask for by their own name: the build never
#: takes that name away (it is kept next to a hashed copy), and presets never make them
#: immutable.
_ENTRY_NAMES = frozenset(
    {
        "robots.txt",
        "sitemap.xml",
        "humans.txt",
        "ads.txt",
        "security.txt",
        "favicon.ico",
        "browserconfig.xml",
        "manifest.json",
        "asset-manifest.json",
        "ngsw.json",
        "staticfiles.json",
    }
)
SERVICE_WORKERS = frozenset(
    {
        "sw.js",
        "service-worker.js",
        "serviceworker.js",
        "ngsw-worker.js",
        "safety-worker.js",
        "firebase-messaging-sw.js",
    }
)


def is_entry_point(name: str) -> bool:
    """HTML pages, service workers, ``robots.txt`` and friends, ``.well-known/``, web
    manifests: names that are linked to from outside the build, never by a hashed name."""
    name = name.lstrip("/")
    base = posixpath.basename(name)
    lowered = base.lower()
    return (
        lowered.endswith((".html", ".htm", ".webmanifest"))
        or lowered in _ENTRY_NAMES
        or lowered in SERVICE_WORKERS
        or name.startswith(".well-known/")
        or lowered.startswith("apple-touch-icon")
    )
