"""Start-up I/O: walk a root once and describe every servable file and its variants.

One ``os.scandir`` per directory and one ``stat`` per file. Symlinks are resolved only where
they occur; a file whose real path leaves the root is skipped unless unsafe symlinks are
allowed (checked for variants and index files too). Broken links and directory loops are
reported and skipped, never fatal.
"""

from __future__ import annotations

import os
import re
import stat as stat_module
import warnings
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass

from servestatic._glob import Glob
from servestatic._paths import is_canonical_name

__all__ = [
    "VARIANT_SUFFIXES",
    "HiddenPolicy",
    "IndexWarning",
    "Known",
    "ScannedFile",
    "Variant",
    "scan_root",
    "stat_file",
    "within",
]

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
    inode: int = 0  # 0: not known (a manifest listing); learned when first opened


@dataclass(frozen=True, slots=True)
class ScannedFile:
    url: str  # prefix + relative path, "/" separated
    path: str
    size: int
    mtime_ns: int
    variants: tuple[Variant, ...]
    # The file's inode, so a file swapped for another of the same size and mtime (a
    # symlink out of the root, say) is still noticed when it is opened. 0: not known.
    inode: int = 0


@dataclass(frozen=True, slots=True)
class HiddenPolicy:
    """Which dot segments may be served.

    An ``allow`` pattern opens the dot segments it names with a leading "." and no others:
    ``/.well-known/**`` serves ``/.well-known/security.txt`` but not
    ``/.well-known/.git/config`` (issue 13), which needs a pattern such as
    ``/.well-known/.git/**``. Wildcards never match a dot segment here.
    """

    serve_dotfiles: bool
    allow: tuple[Glob, ...]

    def allows_file(self, url: str) -> bool:
        if self.serve_dotfiles or "/." not in url:
            return True
        return any(glob.match_explicit(url) for glob in self.allow)

    def may_descend(self, directory_url: str) -> bool:
        """Could a file below this hidden directory be allowed? (avoid walking ``.git``)."""
        if self.serve_dotfiles:
            return True
        return any(glob.may_match_below(directory_url) for glob in self.allow)


def within(real_root: str, real_path: str) -> bool:
    # commonpath, never startswith: "/srv/static_private" is not inside "/srv/static".
    try:
        return os.path.commonpath([real_root, real_path]) == real_root
    except ValueError:  # pragma: no cover - different drives (Windows only)
        return False


def _warn(message: str) -> None:
    warnings.warn(message, IndexWarning, stacklevel=4)


#: relative path → (size, mtime_ns) recorded by a manifest: lets the scan skip a ``stat``.
Known = Mapping[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class _Scan:
    """What one walk needs besides the directory entries."""

    real_root: str
    encodings: frozenset[str]
    link_allowed: Callable[[str], bool]
    known: Known
    warn: Callable[[str], None]


def scan_root(
    root: str,
    prefix: str,
    *,
    encodings: frozenset[str],
    allow_unsafe_symlinks: bool,
    hidden: HiddenPolicy,
    warn: Callable[[str], None] = _warn,
    known: Known | None = None,
    link_allowed: Callable[[str], bool] | None = None,
    skip_urls: Container[str] = (),
) -> Iterator[ScannedFile]:
    """Yield every servable file below ``root`` with its URL under ``prefix`` (``/x/``).

    ``known`` (sizes and times from a manifest) spares a ``stat`` per listed file;
    ``link_allowed(real_target)`` replaces the default symlink policy (inside the root, or
    anywhere with ``allow_unsafe_symlinks``); URLs in ``skip_urls`` are left out.
    """
    real_root = os.path.realpath(root)
    try:
        root_stat = os.stat(real_root)
    except OSError:
        return
    if link_allowed is None:

        def link_allowed(target: str) -> bool:
            return allow_unsafe_symlinks or within(real_root, target)

    scan = _Scan(real_root, encodings, link_allowed, known or {}, warn)
    visited = {(root_stat.st_dev, root_stat.st_ino)}
    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        directory, relative_dir = stack.pop()
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
            if not is_canonical_name(name):
                # Request paths with such a segment are refused (on every OS, as Windows
                # would alias them), so the file could never be asked for: say why.
                warn(
                    f"Skipping {os.path.join(directory, name)!r}: a URL cannot name it "
                    "(':', '\\', a trailing dot or space, or a Windows device name)"
                )
                continue
            relative = relative_dir + name
            url = prefix + relative
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()
            except OSError:  # pragma: no cover - races with deletion
                continue
            if not is_dir and _is_variant(name, entries):
                # A variant is reached only through its file (``_scan_file``), which checks
                # and reports its link: checking it here as well printed every warning
                # about a variant link twice (issue 13).
                continue
            if is_link and not _link_ok(entry.path, scan):
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
                stack.append((entry.path, relative + "/"))
                continue
            if url in skip_urls or not hidden.allows_file(url):
                continue
            scanned = _scan_file(entry, entries, url, relative, scan)
            if scanned is not None:
                yield scanned


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _encodable(name: str) -> bool:
    """A name that can appear in a URL and a header: valid UTF-8, no control characters."""
    if name.isascii() and name.isprintable():  # nearly every name: no per-character loop
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return _CONTROL.search(name) is None


def _link_ok(path: str, scan: _Scan) -> bool:
    try:
        real = os.path.realpath(path, strict=True)
    except OSError as error:
        reason = "symlink loop" if error.errno == 40 else "broken symlink"
        scan.warn(f"Skipping {path}: {reason}")
        return False
    if not scan.link_allowed(real):
        scan.warn(
            f"Skipping {path}: symlink target {real} is outside the root (allow_unsafe_symlinks)"
        )
        return False
    return True


def _describe(entry: os.DirEntry[str], relative: str, scan: _Scan) -> tuple[int, int, int] | None:
    """(size, mtime_ns, inode) of a regular file: from the manifest listing, else one
    ``stat``. A listed file's inode is left unknown (0) and learned when it is first
    opened: the directory entry's ``d_ino`` is not ``st_ino`` on every filesystem
    (overlayfs)."""
    recorded = scan.known.get(relative)
    # is_file(follow_symlinks=False) reads the directory entry's type: no system call.
    if recorded is not None and entry.is_file(follow_symlinks=False):
        return recorded[0], recorded[1], 0
    try:
        info = entry.stat()
    except OSError as error:  # pragma: no cover - races with deletion
        scan.warn(f"Skipping {entry.path}: {error.strerror}")
        return None
    if not stat_module.S_ISREG(info.st_mode):
        return None
    return info.st_size, info.st_mtime_ns, info.st_ino


def _is_variant(name: str, siblings: Container[str]) -> bool:
    """``app.js.gz`` next to ``app.js``: served only by negotiation for ``app.js``."""
    base, suffix = os.path.splitext(name)
    return suffix in VARIANT_SUFFIXES and base in siblings


def _scan_file(
    entry: os.DirEntry[str],
    siblings: dict[str, os.DirEntry[str]],
    url: str,
    relative: str,
    scan: _Scan,
) -> ScannedFile | None:
    name = entry.name
    described = _describe(entry, relative, scan)
    if described is None:
        return None
    size, mtime_ns, inode = described
    variants: list[Variant] = []
    for variant_suffix, coding in VARIANT_SUFFIXES.items():
        sibling = siblings.get(name + variant_suffix)
        if (
            sibling is None
            or coding not in scan.encodings
            or any(variant.coding == coding for variant in variants)
        ):
            continue
        try:
            if sibling.is_symlink() and not _link_ok(sibling.path, scan):
                continue
        except OSError:  # pragma: no cover - races with deletion
            continue
        variant = _describe(sibling, relative + variant_suffix, scan)
        # A variant is only worth sending when it is smaller than the file itself.
        if variant is not None and variant[0] < size:
            variants.append(Variant(coding, sibling.path, *variant))
    return ScannedFile(url, entry.path, size, mtime_ns, tuple(variants), inode)


def stat_file(
    path: str,
    url: str,
    *,
    encodings: frozenset[str],
    real_root: str | None,
    allow_unsafe_symlinks: bool,
    root: str | None = None,
) -> ScannedFile | None:
    """Describe one file by path (autorefresh mode and reloads), or None if not servable.

    With ``root`` (the directory ``path`` was joined under, unresolved), the components
    below it are checked with one ``lstat`` each: when none is a symlink the file cannot
    leave the root and no ``realpath`` (an ``lstat`` per component of the whole path) is
    needed. Symlinks, wherever they are, still get the full check. ``real_root`` None means
    ``realpath(root)``, computed only when a symlink is met.
    """
    directory, name = os.path.split(path)
    resolved_root = real_root
    plain = False
    try:
        info = _plain_lstat(root, path) if root is not None else None
        if info is not None:
            plain = True
        else:
            real = os.path.realpath(path, strict=True)
            if resolved_root is None:
                resolved_root = os.path.realpath(root or directory)
            if not allow_unsafe_symlinks and not within(resolved_root, real):
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
            # Most files have few variants: a failing stat is the cheapest way to know.
            variant_info = os.lstat(variant_path) if plain else os.stat(variant_path)
            if not plain or stat_module.S_ISLNK(variant_info.st_mode):
                real_variant = os.path.realpath(variant_path, strict=True)
                if resolved_root is None:
                    resolved_root = os.path.realpath(root or directory)
                if not allow_unsafe_symlinks and not within(resolved_root, real_variant):
                    continue
                variant_info = os.stat(variant_path)
        except (OSError, ValueError):
            continue
        if stat_module.S_ISREG(variant_info.st_mode) and variant_info.st_size < info.st_size:
            variants.append(
                Variant(
                    coding,
                    variant_path,
                    variant_info.st_size,
                    variant_info.st_mtime_ns,
                    variant_info.st_ino,
                )
            )
    return ScannedFile(url, path, info.st_size, info.st_mtime_ns, tuple(variants), info.st_ino)


def _plain_lstat(root: str, path: str) -> os.stat_result | None:
    """``lstat`` of ``path`` if no component below ``root`` is a symlink, else None.

    Raises OSError when a component is missing.
    """
    base = root.rstrip(os.sep)
    if not path.startswith(base + os.sep):
        return None
    current = base
    info = None
    for part in path[len(base) + 1 :].split(os.sep):
        if part in {"", ".", ".."}:
            return None
        current = f"{current}{os.sep}{part}"
        info = os.lstat(current)
        if stat_module.S_ISLNK(info.st_mode):
            return None
    return info
