"""Where the engine finds what answers a URL: one :class:`FileSource` protocol, two sources.

:class:`StartupIndex` is the table built at start-up (``Engine.files``: every file, index
file, clean URL and canonical redirect, with forced redirects placed over files, and the
SPA fallback and 404 page built once). :class:`LiveDirectory` (``autorefresh``) asks the
disk per request (:class:`Disk`): the same :func:`~servestatic.http.resolve.resolve` over
``Engine._scan_url``, redirects decided per request, the fallback and 404 page looked up
per request, entries remembered per file description.

The engine picks one at construction and resolves every request through it, with one
function for what is not a file's own answer (``Engine.lookup`` / ``Engine._miss``: the
configured redirects, the SPA fallback, the 404 page). Index files and clean URLs are
decided by ``resolve`` in both: the index asks it at start-up about each URL a page could
be reached at, the live directory per request.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

from servestatic.formats.manifest import load_originals
from servestatic.http.paths import is_safe_url_path
from servestatic.http.records import FileEntry, RedirectEntry
from servestatic.http.resolve import resolve
from servestatic.serve.index import ScannedFile
from servestatic.serve.redirects import CompiledRedirect, first_match
from servestatic.serve.table import Slot

if TYPE_CHECKING:
    from servestatic.serve.engine import Engine

__all__ = ["Disk", "FileSource", "LiveDirectory", "StartupIndex"]

Entry = FileEntry | RedirectEntry
#: Entries remembered by autorefresh lookups (cleared, not evicted, when full).
BUILT_LIMIT = 4096


def _back_reference(engine: Engine) -> Engine:
    """The engine, seen from its source without keeping it alive: a collected engine ends
    its watcher thread (``servestatic.serve.watch``), so the engine must not sit in a
    reference cycle that only the cyclic collector would break."""
    return cast("Engine", weakref.proxy(engine))


class FileSource(Protocol):
    """What a request's path resolves through (the engine holds exactly one)."""

    #: True when :meth:`find` may do blocking I/O (a lookup on the disk): asynchronous
    #: adapters then answer from a worker thread.
    blocking: bool
    #: The table a file's revalidation may be answered from without a whole request
    #: record (``Engine.revalidate``); empty when there is none.
    indexed: Mapping[str, Entry]

    def indexed_get(self, path: str) -> Slot | None:
        """``indexed``'s stored value at ``path``, built or not (a ScannedFile or a
        PendingAlias: not built yet), without building it; None when there is none."""

    def find(self, path: str) -> Slot | None:
        """What answers ``path`` itself (a safe, non-empty path): its file, an index file
        or clean URL page, a canonical redirect, or a forced redirect over any of them.
        None when nothing does (the engine then tries redirects, SPA fallback, 404 page).
        A ScannedFile or PendingAlias is an entry of the start-up index not built yet: the
        engine builds it (``Engine.lookup``)."""

    def fallback(self) -> FileEntry | None:
        """The SPA fallback entry (``spa.fallback``), if its file exists."""

    def not_found(self) -> FileEntry | None:
        """The 404 page's entry (``errors.not_found``), if its file exists."""

    def redirect_of(self, path: str) -> CompiledRedirect | None:
        """The configured redirect :meth:`find` or a miss applies at ``path``, if any."""

    def refresh(self, path: str, stale_file: str) -> None:
        """``stale_file`` (served at ``path``) changed since it was looked up."""

    def original_name(self, hashed: str) -> str | None:
        """The original name a build manifest serves the file at ``hashed`` under."""


class Disk:
    """Lookups on the disk, through the same :func:`resolve` as the start-up index.

    ``build`` turns a file found into its entry: the live directory remembers them, a
    stale file's rebuild for the start-up index does not."""

    def __init__(self, engine: Engine, build: Callable[..., FileEntry | None]) -> None:
        self.engine = _back_reference(engine)
        self.build = build

    def lookup(self, path: str) -> Entry | None:
        """What the disk answers at ``path``: the answers of the index, from the disk."""
        engine = self.engine
        if not is_safe_url_path(path):
            return None
        if not engine.url_policy.active and not self._manifests_present():
            scanned = engine._scan_url(path)
            return None if scanned is None else self.build(scanned)
        seen: dict[str, ScannedFile | None] = {}

        index = engine.index_file

        def scan(url: str) -> ScannedFile | None:
            if url not in seen:
                # An index file is only looked for inside a real directory: `a.js.br/`
                # must not make the lookup resolve whatever link `a.js.br` is.
                inside = index is None or not url.endswith("/" + index)
                seen[url] = (
                    engine._scan_url(url)
                    if inside or self._directory(url[: -len(index or "")])
                    else None
                )
            return seen[url]

        def exists(url: str) -> bool:
            return scan(url) is not None or self.original(url) is not None

        found = resolve(path, engine.url_policy, exists)
        if found is None:
            return None
        kind, target = found
        if kind == "redirect":
            return engine._canonical_redirect(target)
        scanned = scan(target)
        if scanned is not None:
            return self.build(scanned, **({} if target == path else {"url": path}))
        # A manifest's original name: the hashed file's bytes, never immutable (issue 18).
        hashed = self.original(target)
        found_hashed = None if hashed is None else engine._scan_url(hashed)
        if found_hashed is None:
            return None
        return self.build(found_hashed, url=path, original=target, collect=False)

    def special(self, url: str | None, status: int) -> FileEntry | None:
        """The SPA fallback (200) or the 404 page (404) at ``url``, from the disk."""
        if url is None:
            return None
        scanned = self.engine._scan_url(url)
        if scanned is None:
            return None
        cache_control = self.engine.not_found_cache_control if status == 404 else None
        return self.build(scanned, status=status, cache_control=cache_control)

    def _directory(self, url: str) -> bool:
        """Is ``url`` (ending in ``/``) a directory of some root?"""
        for root, prefix in self.engine.roots:
            if url.startswith(prefix):
                relative = url[len(prefix) :].strip("/")
                if os.path.isdir(os.path.join(root, *relative.split("/")) if relative else root):
                    return True
        return False

    def _manifests_present(self) -> bool:
        return any(self.manifest_paths(root) for root in self.engine._original_roots)

    def manifest_paths(self, root: str) -> dict[str, str]:
        """A root's ``staticfiles.json`` originals, read again when the file changes."""
        engine = self.engine
        if root not in engine._original_roots:
            return {}
        try:
            info = os.stat(os.path.join(root, "staticfiles.json"))
            stamp = (info.st_mtime_ns, info.st_size)
        except OSError:
            return {}
        cached = engine._manifests.get(root)
        if cached is None or cached[0] != stamp:
            cached = (stamp, load_originals(root))
            engine._manifests[root] = cached
        return cached[1]

    def original(self, url: str) -> str | None:
        """The hashed file's URL a manifest maps ``url`` to, when ``url`` is not a file."""
        for root, prefix in reversed(self.engine.roots):
            if not url.startswith(prefix):
                continue
            hashed = self.manifest_paths(root).get(url[len(prefix) :])
            if hashed is not None and self.engine._scan_url(prefix + hashed) is not None:
                return prefix + hashed
        return None


class StartupIndex:
    """The table built at start-up (``Engine.files``), kept current by the watcher and by
    the rebuild of a file found changed when it was opened."""

    blocking = False

    def __init__(self, engine: Engine) -> None:
        self.engine = _back_reference(engine)
        self.indexed: Mapping[str, Entry] = engine.files
        #: The stored value, built or not (a ScannedFile or PendingAlias: deferred, built
        #: by the engine).
        self.indexed_get: Callable[[str], Slot | None] = engine.files.raw
        # Forced redirects were placed over files, and the others at their literal paths,
        # at start-up (Engine.refresh_special): the table holds every answer but misses.
        # The engine builds a deferred file found here (Engine.lookup).
        self.find: Callable[[str], Slot | None] = engine.files.raw
        # A stale file is rebuilt from the disk without remembering it (the index holds it).
        self.disk = Disk(engine, engine.builder.build)

    def fallback(self) -> FileEntry | None:
        return self.engine.fallback

    def not_found(self) -> FileEntry | None:
        return self.engine.not_found

    def redirect_of(self, path: str) -> CompiledRedirect | None:
        engine = self.engine
        entry = engine.files.raw(path)
        if entry is not None:
            return engine._redirected.get(path) if type(entry) is RedirectEntry else None
        found = first_match(engine.redirects, path)
        return found[0] if found is not None else None

    def refresh(self, path: str, stale_file: str) -> None:
        engine = self.engine
        entry = self.disk.lookup(path)
        if entry is None:
            engine.files.discard(path)
        else:
            engine.files[path] = entry
        for special in (engine.fallback, engine.not_found):
            if special is not None and any(
                rep.path == stale_file for rep in special.representations
            ):
                engine.refresh_special()
                break

    def original_name(self, hashed: str) -> str | None:
        originals = self.engine._originals
        return next((name for name, url in originals.items() if url == hashed), None)


class LiveDirectory:
    """``autorefresh``: every lookup asks the disk, so a file added, changed or removed
    is served as it is now, with the start-up index's answers."""

    blocking = True
    #: No table: a revalidation takes the whole request's path.
    indexed: Mapping[str, Entry] = {}

    def __init__(self, engine: Engine) -> None:
        self.engine = _back_reference(engine)
        #: Entries built per file description and options (see :func:`_remembered`).
        self._built: dict[tuple[Any, ...], FileEntry | None] = {}
        self.disk = Disk(engine, _remembered(self._built, engine.builder.build))

    def indexed_get(self, path: str) -> Slot | None:
        return None

    def find(self, path: str) -> Entry | None:
        # The start-up index's answers: a path that serves something gets the first forced
        # redirect that matches; a miss gets the first of all of them (Engine._miss).
        engine = self.engine
        if len(engine._forced) < len(engine.redirects):
            # Some redirects give way to a file (force = false): look the file up first.
            entry = self.disk.lookup(path)
            if entry is None:
                return None
            return engine._redirect(path, engine._forced) or entry
        # Every redirect is forced: one that matches answers without a lookup on the disk.
        return engine._redirect(path) or self.disk.lookup(path)

    def fallback(self) -> FileEntry | None:
        return self.disk.special(self.engine.spa_fallback_url, 200)

    def not_found(self) -> FileEntry | None:
        return self.disk.special(self.engine.not_found_url, 404)

    def redirect_of(self, path: str) -> CompiledRedirect | None:
        engine = self.engine
        candidates = engine._forced if self.disk.lookup(path) is not None else engine.redirects
        found = first_match(candidates, path)
        return found[0] if found is not None else None

    def refresh(self, path: str, stale_file: str) -> None:
        # Entries remembered per file description: a file replaced by one of the same size
        # and mtime has the same description, but not the inode its entry learned.
        self._built.clear()

    def original_name(self, hashed: str) -> str | None:
        for root, prefix in reversed(self.engine.roots):
            for name, url in self.disk.manifest_paths(root).items():
                if prefix + url == hashed and self.disk.original(prefix + name) == hashed:
                    return prefix + name
        return None


def _remembered(
    built: dict[tuple[Any, ...], FileEntry | None], build: Callable[..., FileEntry | None]
) -> Callable[..., FileEntry | None]:
    """``build`` remembered in ``built`` per file description (path, size, mtime and
    variants) and options: an unchanged file is not rebuilt per request."""

    def remembered(scanned: ScannedFile, **options: Any) -> FileEntry | None:
        key = (scanned, *sorted(options.items()))
        try:
            return built[key]
        except KeyError:
            pass
        entry = build(scanned, **options)
        if len(built) >= BUILT_LIMIT:
            built.clear()
        built[key] = entry
        return entry

    return remembered
