"""The start-up index's URL → entry table, whose plain files are built on first use.

Start-up only walks the roots: a plain file served at its own URL is recorded as the
:class:`~servestatic.serve.index.ScannedFile` the walk made (its path, size, times, inode,
variants), and its :class:`~servestatic.http.records.FileEntry` (headers from the rules,
representations, ETags, media type) is built the first time something reads it, then stored
in its place with one dict assignment (issue 19: start-up at 100,000 files within 2x of a
bare ``scandir`` + ``stat`` walk). Two threads reading one unbuilt URL at once both build it
and one of the equal entries stays: never an error, never a half-built entry.

What is deferred and what is not is the engine's decision (``Engine._add_file``): only files
whose build cannot fail or report anything (no header hook, no ``deny`` rule) and needs no
I/O (no content digest to read). Everything else is built at start-up as before.

Files answering URLs other than their own are deferred too, as a :class:`PendingAlias`:
a build's original names (``app.js`` answered with ``app.3f2a1b.js``'s bytes, from its
``staticfiles.json``), a directory's index file, a page's clean URL. Built at start-up,
they were about 40% of the start-up of a folder the CLI built (issue 19: 10,000 files,
~0.33 s then, ~0.2 s now).

The table is a ``dict`` (ServeStatic's ``files`` attribute is one): every way of reading a
value (``[]``, ``get``, ``values``, ``items``, iteration into another dict, ``==``) builds
what it returns, so code outside the engine only ever sees built entries. The request path
reads the raw storage through :attr:`FileTable.raw` and builds a pending file itself (one
type check, only when the entry is not a built ``FileEntry``).
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, ValuesView
from typing import Any, NamedTuple, cast

from servestatic.http.records import FileEntry, RedirectEntry
from servestatic.serve.index import ScannedFile
from servestatic.serve.rules import matched_urls

__all__ = ["PENDING", "Entry", "FileTable", "PendingAlias", "Slot"]

Entry = FileEntry | RedirectEntry


class PendingAlias(NamedTuple):
    """A file's entry at a URL other than its own, not built yet: ``scanned`` served at
    ``url`` (a directory's URL for its index file, a page's clean URL, a manifest original
    name), answering the original name ``original`` when it is a build's hashed copy.
    Built as ``EntryBuilder.build(scanned, url=url, original=original)``."""

    scanned: ScannedFile
    url: str
    original: str | None = None

    @property
    def path(self) -> str:
        return self.scanned.path

    @property
    def variants(self) -> tuple[Any, ...]:
        return self.scanned.variants

    def rule_urls(self) -> tuple[str, ...]:
        """The URLs the rules match for this entry (as ``EntryBuilder.build`` folds them)."""
        return matched_urls(self.url, self.original or self.scanned.url)


#: What the table stores at a URL: a built entry, or what to build it from.
Slot = Entry | ScannedFile | PendingAlias
#: The types of a slot not built yet (``type(slot) in PENDING``).
PENDING = (ScannedFile, PendingAlias)

_MISSING: Any = object()


class FileTable(dict[str, Entry]):
    """URL → entry; values recorded with :meth:`defer` are built when first read."""

    __slots__ = ("_builder", "defer", "raw")

    def __init__(self, builder: Callable[..., Entry | None]) -> None:
        super().__init__()
        #: ``builder(scanned, url=None, original=None)``: the entry for a deferred file
        #: (``EntryBuilder.build``; None: nothing to serve).
        self._builder = builder
        #: The stored value, built or not: ``dict.get`` bound to this table (a C call, the
        #: same cost as ``get`` on a plain dict), for the request path and the engine.
        self.raw = cast(Callable[[str], Slot | None], dict.get.__get__(self))
        #: ``defer(url, pending)``: record a file (at its own URL) or a :class:`PendingAlias`,
        #: to be built when first read (``dict.__setitem__`` bound to this table: one C call
        #: per file at start-up).
        self.defer = cast(
            Callable[[str, ScannedFile | PendingAlias], None], dict.__setitem__.__get__(self)
        )

    def discard(self, url: str) -> None:
        """Remove ``url`` if present, without building what it held."""
        dict.pop(self, url, None)

    def slots(self) -> ItemsView[str, Slot]:
        """What the table stores, built or not (nothing is built by reading this)."""
        return cast(ItemsView[str, Slot], dict.items(self))

    def pending(self) -> int:
        """How many URLs hold a file not built yet."""
        return sum(type(value) in PENDING for _, value in self.slots())

    def materialise(self) -> None:
        """Build every deferred file now (``servestatic check``, exports, comparisons)."""
        for url, value in list(self.slots()):
            if isinstance(value, PENDING):
                self.build(url, value)

    def _make(self, pending: ScannedFile | PendingAlias) -> Entry | None:
        if isinstance(pending, PendingAlias):
            return self._builder(pending.scanned, url=pending.url, original=pending.original)
        return self._builder(pending)

    def build(self, url: str, pending: ScannedFile | PendingAlias) -> Entry | None:
        """The entry for what was deferred at ``url``, stored in its place.

        Stored only while ``pending`` is still what the table holds there: the watcher may
        have replaced it meanwhile, and its newer record wins. Threads racing on one URL
        each build an equal entry; whichever assignment comes last stays.
        """
        entry = self._make(pending)
        if self.raw(url) is pending:
            if entry is None:
                dict.pop(self, url, None)
            else:
                dict.__setitem__(self, url, entry)
        return entry

    def _built(self, url: str, value: Slot) -> Entry | None:
        if isinstance(value, PENDING):
            return self.build(url, value)
        return value

    # Every read builds what it returns -------------------------------------------------

    def __getitem__(self, url: str) -> Entry:
        entry = self._built(url, dict.__getitem__(self, url))
        if entry is None:
            raise KeyError(url)
        return entry

    def get(self, url: str, default: Any = None) -> Any:
        value = dict.get(self, url, _MISSING)
        if value is _MISSING:
            return default
        entry = self._built(url, value)
        return default if entry is None else entry

    def pop(self, url: str, default: Any = _MISSING) -> Any:
        value = dict.pop(self, url, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise KeyError(url)
            return default
        if isinstance(value, PENDING):
            entry = self._make(value)  # for the caller only: the URL is gone
            if entry is None:
                if default is _MISSING:
                    raise KeyError(url)
                return default
            return entry
        return value

    def setdefault(self, url: str, default: Any = None) -> Any:
        if url in self:
            return self.get(url)
        self[url] = default
        return default

    def __iter__(self) -> Iterator[str]:
        # A Python-level __iter__ makes dict(table) and {**table} go through keys() and
        # __getitem__ (CPython copies a dict subclass's storage directly otherwise).
        return iter(dict.keys(self))

    # Views that read through __getitem__: each value is built as the iteration reaches it.
    def values(self) -> ValuesView[Entry]:  # type: ignore[override]
        return ValuesView(self)

    def items(self) -> ItemsView[str, Entry]:  # type: ignore[override]
        return ItemsView(self)

    def copy(self) -> dict[str, Entry]:
        self.materialise()
        return dict(dict.items(self))

    def __eq__(self, other: object) -> bool:
        self.materialise()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None

    def __repr__(self) -> str:
        self.materialise()
        return dict.__repr__(self)

    def __reduce__(self) -> Any:
        return (dict, (self.copy(),))
