"""Start-up I/O: walk a root once and describe every servable file and its variants.

One ``os.scandir`` per directory and one ``stat`` per file. Symlinks are resolved only where
they occur; a file whose real path leaves the root is skipped unless unsafe symlinks are
allowed (checked for variants and index files too). Broken links and directory loops are
reported and skipped, never fatal.
"""

from __future__ import annotations

import os
import stat as stat_module
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from servestatic._glob import Glob

__all__ = ["VARIANT_SUFFIXES", "HiddenPolicy", "ScannedFile", "Variant", "scan_root", "stat_file"]

#: Suffix of a precompressed sibling → content coding.
VARIANT_SUFFIXES = {".zst": "zstd", ".zstd": "zstd", ".br": "br", ".gz": "gzip"}


class IndexWarning(UserWarning):
    """Something in a root was skipped (a broken symlink, a loop, an unsafe link)."""


@dataclass(frozen=True, slots=True)
class Variant:
    coding: str
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class ScannedFile:
    url: str  # prefix + relative path, "/" separated
    path: str
    size: int
    mtime_ns: int
    variants: tuple[Variant, ...]


@dataclass(frozen=True, slots=True)
class HiddenPolicy:
    """Which dot segments may be served."""

    serve_dotfiles: bool
    allow: tuple[Glob, ...]

    def allows_file(self, url: str) -> bool:
        if self.serve_dotfiles or "/." not in url:
            return True
        return any(glob.match(url) for glob in self.allow)

    def may_descend(self, directory_url: str) -> bool:
        """Could a file below this hidden directory be allowed? (avoid walking ``.git``)."""
        if self.serve_dotfiles:
            return True
        for glob in self.allow:
            for prefix in glob.literal_prefixes:
                if prefix.startswith(directory_url) or directory_url.startswith(prefix):
                    return True
        return False


def _within(real_root: str, real_path: str) -> bool:
    # commonpath, never startswith: "/srv/static_private" is not inside "/srv/static".
    try:
        return os.path.commonpath([real_root, real_path]) == real_root
    except ValueError:  # pragma: no cover - different drives (Windows only)
        return False


def _warn(message: str) -> None:
    warnings.warn(message, IndexWarning, stacklevel=4)


def scan_root(
    root: str,
    prefix: str,
    *,
    encodings: frozenset[str],
    allow_unsafe_symlinks: bool,
    hidden: HiddenPolicy,
    warn: Callable[[str], None] = _warn,
) -> Iterator[ScannedFile]:
    """Yield every servable file below ``root`` with its URL under ``prefix`` (``/x/``)."""
    real_root = os.path.realpath(root)
    try:
        root_stat = os.stat(real_root)
    except OSError:
        return
    visited = {(root_stat.st_dev, root_stat.st_ino)}
    stack: list[tuple[str, str]] = [(root, prefix)]
    while stack:
        directory, url_prefix = stack.pop()
        try:
            with os.scandir(directory) as iterator:
                entries = {entry.name: entry for entry in iterator}
        except OSError as error:
            warn(f"Skipping unreadable directory {directory}: {error.strerror}")
            continue
        for name in sorted(entries):
            entry = entries[name]
            if not _encodable(name):
                warn(
                    f"Skipping {os.path.join(directory, name)!r}: the name is not valid UTF-8 "
                    "or contains control characters"
                )
                continue
            url = url_prefix + name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()
            except OSError:  # pragma: no cover - races with deletion
                continue
            if is_link and not _link_allowed(entry.path, real_root, allow_unsafe_symlinks, warn):
                continue
            if is_dir:
                if name.startswith(".") and not hidden.may_descend(url + "/"):
                    continue
                try:
                    info = entry.stat()
                except OSError as error:  # pragma: no cover - races with deletion
                    warn(f"Skipping {entry.path}: {error.strerror}")
                    continue
                key = (info.st_dev, info.st_ino)
                if key in visited:
                    warn(f"Skipping {entry.path}: directory loop (symlink back to an ancestor)")
                    continue
                visited.add(key)
                stack.append((entry.path, url + "/"))
                continue
            scanned = _scan_file(
                entry, entries, url, real_root, encodings, allow_unsafe_symlinks, warn
            )
            if scanned is not None and hidden.allows_file(url):
                yield scanned


def _encodable(name: str) -> bool:
    """A name that can appear in a URL and a header: valid UTF-8, no control characters."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(ord(char) < 0x20 or ord(char) == 0x7F for char in name)


def _link_allowed(
    path: str, real_root: str, allow_unsafe: bool, warn: Callable[[str], None]
) -> bool:
    try:
        real = os.path.realpath(path, strict=True)
    except OSError as error:
        reason = "symlink loop" if error.errno == 40 else "broken symlink"
        warn(f"Skipping {path}: {reason}")
        return False
    if not allow_unsafe and not _within(real_root, real):
        warn(f"Skipping {path}: symlink target {real} is outside the root (allow_unsafe_symlinks)")
        return False
    return True


def _scan_file(
    entry: os.DirEntry[str],
    siblings: dict[str, os.DirEntry[str]],
    url: str,
    real_root: str,
    encodings: frozenset[str],
    allow_unsafe: bool,
    warn: Callable[[str], None],
) -> ScannedFile | None:
    name = entry.name
    base, suffix = os.path.splitext(name)
    if suffix in VARIANT_SUFFIXES and base in siblings:
        return None  # a variant of an existing file is reached only through negotiation
    try:
        info = entry.stat()
    except OSError as error:  # pragma: no cover - races with deletion
        warn(f"Skipping {entry.path}: {error.strerror}")
        return None
    if not stat_module.S_ISREG(info.st_mode):
        return None
    variants: list[Variant] = []
    for variant_suffix, coding in VARIANT_SUFFIXES.items():
        if coding not in encodings:
            continue
        sibling = siblings.get(name + variant_suffix)
        if sibling is None or any(v.coding == coding for v in variants):
            continue
        variant = _variant(sibling, coding, info.st_size, real_root, allow_unsafe, warn)
        if variant is not None:
            variants.append(variant)
    return ScannedFile(url, entry.path, info.st_size, info.st_mtime_ns, tuple(variants))


def _variant(
    entry: os.DirEntry[str],
    coding: str,
    original_size: int,
    real_root: str,
    allow_unsafe: bool,
    warn: Callable[[str], None],
) -> Variant | None:
    try:
        if entry.is_symlink() and not _link_allowed(entry.path, real_root, allow_unsafe, warn):
            return None
        info = entry.stat()
    except OSError:  # pragma: no cover - races with deletion
        return None
    # A variant is only worth sending when it is smaller than the file itself.
    if not stat_module.S_ISREG(info.st_mode) or info.st_size >= original_size:
        return None
    return Variant(coding, entry.path, info.st_size, info.st_mtime_ns)


def stat_file(
    path: str,
    url: str,
    *,
    encodings: frozenset[str],
    real_root: str,
    allow_unsafe_symlinks: bool,
) -> ScannedFile | None:
    """Describe one file by path (autorefresh mode and reloads), or None if not servable."""
    directory, name = os.path.split(path)
    try:
        real = os.path.realpath(path, strict=True)
        if not allow_unsafe_symlinks and not _within(real_root, real):
            return None
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat_module.S_ISREG(info.st_mode):
        return None
    variants: list[Variant] = []
    for suffix, coding in VARIANT_SUFFIXES.items():
        if coding not in encodings or any(v.coding == coding for v in variants):
            continue
        variant_path = os.path.join(directory, name + suffix)
        try:
            real_variant = os.path.realpath(variant_path, strict=True)
            variant_info = os.stat(variant_path)
        except (OSError, ValueError):
            continue
        if not allow_unsafe_symlinks and not _within(real_root, real_variant):
            continue
        if stat_module.S_ISREG(variant_info.st_mode) and variant_info.st_size < info.st_size:
            variants.append(
                Variant(coding, variant_path, variant_info.st_size, variant_info.st_mtime_ns)
            )
    return ScannedFile(url, path, info.st_size, info.st_mtime_ns, tuple(variants))
