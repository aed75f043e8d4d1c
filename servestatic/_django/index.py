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

The records produced are the engine's :class:`~servestatic._index.ScannedFile`; see
``servestatic.middleware`` for how they reach the engine.
"""

from __future__ import annotations

import os
import stat as stat_module
import warnings
from collections.abc import Callable, Container, Iterator, Mapping
from functools import cache

from django.contrib.staticfiles import finders

from servestatic._index import VARIANT_SUFFIXES, HiddenPolicy, IndexWarning, ScannedFile, Variant

__all__ = ["finder_files", "finder_locations", "known_variants", "link_policy", "scan_tree"]

Known = Mapping[str, tuple[int, int]]


def _warn(message: str) -> None:
    warnings.warn(message, IndexWarning, stacklevel=4)


def _within(real_root: str, real_path: str) -> bool:
    try:
        return os.path.commonpath([real_root, real_path]) == real_root
    except ValueError:  # pragma: no cover - different drives (Windows only)
        return False


def link_policy(
    real_root: str, allow_unsafe: bool, extra_roots: Callable[[], list[str]]
) -> Callable[[str], bool]:
    """Whether a symlink target (a real path) may be served from ``real_root``.

    ``extra_roots`` (the finders' locations) is only computed when a link leaves the root.
    """
    trusted = cache(lambda: [os.path.realpath(path) for path in extra_roots()])

    def allowed(target: str) -> bool:
        if allow_unsafe or _within(real_root, target):
            return True
        return any(_within(root, target) for root in trusted())

    return allowed


def _target(path: str, allowed: Callable[[str], bool]) -> str | None:
    try:
        real = os.path.realpath(path, strict=True)
    except OSError:
        _warn(f"Skipping {path}: broken symlink or symlink loop")
        return None
    if not allowed(real):
        _warn(f"Skipping {path}: symlink target {real} is outside the root")
        return None
    return real


def _describe(entry: os.DirEntry[str], relative: str, known: Known) -> tuple[int, int] | None:
    """(size, mtime_ns) of a regular file: from the manifest listing, else one ``stat()``."""
    recorded = known.get(relative)
    # is_file(follow_symlinks=False) reads the directory entry's type: no system call.
    if recorded is not None and entry.is_file(follow_symlinks=False):
        return recorded
    try:
        info = entry.stat()
    except OSError:  # pragma: no cover - races with deletion
        return None
    if not stat_module.S_ISREG(info.st_mode):
        return None
    return info.st_size, info.st_mtime_ns


def scan_tree(
    root: str,
    prefix: str,
    *,
    known: Known,
    encodings: frozenset[str],
    hidden: HiddenPolicy,
    allowed: Callable[[str], bool],
    skip_urls: Container[str] = (),
) -> Iterator[ScannedFile]:
    """Every servable file below ``root`` at ``prefix``, as the engine's scanner would list it."""
    try:
        root_info = os.stat(root)
    except OSError:
        return
    visited = {(root_info.st_dev, root_info.st_ino)}
    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        directory, relative_dir = stack.pop()
        try:
            with os.scandir(directory) as iterator:
                entries = {entry.name: entry for entry in iterator}
        except OSError as error:
            _warn(f"Skipping unreadable directory {directory}: {error.strerror}")
            continue
        for name in sorted(entries):
            entry = entries[name]
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                _warn(f"Skipping {entry.path!r}: name is not valid UTF-8")
                continue
            relative = relative_dir + name
            url = prefix + relative
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()
            except OSError:  # pragma: no cover - races with deletion
                continue
            if is_link and _target(entry.path, allowed) is None:
                continue
            if is_dir:
                if name.startswith(".") and not hidden.may_descend(url + "/"):
                    continue
                try:
                    info = entry.stat()
                except OSError:  # pragma: no cover - races with deletion
                    continue
                key = (info.st_dev, info.st_ino)
                if key in visited:
                    _warn(f"Skipping {entry.path}: directory loop (symlink back to an ancestor)")
                    continue
                visited.add(key)
                stack.append((entry.path, relative + "/"))
                continue
            base, suffix = os.path.splitext(name)
            if suffix in VARIANT_SUFFIXES and base in entries:
                continue  # a variant: reached through negotiation only
            if url in skip_urls or not hidden.allows_file(url):
                continue
            described = _describe(entry, relative, known)
            if described is None:
                continue
            size, mtime_ns = described
            variants: list[Variant] = []
            for variant_suffix, coding in VARIANT_SUFFIXES.items():
                sibling = entries.get(name + variant_suffix)
                if (
                    sibling is None
                    or coding not in encodings
                    or any(variant.coding == coding for variant in variants)
                ):
                    continue
                if sibling.is_symlink() and _target(sibling.path, allowed) is None:
                    continue
                variant_info = _describe(sibling, relative + variant_suffix, known)
                # A variant is only worth sending when it is smaller than the file itself.
                if variant_info is not None and variant_info[0] < size:
                    variants.append(Variant(coding, sibling.path, *variant_info))
            yield ScannedFile(url, entry.path, size, mtime_ns, tuple(variants))


def known_variants(
    path: str, relative: str, size: int, known: Known, encodings: frozenset[str]
) -> tuple[Variant, ...]:
    """The variants of a file the manifest listing records (no filesystem access)."""
    variants: list[Variant] = []
    for suffix, coding in VARIANT_SUFFIXES.items():
        recorded = known.get(relative + suffix)
        if (
            recorded is None
            or coding not in encodings
            or recorded[0] >= size
            or any(variant.coding == coding for variant in variants)
        ):
            continue
        variants.append(Variant(coding, path + suffix, *recorded))
    return tuple(variants)


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
