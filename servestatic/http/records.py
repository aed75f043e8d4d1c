"""Immutable records shared by the index, the HTTP core and the adapters.

Entries are built once at start-up; a request only reads them. What a representation derives
later (its 200 block and common plans, its file identity) lives in an explicit mutable
:class:`Derived` object it references. Per-request records (:class:`Request`, :class:`Plan`)
are NamedTuples: immutable and cheap to create, and always built by field name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "MAX_FIELD_LENGTH",
    "Confinement",
    "Derived",
    "FileBody",
    "FileEntry",
    "HeaderBlock",
    "MultipartBody",
    "Plan",
    "Plans",
    "RedirectEntry",
    "Representation",
    "Request",
    "reason_phrase",
    "reason_phrases",
]

_REASONS = {
    200: "OK",
    204: "No Content",
    206: "Partial Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    400: "Bad Request",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    412: "Precondition Failed",
    416: "Range Not Satisfiable",
}
#: The longest request header value the core parses (``Accept-Encoding``, ``If-*``, ``Range``):
#: twice nginx's 8 KiB line limit, room for ``max_ranges = 1000``. uvicorn accepts any size,
#: and parsers fed megabytes would hold a worker for seconds. A longer value is malformed:
#: ignored where that is safe (Accept-Encoding, If-None-Match, Range, If-Range), failing
#: where it is not (If-Match → 412).
MAX_FIELD_LENGTH = 16384


def reason_phrase(status: int) -> str:
    """The standard reason phrase of a status code served by servestatic."""
    return _REASONS[status]


def reason_phrases() -> dict[int, str]:
    """Every status code servestatic answers with, and its reason phrase."""
    return dict(_REASONS)


class HeaderBlock:
    """A response header list: ``str`` pairs for WSGI, and the ``bytes`` form for ASGI.

    Immutable by convention. The ASGI form is computed once, on the first ASGI response that
    uses the block (nothing is prepared at start-up), so WSGI deployments never hold it.
    """

    __slots__ = ("_hash", "_raw", "pairs")

    def __init__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        self.pairs = pairs
        self._raw: list[tuple[bytes, bytes]] | None = None
        # Blocks key the bounded caches of derived 206/416 blocks: hashing a dozen header
        # pairs on every ranged request cost more than the range parse.
        self._hash = hash(pairs)

    @classmethod
    def of(cls, pairs: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> HeaderBlock:
        return cls(tuple(pairs))

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        raw = self._raw
        if raw is None:
            raw = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in self.pairs]
            self._raw = raw
        return raw

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HeaderBlock) and other.pairs == self.pairs

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"HeaderBlock({self.pairs!r})"

    def get(self, name: str) -> str | None:
        """The value of a header (case-insensitive), for tests and ``explain``."""
        lowered = name.lower()
        for key, value in self.pairs:
            if key.lower() == lowered:
                return value
        return None


_ACCEPT_RANGES = ("Accept-Ranges", "bytes")


@dataclass(frozen=True, slots=True)
class Confinement:
    """Where a file whose identity was not recorded by the start-up scan must really be.

    The symlink policy the file was found under: below ``root`` once every link is
    resolved, or anywhere ``also`` accepts (Django: the finders' directories that
    ``collectstatic --link`` points into). It is checked against the real path of the
    descriptor actually opened (issue 13: a path checked before the open can be swapped
    for a link before it), see :mod:`servestatic.serve.files`. Equal by value, so entries built
    per request in autorefresh mode stay cacheable.
    """

    root: str  # as configured; resolved (and re-resolved if it moved) when checked
    also: Callable[[str], bool] | None = None


@dataclass(slots=True)
class Derived:
    """What a :class:`Representation` works out after start-up: mutable on purpose, so the
    representation itself stays frozen.

    Most files of a big tree are never requested from one process, so nothing here is
    built at start-up: the 200 block (``ok``) and the plans of the common answers are made
    on first use (a finished block per file cost ~3 MiB per 10,000 files), and a file's
    identity, when the start-up scan did not record it, is learned on its first open. Two
    threads may both fill a slot; they compute the same value, so the race is benign.
    """

    #: The 200 block (and the 404 page's): everything, Content-Length included.
    ok: HeaderBlock | None = None
    #: The 200 GET, 200 HEAD and 304 plans (see ``servestatic.http.respond``).
    plans: Plans | None = None
    #: Checked with size and mtime when the file is opened: a file swapped for another of
    #: the same size and mtime (a symlink out of the root) is still noticed. 0 until known
    #: (files listed by a manifest, or described by path after start-up, where a ``stat``
    #: cannot be trusted to be of the file a later open reaches): learned on the first
    #: open, from the descriptor, once ``confinement`` holds for what was opened.
    inode: int = 0
    device: int = 0


@dataclass(frozen=True, slots=True)
class Representation:
    """One stored form of a file: the file itself, or a precompressed sibling."""

    coding: str  # "identity", "zstd", "br" or "gzip"
    path: str
    size: int
    mtime_ns: int  # checked when the file is opened, to notice changes after start-up
    etag: str | None
    # The headers this file shares with others (one interned tuple per header policy,
    # Content-Encoding included), then its own values, assembled into ``ok`` on first use.
    shared: tuple[tuple[str, str], ...] = ()
    last_modified: str | None = None
    accept_ranges: bool = False
    # None: not confined (``allow_unsafe_symlinks``), or the identity was recorded by the
    # start-up scan and is all an open has to match.
    confinement: Confinement | None = field(default=None, compare=False)
    #: Built or learned after start-up; pass ``Derived(inode=..., device=...)`` when the
    #: scan recorded the file's identity.
    derived: Derived = field(default_factory=Derived, repr=False, compare=False)

    @property
    def inode(self) -> int:
        """The file's inode, recorded by the scan or learned on first open (0: not yet)."""
        return self.derived.inode

    @property
    def device(self) -> int:
        return self.derived.device

    @property
    def ok(self) -> HeaderBlock:
        """200 (and the 404 page): everything, Content-Length included."""
        derived = self.derived
        block = derived.ok
        if block is None:
            pairs = [*self.shared, ("Content-Length", str(self.size))]
            if self.last_modified is not None:
                pairs.append(("Last-Modified", self.last_modified))
            if self.etag is not None:
                pairs.append(("ETag", self.etag))
            if self.accept_ranges:
                pairs.append(_ACCEPT_RANGES)
            block = derived.ok = HeaderBlock(tuple(pairs))
        return block


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A URL that serves a file (or the SPA fallback, or the 404 page)."""

    url: str
    representations: tuple[Representation, ...]  # identity first, then variants
    # The codings smallest file first (ties: identity, zstd, br, gzip) and, for each, its
    # index in ``representations``; both tuples are shared between files of the same shape.
    ranking: tuple[str, ...]
    ranked: tuple[int, ...]
    media_type: str  # the full Content-Type value, for multipart parts
    last_modified: str | None  # IMF-fixdate, or None for files with no usable mtime
    last_modified_time: int | None
    status: int = 200  # 404 for the custom not-found page
    cors_origins: frozenset[str] = frozenset()  # echoed when listed (Vary: Origin is in blocks)
    source_url: str = ""  # the file's own URL when served for another URL (index, fallback)

    @property
    def identity(self) -> Representation:
        return self.representations[0]


@dataclass(frozen=True, slots=True)
class RedirectEntry:
    """A URL answered with a redirect (index directories, ``[[redirects]]``)."""

    location: str  # relative or absolute, without query
    status: int
    headers: HeaderBlock  # everything except Location
    keep_query: bool = True


class Request(NamedTuple):
    """The parts of a request the HTTP core looks at (header values are raw strings)."""

    method: str
    path: str
    query: str = ""
    accept_encoding: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    if_match: str | None = None
    if_unmodified_since: str | None = None
    range: str | None = None
    if_range: str | None = None
    origin: str | None = None
    raw_path: str | bytes | None = None  # undecoded path, to refuse %2F/%5C/%00
    # Where the application is mounted (ASGI root_path, WSGI SCRIPT_NAME; decoded): ``path``
    # is below it, and the path targets of configured redirects are too.
    mount: str = ""


class FileBody(NamedTuple):
    """Send ``length`` bytes of a representation's file from ``offset``."""

    representation: Representation
    offset: int
    length: int

    @property
    def whole(self) -> bool:
        return self.offset == 0 and self.length == self.representation.size


class MultipartBody(NamedTuple):
    """A ``multipart/byteranges`` body: (offset, length, part head) spans and a closing line."""

    representation: Representation
    parts: tuple[tuple[int, int, bytes], ...]
    tail: bytes


class Plan(NamedTuple):
    """What to send: status, a shared header block (built once, at start-up or on first
    use), per-request extras, and the body."""

    status: int
    headers: HeaderBlock
    extra: tuple[tuple[str, str], ...] = ()
    body: FileBody | MultipartBody | bytes | None = None


class Plans(NamedTuple):
    """The plans of a representation's common answers, made once (``Derived.plans``)."""

    get: Plan  # 200, the whole file
    head: Plan  # 200, no body
    not_modified: Plan  # 304
    #: Single-range 206 and 416 plans without per-request extras, by Range header value
    #: (bounded by ``servestatic.http.respond``): a player or a download manager asks for
    #: the same few ranges again and again, and building the plan cost ~1 µs per request.
    ranges: dict[str, Plan]
