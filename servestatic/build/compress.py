"""Write precompressed variants for many files: in parallel, incrementally, with a summary.

``compress_file`` handles one file. ``compress_paths`` runs it on a thread pool (the codecs
release the GIL) and skips files a cache says are already done, so re-running on an
unchanged tree does no compression work. ``find_compressible`` walks a root for the
in-place ``servestatic compress`` command.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import stat as stat_module
import time
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from servestatic.build.cache import CompressCache
from servestatic.build.codecs import (
    ALL_SUFFIXES,
    CODINGS,
    SUFFIXES,
    CompressOptions,
    encode,
    is_effective,
)
from servestatic.build.files import write_atomic
from servestatic.formats.variants import VARIANT_SUFFIXES
from servestatic.http.paths import within

__all__ = [
    "CompressStats",
    "FileOutcome",
    "compress_file",
    "compress_paths",
    "default_workers",
    "find_compressible",
    "matches_any",
    "remove_if_present",
    "remove_stale_variants",
]

#: Names the build itself writes into a tree; never compressed or hashed.
INTERNAL_NAMES = frozenset(
    {
        ".servestatic-cache.json",
        ".servestatic-history.json",
        ".servestatic-build.lock",
        ".servestatic-build.json",
    }
)
#: ``write_atomic``'s temporaries: ``tempfile.mkstemp(prefix=".NAME.", suffix=".tmp")``.
_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What happened to one file: the variants kept (coding → size), or the error."""

    path: str
    size: int
    kept: dict[str, int] = field(default_factory=dict)
    mtime_ns: int = 0
    cached: bool = False
    error: str | None = None


@dataclass
class CompressStats:
    """Totals for the summary line."""

    files: int = 0
    compressed: int = 0
    cached: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    #: coding → (bytes of the originals that got this variant, bytes of the variants)
    totals: dict[str, tuple[int, int]] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, outcome: FileOutcome) -> None:
        self.files += 1
        if outcome.error is not None:
            self.failures.append((outcome.path, outcome.error))
            return
        if outcome.cached:
            self.cached += 1
        else:
            self.compressed += 1
        for coding, size in outcome.kept.items():
            before, after = self.totals.get(coding, (0, 0))
            self.totals[coding] = (before + outcome.size, after + size)


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


def remove_if_present(path: str) -> None:
    """Delete ``path``; already gone is fine."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def compress_file(path: str, options: CompressOptions) -> FileOutcome:
    """Write ``path.zst``/``.br``/``.gz`` where each saves enough; raise ``OSError``.

    A variant that is not kept is also removed if an older one exists, so a stale variant
    never decodes to bytes different from the file's current content. Writing ``.zst``
    removes a ServeStatic-era ``.zstd`` sibling for the same reason.
    """
    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        data = handle.read()
    kept: dict[str, int] = {}
    for coding in CODINGS:
        if coding not in options.codings:
            continue
        compressed = encode(coding, data, options)
        suffix = SUFFIXES[coding]
        if is_effective(len(data), len(compressed), options.min_saving):
            write_atomic(path + suffix, compressed, mtime_ns=info.st_mtime_ns, mode=info.st_mode)
            kept[coding] = len(compressed)
            stale = [other for other in ALL_SUFFIXES[coding] if other != suffix]
        else:
            stale = list(ALL_SUFFIXES[coding])
        for other in stale:
            remove_if_present(path + other)
    remove_stale_variants(path, [c for c in CODINGS if c not in options.codings], info.st_mtime_ns)
    return FileOutcome(path, len(data), kept, info.st_mtime_ns)


def remove_stale_variants(
    path: str, codings: Iterable[str] = CODINGS, mtime_ns: int | None = None
) -> list[str]:
    """Delete the ``codings`` variants of ``path`` that are older than ``path`` itself.

    For formats turned off, and files excluded or skipped: no variant is written for them
    this time, but one left by an earlier run would still be served for the old content.
    A variant at least as new as the file is kept (ours carry the file's own time; a
    bundler's are written after it).
    """
    if mtime_ns is None:
        try:
            mtime_ns = os.stat(path).st_mtime_ns
        except OSError:
            return []
    removed = []
    for coding in codings:
        for suffix in ALL_SUFFIXES[coding]:
            try:
                if os.stat(path + suffix).st_mtime_ns >= mtime_ns:
                    continue
                os.unlink(path + suffix)
            except FileNotFoundError:
                continue
            removed.append(path + suffix)
    return removed


def _attempt(path: str, options: CompressOptions) -> FileOutcome:
    try:
        return compress_file(path, options)
    except OSError as error:
        reason = error.strerror or str(error)
        return FileOutcome(path, 0, error=reason)


def compress_paths(
    paths: Sequence[str],
    options: CompressOptions,
    *,
    cache: CompressCache | None = None,
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> CompressStats:
    """Compress every path not up to date in ``cache``; one failure never stops the rest."""
    started = time.perf_counter()
    stats = CompressStats()
    pending: list[str] = []
    for path in paths:
        cached = cache.lookup(path) if cache is not None else None
        if cached is not None:
            stats.add(FileOutcome(path, cached.size, dict(cached.kept), cached=True))
        else:
            pending.append(path)
    total = len(paths)
    done = stats.files
    if on_progress is not None:
        on_progress(done, total)
    if pending:
        count = min(workers or default_workers(), len(pending))
        with ThreadPoolExecutor(max_workers=count, thread_name_prefix="compress") as pool:
            # Largest first: the slowest files start early, so the cores stay busy to the end.
            pending.sort(key=_size_or_zero, reverse=True)
            for outcome in pool.map(lambda path: _attempt(path, options), pending):
                stats.add(outcome)
                if cache is not None and outcome.error is None:
                    cache.record(outcome.path, outcome.size, outcome.mtime_ns, outcome.kept)
                done += 1
                if on_progress is not None:
                    on_progress(done, total)
    stats.seconds = time.perf_counter() - started
    return stats


def _size_or_zero(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def matches_any(relative: str, patterns: Sequence[str]) -> bool:
    """ServeStatic's ``--exclude``: fnmatch on the root-relative path or on the base name."""
    name = relative.rsplit("/", 1)[-1]
    return any(
        fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(name, pattern)
        for pattern in patterns
    )


def _raise(error: OSError) -> None:
    raise error


def walk_files(
    root: str, *, follow_links: bool = False, skip_unreadable: bool = False
) -> Iterator[str]:
    """Root-relative ``/``-separated paths of the regular files below ``root``, sorted.

    The walk of a tree as a list of files, shared by the build, ``diff``, the exporters'
    coverage check and Django's manifest snapshot. The server's walk
    (:func:`servestatic.serve.index.scan_root`) stays separate: it decides per entry what a
    URL can name, which links and dot segments are allowed and which siblings are variants,
    and warns for each file it skips, in one ``scandir`` per directory.

    An unreadable directory raises ``OSError`` (``os.walk`` would skip it silently, and a
    build that quietly leaves out a folder is worse than one that stops), unless
    ``skip_unreadable`` (readers that describe what is there, as the server would). With
    ``follow_links``, symlinked directories are walked too (as ``collectstatic`` and
    ServeStatic's copy do); a link back to one of its own ancestors is not entered, so a
    link loop ends.
    """
    real_of: dict[str, str] = {}
    on_error = None if skip_unreadable else _raise
    for directory, directories, files in os.walk(root, onerror=on_error, followlinks=follow_links):
        if follow_links:
            real = os.path.realpath(directory)
            ancestors = set()
            parent = os.path.dirname(directory)
            while parent in real_of:
                ancestors.add(real_of[parent])
                parent = os.path.dirname(parent)
            if real in ancestors:
                directories.clear()
                continue
            real_of[directory] = real
        directories.sort()
        relative_dir = os.path.relpath(directory, root)
        for name in sorted(files):
            path = os.path.join(directory, name)
            try:
                if not stat_module.S_ISREG(os.stat(path).st_mode):
                    continue
            except OSError:
                continue  # a broken symlink: nothing to compress
            yield name if relative_dir == "." else f"{relative_dir}/{name}".replace(os.sep, "/")


def is_variant_of(relative: str, present: Container[str]) -> bool:
    """``x.css.gz`` when ``x.css`` is also in the tree: a precompressed sibling."""
    return any(
        relative.endswith(suffix) and relative[: -len(suffix)] in present
        for suffix in VARIANT_SUFFIXES
    )


def is_internal(relative: str) -> bool:
    """The build's own files: its cache and half-written temporaries."""
    name = relative.rsplit("/", 1)[-1]
    return name in INTERNAL_NAMES or _TEMPORARY.match(name) is not None


def find_compressible(
    root: str,
    options: CompressOptions,
    *,
    exclude: Sequence[str] = (),
    left_out: list[str] | None = None,
) -> list[str]:
    """Absolute paths below ``root`` that ``compress`` should look at; the files it leaves
    out (excluded, or a skipped extension) are added to ``left_out`` when given."""
    relatives = list(walk_files(root))
    present = frozenset(relatives)
    real_root = os.path.realpath(root)
    chosen = []
    for relative in relatives:
        if is_internal(relative) or is_variant_of(relative, present):
            continue
        path = os.path.join(root, *relative.split("/"))
        if os.path.islink(path) and not within(real_root, os.path.realpath(path)):
            # A link out of ROOT: its variants would copy an outside file's content into
            # ROOT as ordinary files, which any static server would then serve.
            continue
        if options.should_compress(relative) and not matches_any(relative, exclude):
            chosen.append(path)
        elif left_out is not None:
            left_out.append(path)
    return chosen
