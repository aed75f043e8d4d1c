"""Start-up I/O: walk a root once and describe every servable file and its variants.

One ``os.scandir`` per directory and one ``stat`` per file. Symlinks are resolved only where
they occur; a file whose real path leaves the root is skipped unless unsafe symlinks are
allowed (checked for variants and index files too). Broken links and directory loops (a
directory that is one of its own ancestors) are reported and skipped, never fatal.

:func:`stat_file` describes one file by path for autorefresh lookups and reloads, and
accepts exactly the paths a scan would reach (issue 13, item 6).
"""

from __future__ import annotations

import os
import re
import stat as stat_module
import warnings
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from servestatic.formats.variants import VARIANT_SUFFIXES
from servestatic.http.glob import Glob
from servestatic.http.paths import is_canonical_name, within
from servestatic.http.records import Confinement

__all__ = [
    "VARIANT_SUFFIXES",
    "HiddenPolicy",
    "IndexWarning",
    "Known",
    "ScannedFile",
    "Variant",
    "collect_variants",
    "is_variant_path",
    "scan_root",
    "stat_file",
    "within",
]


class IndexWarning(UserWarning):
    """Something in a root was skipped (a broken symlink, a loop, an unsafe link)."""


class Variant(NamedTuple):
    """A precompressed sibling of a file. A named tuple, as :class:`ScannedFile`: a big
    tree has one per compressible file and coding, and a frozen dataclass's ``__init__``
    cost ~10% of the walk of 100,000 files (issue 19)."""

    coding: str
    path: str
    size: int
    mtime_ns: int
    inode: int = 0  # 0: not known (a manifest listing); learned when first opened
    device: int = 0


class ScannedFile(NamedTuple):
    """A servable file as the walk found it (and, until first requested, the start-up
    index's record of it: see :mod:`servestatic.serve.table`).

    A named tuple rather than a frozen dataclass: one is made per file at start-up, and a
    frozen dataclass's ``__init__`` (``object.__setattr__`` per field) cost about 3x as
    much, a quarter of the walk at 100,000 files (issue 19). Immutable all the same."""

    url: str  # prefix + relative path, "/" separated
    path: str
    size: int
    mtime_ns: int
    variants: tuple[Variant, ...]
    # The file's inode, so a file swapped for another of the same size and mtime (a
    # symlink out of the root, say) is still noticed when it is opened. 0: not known (or
    # described by path, which an attacker can race): learned from the first descriptor
    # opened that passes ``confinement``.
    inode: int = 0
    device: int = 0
    confinement: Confinement | None = None


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
    confinement: Confinement | None


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
    below: str = "",
) -> Iterator[ScannedFile]:
    """Yield every servable file below ``root`` with its URL under ``prefix`` (``/x/``).

    ``below`` (a directory relative to the root, ``/``-separated) limits the walk to that
    subtree, reached as the whole walk would reach it (see :func:`_walk_start`): the
    watcher re-indexes a directory created or renamed in without walking the root.

    ``known`` (sizes and times from a manifest) spares a ``stat`` per listed file;
    ``link_allowed(real_target)`` replaces the default symlink policy (inside the root, or
    anywhere with ``allow_unsafe_symlinks``); URLs in ``skip_urls`` are left out.

    A directory is skipped only when it is one of its own ancestors (a loop): two links to
    one directory make two URLs for its files, as :func:`stat_file` (autorefresh) and the
    build's walk see them. (A "seen anywhere" rule would pick one of the two by the order
    of the walk, which a lookup of one URL cannot know.)
    """
    real_root = os.path.realpath(root)
    try:
        root_stat = os.stat(real_root)
    except OSError:
        return
    confinement: Confinement | None = Confinement(root, link_allowed)
    if link_allowed is None:
        if allow_unsafe_symlinks:
            confinement = None

        def link_allowed(target: str) -> bool:
            return allow_unsafe_symlinks or within(real_root, target)

    scan = _Scan(real_root, encodings, link_allowed, known or {}, warn, confinement)
    # Each directory carries the identities of its ancestors (the root's included).
    stack: list[_Directory] = [(root, "", frozenset({(root_stat.st_dev, root_stat.st_ino)}))]
    if below:
        start = _walk_start(root, below, stack[0][2], scan, hidden, prefix)
        if start is None:
            return
        stack = [start]
    while stack:
        # The directory's subdirectories are pushed in name order once its files are
        # yielded: walked depth first, last name first.
        yield from _scan_directory(stack.pop(), scan, hidden, prefix, skip_urls, stack)


#: A directory to walk: its path, its ``/``-ended path relative to the root, and the
#: identities ``(st_dev, st_ino)`` of its ancestors.
_Directory = tuple[str, str, frozenset[tuple[int, int]]]


def _scan_directory(
    directory: _Directory,
    scan: _Scan,
    hidden: HiddenPolicy,
    prefix: str,
    skip_urls: Container[str],
    subdirectories: list[_Directory],
) -> Iterator[ScannedFile]:
    """One ``scandir``: the servable files of ``directory`` in name order, its
    subdirectories to walk next added to ``subdirectories``; everything skipped is
    reported through ``scan.warn``.

    The per-entry work is a few string operations besides the one ``stat`` (issue 19: the
    walk of 100,000 files within 2x of a bare ``scandir`` + ``stat``): the checks below
    take their slow paths (:func:`_nameable`, :func:`_is_variant`, the suffix table) only
    for the names that need them."""
    path, relative_dir, ancestors = directory
    try:
        with os.scandir(path) as iterator:
            entries = {entry.name: entry for entry in iterator}
    except OSError as error:
        scan.warn(f"Skipping unreadable directory {path}: {error.strerror}")
        return
    names = sorted(entries)
    # Names of precompressed siblings (``app.js.gz``), found once per directory: those of
    # a file (``_is_variant``) are served only through it; the names they extend (``coded``)
    # are the only files that look for variants at all.
    suffixed = [name for name in names if name.endswith(_SUFFIXES)]
    coded = {name.rpartition(".")[0] for name in suffixed}
    variant_names = {name for name in suffixed if _is_variant(name, entries)}
    url_dir = prefix + relative_dir
    found: list[_Directory] = []
    describe_sibling: Callable[[str], tuple[int, int, int, int] | None] | None = None
    plain = not scan.known  # no manifest listing to consult: one stat per file
    confinement, encodings = scan.confinement, scan.encodings
    for name in names:
        # is_canonical_name's checks inlined (a call per file is a few % of the walk).
        if not (
            name.isascii()
            and name.isprintable()
            and "\\" not in name
            and ":" not in name
            and name[-1] not in " ."
            and (name[0] not in _DEVICE_INITIALS or is_canonical_name(name))
        ) and not _nameable(path, name, scan):
            continue
        entry = entries[name]
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()
        except OSError:  # pragma: no cover - races with deletion
            continue
        if not is_dir and name in variant_names:
            # A variant is reached only through its file (``_scan_file``), which checks
            # and reports its link: checking it here as well printed every warning
            # about a variant link twice (issue 13).
            continue
        if is_link and not _link_ok(entry.path, scan):
            continue
        url = url_dir + name
        if is_dir:
            if not name.startswith(".") or hidden.may_descend(url + "/"):
                subdirectory = _subdirectory(entry, relative_dir + name, ancestors, scan)
                if subdirectory is not None:
                    found.append(subdirectory)
            continue
        if url in skip_urls or ("/." in url and not hidden.allows_file(url)):
            continue
        # Only a file some sibling is named after looks for variants (the describer made
        # once per directory, by the first such file).
        describe = None
        if name in coded:
            if describe_sibling is None:
                describe_sibling = _sibling_describer(entries, relative_dir, scan)
            describe = describe_sibling
        if not plain:
            scanned = _scan_file(entry, url, relative_dir + name, scan, describe)
            if scanned is not None:
                yield scanned
            continue
        # No manifest listing to consult: one stat per file (_scan_file's work, inlined:
        # a call per file is a few % of the walk).
        try:
            info = entry.stat()
        except OSError as error:  # pragma: no cover - races with deletion
            scan.warn(f"Skipping {entry.path}: {error.strerror}")
            continue
        if info.st_mode & _FORMAT == _REGULAR:
            size = info.st_size
            # ScannedFile(...) without the named tuple's Python-level __new__.
            yield _new_tuple(
                ScannedFile,
                (
                    url,
                    entry.path,
                    size,
                    info.st_mtime_ns,
                    ()
                    if describe is None
                    else collect_variants(entry.path, size, encodings, describe, name),
                    info.st_ino,
                    info.st_dev,
                    confinement,
                ),
            )
    subdirectories.extend(found)


def _sibling_describer(
    siblings: Mapping[str, os.DirEntry[str]], relative_dir: str, scan: _Scan
) -> Callable[[str], tuple[int, int, int, int] | None]:
    """``describe(name)`` for :func:`collect_variants`: the sibling ``name`` of a directory's
    file, if it is a usable variant (a regular file, its link allowed). One per directory,
    not one closure per file (issue 19)."""
    plain = not scan.known

    def describe(name: str) -> tuple[int, int, int, int] | None:
        sibling = siblings.get(name)
        if sibling is None:
            return None
        try:
            if sibling.is_symlink() and not _link_ok(sibling.path, scan):
                return None
        except OSError:  # pragma: no cover - races with deletion
            return None
        if not plain:
            return _describe(sibling, relative_dir + name, scan)
        # _describe without a listing, inlined (one call fewer per variant).
        try:
            info = sibling.stat()
        except OSError as error:  # pragma: no cover - races with deletion
            scan.warn(f"Skipping {sibling.path}: {error.strerror}")
            return None
        if info.st_mode & _FORMAT != _REGULAR:
            return None
        return info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev

    return describe


def _nameable(directory: str, name: str, scan: _Scan) -> bool:
    """Can a URL name this entry? If not, say why (it could never be asked for)."""
    if not _encodable(name):
        scan.warn(
            f"Skipping {os.path.join(directory, name)!r}: the name is not valid UTF-8 "
            "or contains control characters"
        )
        return False
    if not is_canonical_name(name):
        # Request paths with such a segment are refused (on every OS, as Windows
        # would alias them), so the file could never be asked for: say why.
        scan.warn(
            f"Skipping {os.path.join(directory, name)!r}: a URL cannot name it "
            "(':', '\\', a trailing dot or space, or a Windows device name)"
        )
        return False
    return True


def _subdirectory(
    entry: os.DirEntry[str],
    relative: str,
    ancestors: frozenset[tuple[int, int]],
    scan: _Scan,
) -> _Directory | None:
    """The directory to walk next, unless it is one of its own ancestors (a loop)."""
    try:
        info = entry.stat()
    except OSError as error:  # pragma: no cover - races with deletion
        scan.warn(f"Skipping {entry.path}: {error.strerror}")
        return None
    key = (info.st_dev, info.st_ino)
    if key in ancestors:
        scan.warn(f"Skipping {entry.path}: directory loop (symlink back to an ancestor)")
        return None
    return entry.path, relative + "/", ancestors | {key}


def _walk_start(
    root: str,
    below: str,
    ancestors: frozenset[tuple[int, int]],
    scan: _Scan,
    hidden: HiddenPolicy,
    prefix: str,
) -> _Directory | None:
    """Where a walk of ``root`` limited to ``below`` starts: the directory, its relative
    name and its ancestors' identities, after the checks the whole walk makes on each
    directory on the way (a name a URL can carry, a hidden directory only where allowed,
    a link only inside the root, no loop); None when the walk would not go there."""
    directory, relative = root.rstrip(os.sep), ""
    for name in below.strip("/").split("/"):
        if name in {"", ".", ".."} or not _encodable(name) or not is_canonical_name(name):
            return None
        relative += name + "/"
        if name.startswith(".") and not hidden.may_descend(prefix + relative):
            return None
        directory = os.path.join(directory, name)
        try:
            info = os.lstat(directory)
            if stat_module.S_ISLNK(info.st_mode):
                if not _link_ok(directory, scan):
                    return None
                info = os.stat(directory)
        except OSError:
            return None
        key = (info.st_dev, info.st_ino)
        if not stat_module.S_ISDIR(info.st_mode) or key in ancestors:
            return None
        ancestors |= {key}
    return directory, relative, ancestors


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SUFFIXES = tuple(VARIANT_SUFFIXES)
_new_tuple = tuple.__new__
_DEVICE_INITIALS = frozenset("cpanlCPANL")  # (servestatic.http.paths: device names)
_FORMAT, _REGULAR = stat_module.S_IFMT(0o170000), stat_module.S_IFREG


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


def _describe(
    entry: os.DirEntry[str], relative: str, scan: _Scan
) -> tuple[int, int, int, int] | None:
    """(size, mtime_ns, inode, device) of a regular file: from the manifest listing, else
    one ``stat``. A listed file's inode is left unknown (0) and learned when it is first
    opened: the directory entry's ``d_ino`` is not ``st_ino`` on every filesystem
    (overlayfs)."""
    recorded = scan.known.get(relative) if scan.known else None
    # is_file(follow_symlinks=False) reads the directory entry's type: no system call.
    if recorded is not None and entry.is_file(follow_symlinks=False):
        return recorded[0], recorded[1], 0, 0
    try:
        info = entry.stat()
    except OSError as error:  # pragma: no cover - races with deletion
        scan.warn(f"Skipping {entry.path}: {error.strerror}")
        return None
    if not stat_module.S_ISREG(info.st_mode):
        return None
    return info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev


def _is_variant(name: str, siblings: Mapping[str, os.DirEntry[str]]) -> bool:
    """``app.js.gz`` next to the file ``app.js``: served only by negotiation for ``app.js``
    (next to a directory or a broken link of that name it is a file of its own)."""
    # rpartition, not os.path.splitext: called once per variant of a big tree (issue 19).
    base, dot, extension = name.rpartition(".")
    return bool(base) and dot + extension in VARIANT_SUFFIXES and _names_file(siblings.get(base))


def _scan_file(
    entry: os.DirEntry[str],
    url: str,
    relative: str,
    scan: _Scan,
    describe_sibling: Callable[[str], tuple[int, int, int, int] | None] | None,
) -> ScannedFile | None:
    """The file ``entry`` with its variants, its description from the manifest listing
    where it has one (``describe_sibling(name)``: a sibling by name, see
    :func:`_sibling_describer`; None when no sibling is named like a variant)."""
    described = _describe(entry, relative, scan)
    if described is None:
        return None
    size, mtime_ns, inode, device = described
    variants = (
        ()
        if describe_sibling is None
        else collect_variants(entry.path, size, scan.encodings, describe_sibling, entry.name)
    )
    return ScannedFile(url, entry.path, size, mtime_ns, variants, inode, device, scan.confinement)


def collect_variants(
    path: str,
    size: int,
    encodings: Container[str],
    describe: Callable[[str], tuple[int, int] | tuple[int, int, int, int] | None],
    base: str = "",
) -> tuple[Variant, ...]:
    """The precompressed variants of the file at ``path`` (``size`` bytes): the one loop
    over the suffix table for a scan, a lookup by path and a manifest listing, which differ
    only in how they learn a sibling's ``(size, mtime_ns[, inode, device])``:
    ``describe(base + suffix)``, None when there is no usable sibling (``base``: the file's
    name, path or key, whichever ``describe`` looks siblings up by, so that a caller's
    lookup can be a bound method rather than a closure per file). A coding's first suffix
    wins (``.zst`` over ``.zstd``); codings not in ``encodings`` are not looked for."""
    variants: list[Variant] = []
    found: set[str] = set()
    for suffix, coding in VARIANT_SUFFIXES.items():
        if coding not in encodings or coding in found:
            continue
        described = describe(base + suffix)
        # A variant is only worth sending when it is smaller than the file itself.
        if described is not None and described[0] < size:
            if len(described) == 2:
                described = (*described, 0, 0)
            # Variant(...) without the named tuple's Python-level __new__.
            variants.append(_new_tuple(Variant, (coding, path + suffix, *described)))
            found.add(coding)
    return tuple(variants)


def _names_file(entry: os.DirEntry[str] | None) -> bool:
    """Is this directory entry a file (through a link too)? A sibling ``x.gz`` is then a
    variant of ``x``; next to a directory, a broken link or a FIFO it is a file of its own
    (``os.path.isfile``, as :func:`is_variant_path` sees it)."""
    if entry is None:
        return False
    try:
        return entry.is_file()
    except OSError:  # pragma: no cover - an unreadable link target
        return False


def is_variant_path(path: str) -> bool:
    """Is the file at ``path`` a precompressed variant of a file next to it (served only
    through negotiation, never at its own URL)?"""
    base, suffix = os.path.splitext(path)
    return suffix in VARIANT_SUFFIXES and os.path.isfile(base)


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
    needed. Otherwise each component is checked as :func:`scan_root` would reach it (a
    symlink resolves inside the root, a directory is not one of its own ancestors), so
    both modes serve the same URLs. ``real_root`` None means ``realpath(root)``, computed
    only when a symlink is met.

    The inode is left unknown: a ``stat`` by path says nothing about the file a later open
    reaches (a component can be swapped for a link in between). It is learned from the
    first descriptor that passes the returned ``confinement`` (:mod:`servestatic.serve.files`).
    """
    directory, name = os.path.split(path)
    resolved_root = real_root
    plain = False
    try:
        info = _plain_lstat(root, path) if root is not None else None
        if info is not None:
            plain = True
        else:
            if resolved_root is None:
                resolved_root = os.path.realpath(root or directory)
            parts = _components(root, path) if root is not None else None
            if root is not None and parts is not None:
                info = _linked_stat(root, parts, resolved_root, allow_unsafe_symlinks)
                if info is None:
                    return None
            else:
                real = os.path.realpath(path, strict=True)
                if not allow_unsafe_symlinks and not within(resolved_root, real):
                    return None
                info = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat_module.S_ISREG(info.st_mode):
        return None
    base = os.path.join(directory, name)

    def describe_sibling(suffix: str) -> tuple[int, int] | None:
        nonlocal resolved_root
        variant_path = base + suffix
        try:
            # Most files have few variants: a failing stat is the cheapest way to know.
            variant_info = os.lstat(variant_path) if plain else os.stat(variant_path)
            if not plain or stat_module.S_ISLNK(variant_info.st_mode):
                real_variant = os.path.realpath(variant_path, strict=True)
                if resolved_root is None:
                    resolved_root = os.path.realpath(root or directory)
                if not allow_unsafe_symlinks and not within(resolved_root, real_variant):
                    return None
                variant_info = os.stat(variant_path)
        except (OSError, ValueError):
            return None
        if not stat_module.S_ISREG(variant_info.st_mode):
            return None
        return variant_info.st_size, variant_info.st_mtime_ns

    variants = collect_variants(base, info.st_size, encodings, describe_sibling)
    confinement = None
    if not allow_unsafe_symlinks:
        confinement = Confinement(root if root is not None else resolved_root or directory)
    return ScannedFile(url, path, info.st_size, info.st_mtime_ns, variants, confinement=confinement)


def _components(root: str, path: str) -> list[str] | None:
    """The names below ``root`` that lead to ``path``; None when ``path`` is not written
    below ``root`` or has empty or dot segments (callers then resolve it whole)."""
    base = root.rstrip(os.sep)
    if not path.startswith(base + os.sep):
        return None
    parts = path[len(base) + 1 :].split(os.sep)
    if any(part in {"", ".", ".."} for part in parts):
        return None
    return parts


def _linked_stat(
    root: str, parts: list[str], real_root: str, allow_unsafe_symlinks: bool
) -> os.stat_result | None:
    """``stat`` of ``root/parts…`` if a walk of ``root`` reaches it: every symlink below the
    root resolves inside it (or unsafe symlinks are allowed) and no directory on the way is
    one of its own ancestors; None otherwise. Raises OSError when a component is missing."""
    current = root.rstrip(os.sep)
    info = os.stat(current)
    ancestors = {(info.st_dev, info.st_ino)}
    for position, part in enumerate(parts, 1):
        current = f"{current}{os.sep}{part}"
        info = os.lstat(current)
        if stat_module.S_ISLNK(info.st_mode):
            real = os.path.realpath(current, strict=True)
            if not allow_unsafe_symlinks and not within(real_root, real):
                return None
            info = os.stat(current)
        if position < len(parts):
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                return None  # a loop: the scan skips it ("directory loop")
            ancestors.add(key)
    return info


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
