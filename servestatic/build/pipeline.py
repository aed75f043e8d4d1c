"""``servestatic SRC DEST``: copy, hash, compress, write the manifest, in that order.

SRC is only ever read. Every write into DEST goes through a temporary file and a rename.
With ``--hash``, the files to hash are read from SRC and written under their hashed name
only; unhashed originals left in DEST are removed only after everything else succeeded, so
a failure (an unreadable file, a full disk) leaves SRC intact and DEST usable for a re-run.
A record of the build (``state``) lets the next one skip the sources that did not change.

Errors come in two kinds: :class:`UsageError` (the command line or the trees are wrong;
exit 2) and :class:`BuildError` (the work failed; exit 1). Both carry one line per problem.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from servestatic.build.cache import CompressCache
from servestatic.build.codecs import CompressOptions
from servestatic.build.compress import (
    CompressStats,
    compress_paths,
    is_internal,
    is_variant_of,
    matches_any,
    remove_if_present,
    remove_stale_variants,
    walk_files,
)
from servestatic.build.gc import GcResult, apply_gc, manifest_names
from servestatic.build.hashing import (
    HashPlan,
    Missing,
    MissingReferencesError,
    copy_atomic,
    hashed_name,
    plan_hashes,
    write_hashed,
)
from servestatic.build.history import (
    HISTORY_NAME,
    LOCK_NAME,
    BuildLockedError,
    BuildRecord,
    FileInfo,
    History,
    HistoryError,
    Retention,
    build_id,
    build_lock,
    extended_history,
    imported_build,
    plan_gc,
    write_history,
)
from servestatic.build.manifest import (
    MANIFEST_NAME,
    ManifestError,
    merge_manifest,
    read_manifest,
    records_for,
    write_manifest,
)
from servestatic.build.pages import (
    CSP_PARSER_MISSING,
    PARSER_MISSING,
    analyse_page,
    parser_available,
)
from servestatic.build.state import BuildState, Entry, reusable, state_key
from servestatic.errors import ServeStaticError
from servestatic.formats.names import bundler_hashed, is_entry_point, looks_hashed
from servestatic.formats.variants import VARIANT_SUFFIXES

_T = TypeVar("_T")

__all__ = ["BuildError", "BuildOptions", "BuildResult", "UsageError", "build", "check_trees"]


class UsageError(ServeStaticError):
    """The request cannot be carried out as given (exit status 2)."""


class BuildError(ServeStaticError):
    """The build failed; ``problems`` has one line each (exit status 1)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(self.problems[0] if len(self.problems) == 1 else "; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """ServeStatic 4.4's flags (same meaning), plus ``strict`` and ``workers``."""

    hash: bool = False
    manifest: bool = False
    merge_manifest: bool = False
    compress: bool = False
    clear: bool = False
    copy_original: bool = False
    exclude: tuple[str, ...] = ()
    strict: bool = True
    compression: CompressOptions = field(default_factory=CompressOptions)
    workers: int | None = None
    #: Record each HTML page's Link hints in the manifest (issue 18).
    hints: bool = True
    #: Record the CSP hashes of each page's inline scripts and styles (``--csp-hashes``).
    csp_hashes: bool = False
    #: Keep earlier builds' hashed files (``--retain``). None: DEST's recorded policy if it
    #: has a history (a forgotten flag must not stop the tracking), else no history.
    retain: Retention | None = None


@dataclass
class BuildResult:
    copied: int = 0
    reused: int = 0  # hashed names kept from the last build, not read again (``state``)
    names: dict[str, str] = field(default_factory=dict)  # processed name → name served
    excluded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # names that are not valid UTF-8
    missing: list[Missing] = field(default_factory=list)
    stats: CompressStats | None = None
    manifest: str | None = None
    seconds: float = 0.0
    bundled: list[str] = field(default_factory=list)  # a bundler's hashed names, kept
    entry_points: list[str] = field(default_factory=list)  # kept under their own name too
    pages: int = 0  # HTML pages whose hints were recorded
    warnings: list[str] = field(default_factory=list)
    build_id: str | None = None  # with a history: this build's id
    gc: GcResult | None = None  # with a history: what was removed


def check_trees(src: str, dest: str) -> None:
    """Refuse SRC that is not a directory, and SRC and DEST that overlap."""
    if not os.path.exists(src):
        raise UsageError(f"SRC {src!r} does not exist")
    if not os.path.isdir(src):
        raise UsageError(f"SRC {src!r} is not a directory")
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise UsageError(f"DEST {dest!r} exists and is not a directory")
    real_src, real_dest = os.path.realpath(src), os.path.realpath(dest)
    if real_src == real_dest:
        raise UsageError("SRC and DEST are the same directory; DEST must be a separate output")
    common = os.path.commonpath([real_src, real_dest])
    if common == real_src:
        raise UsageError("DEST is inside SRC; the copy would copy itself")
    if common == real_dest:
        raise UsageError("SRC is inside DEST; --clear or a re-run could destroy it")


def build(
    src: str,
    dest: str,
    options: BuildOptions,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> BuildResult:
    """Run the pipeline; raise :class:`UsageError` or :class:`BuildError`.

    A build that keeps a history (``--retain``, or DEST already has one) holds DEST's lock
    (``.servestatic-build.lock``) throughout: a second such build or a gc into the same
    DEST fails at once rather than interleave its writes and deletions with this one.
    """
    started = time.perf_counter()
    check_trees(src, dest)
    if options.retain is not None and not options.hash:
        raise UsageError("--retain keeps earlier builds' hashed files: use it with --hash or --all")
    if options.csp_hashes and not parser_available():
        # Asked for by name: a page served under a CSP without its hashes would break, so
        # this is refused, where the default Link hints only warn (_pages).
        raise UsageError(f"--csp-hashes: {CSP_PARSER_MISSING}")
    tracked = options.retain is not None or os.path.exists(os.path.join(dest, HISTORY_NAME))
    if tracked:
        _attempt(lambda: os.makedirs(dest, exist_ok=True))  # the lock file lives in DEST
    try:
        with build_lock(dest) if tracked else contextlib.nullcontext():
            result = _build(src, dest, options, on_progress)
    except BuildLockedError as error:
        raise BuildError([str(error)]) from None
    result.seconds = time.perf_counter() - started
    return result


def _history(dest: str, options: BuildOptions) -> History | None:
    """The history this build extends: DEST's (policy from ``--retain`` if given), a new
    one for a first ``--retain`` build (holding the build already in DEST, if its
    ``staticfiles.json`` lists its files), or None."""

    def in_dest() -> tuple[BuildRecord, ...]:
        manifest_path = os.path.join(dest, MANIFEST_NAME)
        with contextlib.suppress(ManifestError, OSError):
            manifest = read_manifest(manifest_path)
            record = imported_build(manifest, os.stat(manifest_path).st_mtime)
            if record is not None:
                return (record,)
        return ()

    try:
        return extended_history(dest, options.retain, in_dest)
    except HistoryError as error:
        raise UsageError(str(error)) from None


def _build(
    src: str,
    dest: str,
    options: BuildOptions,
    on_progress: Callable[[int, int], None] | None,
) -> BuildResult:
    existing = None
    if options.merge_manifest:
        try:
            existing = read_manifest(os.path.join(dest, MANIFEST_NAME))
        except ManifestError as error:
            raise UsageError(str(error)) from None
    history = _history(dest, options)
    result = BuildResult()
    if options.clear and os.path.isdir(dest):
        keep: frozenset[str] = frozenset()
        if history is not None:
            # --clear empties DEST of everything but what the retained builds still need.
            keep = plan_gc(history, time.time(), manifest_names(dest)).live
        _attempt(lambda: _empty(dest, keep))
    _attempt(lambda: os.makedirs(dest, exist_ok=True))
    key = _state_key(src, options)
    previous = BuildState.read(dest, key) if options.hash else None
    relatives = _attempt(
        lambda: [name for name in walk_files(src, follow_links=True) if not is_internal(name)]
    )
    names = _select(relatives, options, result)
    to_hash: list[str] = []
    reuse: dict[str, str] = {}
    if options.hash:
        # Issue 18: a bundler's hashed names are final (hashing them again would only
        # break its own references to them); they and every reference to them stay.
        # Read from SRC: DEST's copies of these manifests are SRC's bytes.
        bundled = bundler_hashed(src)
        result.bundled = [name for name in names if name in bundled or looks_hashed(name)]
        skip = frozenset(result.bundled)
        to_hash = [name for name in names if name not in skip]
        if previous is not None:
            # Entry points are compared with their hashed copy below, so they are read anyway.
            reuse = {
                name: digest
                for name, digest in reusable(
                    previous, src, dest, to_hash, frozenset(relatives)
                ).items()
                if not is_entry_point(name)
            }
    sources = _stat_sources(src, to_hash)
    # The files to hash are read from SRC and written to DEST under their hashed name only:
    # a copy under their own name would be deleted at the end. Entry points keep theirs.
    hashed_only = (
        frozenset()
        if options.copy_original
        else frozenset(name for name in to_hash if not is_entry_point(name))
    )
    result.copied = _copy(src, dest, [name for name in relatives if name not in hashed_only])

    served = {name: name for name in names}
    kept: set[str] = set()
    plan: HashPlan | None = None
    if options.hash:
        plan = _hash(src, dest, to_hash, options, result, reuse)
        result.reused = len(plan.reused)
        served.update(plan.names)
        kept = _keep_entry_points(dest, served)
        result.entry_points = sorted(kept)
    result.names = served
    outputs = sorted(set(served.values()) | kept | (set(names) if options.copy_original else set()))

    _compress(dest, outputs, options, result, on_progress)
    if options.manifest or options.merge_manifest or history is not None:
        records = _attempt(lambda: records_for(dest, [*outputs, *result.excluded]))
        if history is not None:
            # Written before the manifest: once staticfiles.json names this build, the
            # history already lists its files, so no crash leaves them untracked.
            hashed = frozenset(new for old, new in served.items() if old != new)
            history = _record(history, records, hashed)
            result.build_id = history.builds[-1].id
            _attempt(functools.partial(write_history, dest, history))
        if options.manifest or options.merge_manifest:
            paths_map = {**served, **{name: name for name in result.excluded}}
            pages = _attempt(lambda: _pages(dest, [*outputs, *result.excluded], options, result))
            document = merge_manifest(paths_map, records, existing, pages)
            result.manifest = _attempt(lambda: write_manifest(dest, document))

    if options.hash and not options.copy_original:
        _remove_unserved(dest, names, set(served.values()) | kept)
    if history is not None:
        final = history
        result.gc = _attempt(lambda: apply_gc(dest, final))
    if plan is not None:
        current = _entries(dest, plan, sources, previous, frozenset(to_hash), result.missing)
        if previous is not None and history is None:
            # Without a history nothing else removes them: the outputs of sources deleted
            # since the last build (a retained history's gc decides for itself).
            keep = frozenset(relatives) | set(served.values()) | kept
            _attempt(lambda: _remove_deleted(dest, previous, current, keep))
        _attempt(lambda: BuildState(key, current).write(dest))
    return result


def _state_key(src: str, options: BuildOptions) -> str:
    """The options that shape what a build writes (a record for others is not used)."""
    return state_key(
        src,
        {
            "copy_original": options.copy_original,
            "exclude": list(options.exclude),
            "strict": options.strict,
        },
    )


def _stat_sources(src: str, names: list[str]) -> dict[str, os.stat_result]:
    """Each source's size and mtime, taken before it is read: a file that changes while
    the build runs is then recorded with its older time, and rebuilt next time."""
    found = {}
    for name in names:
        # One that cannot be read is not recorded; the copy reports it with the others.
        with contextlib.suppress(OSError):
            found[name] = os.stat(os.path.join(src, *name.split("/")))
    return found


def _entries(
    dest: str,
    plan: HashPlan,
    sources: dict[str, os.stat_result],
    previous: BuildState | None,
    names: frozenset[str],
    missing: list[Missing],
) -> dict[str, Entry]:
    """This build's record: every hashed name but those with a missing reference (kept as
    written, they are checked again each time)."""
    incomplete = {item.source for item in missing}
    entries: dict[str, Entry] = {}
    for name, hashed in plan.names.items():
        if name in plan.reused and previous is not None:
            entries[name] = previous.entries[name]
            continue
        source = sources.get(name)
        if name in incomplete or source is None:
            continue
        references = plan.references.get(name)
        dependencies = tuple(t for t in references if t in names) if references else ()
        output = os.stat(os.path.join(dest, *hashed.split("/")))
        entries[name] = Entry(
            source.st_size,
            source.st_mtime_ns,
            plan.hashes[name],
            output.st_size,
            references,
            dependencies,
        )
    return entries


def _remove_deleted(
    dest: str, previous: BuildState, current: dict[str, Entry], keep: frozenset[str]
) -> None:
    for name, entry in previous.entries.items():
        if name in current or name in keep:
            continue
        output = hashed_name(name, entry.hash)
        if output in keep:
            continue
        path = os.path.join(dest, *output.split("/"))
        for candidate in (path, *(path + suffix for suffix in VARIANT_SUFFIXES)):
            remove_if_present(candidate)


def _select(relatives: list[str], options: BuildOptions, result: BuildResult) -> list[str]:
    """The names the build serves (hashes, compresses, lists), in walk order; skipped and
    excluded names go to ``result``."""
    present = frozenset(relatives)
    names: list[str] = []
    for name in relatives:
        if name == MANIFEST_NAME or is_variant_of(name, present):
            continue  # the manifest is rewritten; precompressed siblings follow their file
        if not _is_utf8(name):
            # Not a URL the server can serve (it skips such names too), and not JSON text.
            result.skipped.append(name)
            continue
        if matches_any(name, options.exclude):
            result.excluded.append(name)
        else:
            names.append(name)
    return names


def _compress(
    dest: str,
    outputs: list[str],
    options: BuildOptions,
    result: BuildResult,
    on_progress: Callable[[int, int], None] | None,
) -> None:
    """Write the variants of ``outputs`` (with ``--compress``), and remove the stale
    variants of every file not compressed this time."""
    paths: list[str] = []
    if options.compress:
        cache = CompressCache.open(dest, options.compression.fingerprint)
        paths = [
            os.path.join(dest, *name.split("/"))
            for name in outputs
            if options.compression.should_compress(name)
        ]
        stats = compress_paths(
            paths,
            options.compression,
            cache=cache,
            workers=options.workers,
            on_progress=on_progress,
        )
        _attempt(cache.save)
        result.stats = stats
        if stats.failures:
            raise BuildError([f"{path}: {reason}" for path, reason in stats.failures])
    # Files not compressed this time (excluded, skipped, or no --compress) must not keep a
    # variant of an older content from an earlier build into the same DEST.
    compressed = frozenset(paths)
    for name in [*outputs, *result.excluded]:
        path = os.path.join(dest, *name.split("/"))
        if path not in compressed:
            _attempt(functools.partial(remove_stale_variants, path))


def _remove_unserved(dest: str, names: list[str], served: set[str]) -> None:
    """Without ``--copy-original``: remove the copied originals (and their variants) that
    are neither another file's hashed name in SRC nor an entry point."""
    listings: dict[str, frozenset[str]] = {}
    for name in names:
        if name in served:
            continue
        directory, base = os.path.split(os.path.join(dest, *name.split("/")))
        present = listings.get(directory)
        if present is None:
            # One listing per folder rather than an unlink per possible variant that
            # mostly fails: in an icon set of 5,800 files, those failed calls took 4 s.
            try:
                present = frozenset(os.listdir(directory))
            except FileNotFoundError:
                present = frozenset()
            listings[directory] = present
        # The file, and any variant of it (left by an earlier build) now that it is not served.
        for candidate in (base, *(base + suffix for suffix in VARIANT_SUFFIXES)):
            if candidate in present:
                remove_if_present(os.path.join(directory, candidate))


def _record(
    history: History, records: dict[str, dict[str, object]], hashed: frozenset[str]
) -> History:
    files = {
        name: FileInfo(int(str(record["size"])), str(record["hash"]), name in hashed)
        for name, record in records.items()
    }
    when = time.time()
    return history.add(BuildRecord(build_id(when, files), when, files))


def _hash(
    src: str,
    dest: str,
    names: list[str],
    options: BuildOptions,
    result: BuildResult,
    reuse: dict[str, str],
) -> HashPlan:
    try:
        plan = _attempt(
            lambda: plan_hashes(
                dest,
                names,
                strict=options.strict,
                keep_names=result.excluded,
                reuse=reuse,
                source=src,
            )
        )
    except MissingReferencesError as error:
        raise BuildError(
            [f"{missing} (use --allow-missing to keep it as written)" for missing in error.missing]
        ) from None
    result.missing = plan.missing
    _attempt(lambda: write_hashed(dest, plan, src))
    return plan


def _keep_entry_points(dest: str, served: dict[str, str]) -> set[str]:
    """Entry points (HTML, service workers, ``robots.txt``, ``.well-known/``, web
    manifests) keep their own name next to ServeStatic's hashed copy, with the same bytes
    (a service worker's rewritten imports included): nobody links to
    ``index.ef990f2c87fd.html``, so the build's output must answer ``index.html``."""
    kept = set()
    for name, hashed in served.items():
        if name == hashed or not is_entry_point(name):
            continue
        original = os.path.join(dest, *name.split("/"))
        copy = os.path.join(dest, *hashed.split("/"))
        with open(original, "rb") as first, open(copy, "rb") as second:
            same = first.read() == second.read()
        if not same:
            _attempt(functools.partial(copy_atomic, copy, original))
        kept.add(name)
    return kept


def _pages(
    dest: str, names: Sequence[str], options: BuildOptions, result: BuildResult
) -> dict[str, Any] | None:
    """``pages`` of the manifest: Link hints (and CSP hashes) of every HTML output."""
    if not (options.hints or options.csp_hashes):
        return None
    html = [name for name in names if name.lower().endswith((".html", ".htm"))]
    if not html:
        return {}
    if not parser_available():
        result.warnings.append(PARSER_MISSING)
        return None
    pages: dict[str, Any] = {}
    for name in sorted(html):
        with open(os.path.join(dest, *name.split("/")), "rb") as handle:
            record = analyse_page(handle.read(), name, csp=options.csp_hashes)
        if not options.hints:
            record["links"] = []
        pages[name] = record
    result.pages = len(pages)
    return pages


def _attempt(action: Callable[[], _T]) -> _T:
    try:
        return action()
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        raise BuildError([f"{where}{error.strerror or error}"]) from None


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _empty(directory: str, keep: frozenset[str] = frozenset(), prefix: str = "") -> None:
    """Empty ``directory`` but for the build's own files and the names in ``keep`` (with
    their variants)."""
    for entry in os.scandir(directory):
        name = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            if keep and any(kept.startswith(name + "/") for kept in keep):
                _empty(entry.path, keep, name + "/")
            else:
                shutil.rmtree(entry.path)
        elif name in (HISTORY_NAME, LOCK_NAME) or _kept(name, keep):
            continue
        else:
            os.unlink(entry.path)


def _kept(name: str, keep: frozenset[str]) -> bool:
    return name in keep or is_variant_of(name, keep)


def _copy(src: str, dest: str, relatives: list[str]) -> int:
    """Copy each file unless DEST already has it (same size and mtime); return the count."""
    problems: list[str] = []
    copied = 0
    for name in relatives:
        source = os.path.join(src, *name.split("/"))
        target = os.path.join(dest, *name.split("/"))
        try:
            info = os.stat(source)
            try:
                existing = os.stat(target)
                if existing.st_size == info.st_size and existing.st_mtime_ns == info.st_mtime_ns:
                    continue
            except FileNotFoundError:
                pass
            os.makedirs(os.path.dirname(target), exist_ok=True)
            copy_atomic(source, target)
            copied += 1
        except OSError as error:
            problems.append(f"{error.filename or source}: {error.strerror or error}")
    if problems:
        raise BuildError(problems)
    return copied
