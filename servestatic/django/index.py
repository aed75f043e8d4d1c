"""Start-up I/O for Django: ``STATIC_ROOT`` from the manifest listing, finders' files.

The engine's own scanner stats every file and applies one symlink policy to every root.
Two things differ for a Django project:

* with ``CompressedManifestStaticFilesStorage`` the manifest already records each file's
  size and mtime, so the walk of ``STATIC_ROOT`` only lists directories (no ``stat()`` per
  file) and stats the files the manifest does not know (``compress --offline`` output...);
* ``collectstatic --link`` fills ``STATIC_ROOT`` with symlinks into the apps' static
  directories. Those targets are where ``collectstatic`` copies from, so they are allowed
  (ServeStatic 4.4 dropped them: reference §6 #19); other links leaving the root are not,
  unless ``SERVESTATIC_ALLOW_UNSAFE_SYMLINKS``.

The records produced are the engine's :class:`~servestatic.serve.index.ScannedFile`; see
``servestatic.middleware`` for how they reach the engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Container, Iterator
from functools import cache

from django.contrib.staticfiles import finders

from servestatic.formats.variants import VARIANT_SUFFIXES
from servestatic.serve.index import (
    HiddenPolicy,
    Known,
    ScannedFile,
    Variant,
    collect_variants,
    scan_root,
    within,
)

__all__ = ["finder_files", "finder_locations", "known_variants", "link_policy", "scan_tree"]


def link_policy(
    real_root: str, allow_unsafe: bool, extra_roots: Callable[[], list[str]]
) -> Callable[[str], bool]:
    """Whether a symlink target (a real path) may be served from ``real_root``.

    ``extra_roots`` (the finders' locations) is only computed when a link leaves the root.
    """
    trusted = cache(lambda: [os.path.realpath(path) for path in extra_roots()])

    def allowed(target: str) -> bool:
        if allow_unsafe or within(real_root, target):
            return True
        return any(within(root, target) for root in trusted())

    return allowed


def scan_tree(
    root: str,
    prefix: str,
    *,
    known: Known,
    encodings: frozenset[str],
    hidden: HiddenPolicy,
    allowed: Callable[[str], bool],
    warn: Callable[[str], None],
    skip_urls: Container[str] = (),
) -> Iterator[ScannedFile]:
    """``STATIC_ROOT`` through the engine's scanner, with the manifest's sizes and times and
    the ``collectstatic --link`` symlink policy."""
    return scan_root(
        root,
        prefix,
        encodings=encodings,
        allow_unsafe_symlinks=False,
        hidden=hidden,
        known=known,
        link_allowed=allowed,
        skip_urls=skip_urls,
        warn=warn,
    )


def known_variants(
    path: str, relative: str, size: int, known: Known, encodings: frozenset[str]
) -> tuple[Variant, ...]:
    """The variants of a file the manifest listing records (no filesystem access)."""
    return collect_variants(path, size, encodings, known.get, relative)


def _storages(finder: object) -> list[object]:
    storages = getattr(finder, "storages", None)
    if isinstance(storages, dict):
        return list(storages.values())
    storage = getattr(finder, "storage", None)
    return [storage] if storage is not None else []


def finder_locations() -> list[tuple[str, str]]:
    """``(directory, sub-prefix)`` of every finder storage on disk, first finder first."""
    locations = []
    for finder in finders.get_finders():
        for storage in _storages(finder):
            location = getattr(storage, "location", None)
            if location:
                sub_prefix = (getattr(storage, "prefix", None) or "").strip("/")
                locations.append((os.path.abspath(location), sub_prefix))
    return locations


def finder_files() -> dict[str, tuple[str, str]]:
    """``{relative URL: (file path, storage location)}``; the first finder wins, as in
    ``finders.find``. Variants next to their file are left to negotiation."""
    files: dict[str, tuple[str, str]] = {}
    for finder in finders.get_finders():
        for path, storage in finder.list(None):
            sub_prefix = (getattr(storage, "prefix", None) or "").strip("/")
            relative = (sub_prefix + "/" if sub_prefix else "") + path.replace("\\", "/")
            location = getattr(storage, "location", "") or ""
            files.setdefault(relative, (storage.path(path), os.path.abspath(location)))
    return {
        relative: value
        for relative, value in files.items()
        if not (
            os.path.splitext(relative)[1] in VARIANT_SUFFIXES
            and os.path.splitext(relative)[0] in files
        )
    }
