"""The HTTP core: a request record and an entry in, a response plan out. Pure (no I/O).

Both adapters (WSGI and ASGI) call :func:`respond`; they only translate the plan into
``start_response`` calls or ASGI messages.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

from servestatic.http.negotiation import IDENTITY, choose_ranked
from servestatic.http.paths import mount_location
from servestatic.http.preconditions import evaluate, if_range_allows
from servestatic.http.ranges import IGNORE, parse_range
from servestatic.http.records import (
    FileBody,
    FileEntry,
    HeaderBlock,
    MultipartBody,
    Plan,
    Plans,
    RedirectEntry,
    Representation,
    Request,
)

__all__ = [
    "BAD_REQUEST",
    "METHOD_NOT_ALLOWED",
    "NOT_FOUND",
    "NOT_FOUND_HEAD",
    "HttpOptions",
    "is_plain",
    "respond",
    "respond_redirect",
    "revalidate_values",
]

_EMPTY = ("Content-Length", "0")

#: RFC 9110 §15.5.6: a 405's Allow lists every method the resource supports, OPTIONS
#: included: the value the OPTIONS answer carries (ServeStatic 4.4 sent ``GET, HEAD``;
#: docs/conformance.md lists the difference).
_OPTIONS_ALLOW = ("Allow", "GET, HEAD, OPTIONS")
METHOD_NOT_ALLOWED = Plan(405, HeaderBlock.of([_OPTIONS_ALLOW, _EMPTY]))
#: RFC 9110 §9.1: a request names its method (a non-empty token). Only a hand-built WSGI
#: environ without REQUEST_METHOD gets here (servers always send one); a miss is still
#: passed to the application, as ServeStatic did.
BAD_REQUEST = Plan(400, HeaderBlock.of([_EMPTY]))
#: The standalone 404 (no wrapped application and no custom page).
NOT_FOUND = Plan(
    404,
    HeaderBlock.of(
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            ("Content-Length", "9"),
        ]
    ),
    body=b"Not Found",
)
NOT_FOUND_HEAD = Plan(404, NOT_FOUND.headers)
_NOT_ACCEPTABLE = Plan(406, HeaderBlock.of([("Vary", "Accept-Encoding"), _EMPTY]))
_PRECONDITION_FAILED = HeaderBlock.of([_EMPTY])
_CONDITIONAL = ("if_match", "if_none_match", "if_modified_since", "if_unmodified_since")
_NOT_MODIFIED_NAMES = frozenset(
    {
        # RFC 9110 §15.4.5: fields a 200 would carry that a 304 must repeat.
        "cache-control",
        "content-location",
        "date",
        "etag",
        "expires",
        "vary",
        # CORS: a revalidated response must stay readable cross-origin (whitenoise #711).
        "access-control-allow-origin",
        "access-control-expose-headers",
    }
)
_NOT_IN_PARTIAL = frozenset({"content-length"})
# A 416 keeps the file's validators and CORS headers but not its freshness: with the
# file's Cache-Control a shared cache could store the 416 and serve it for the plain URL
# (416 is not cacheable by default, RFC 9110 §15.1), so without it nothing stores it.
_NOT_IN_UNSATISFIABLE = frozenset(
    {"content-length", "content-type", "content-encoding", "cache-control", "expires"}
)
_NOT_IN_MULTIPART = frozenset({"content-length", "content-type", "content-encoding"})


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """Per-request knobs, compiled from the settings once."""

    ranges: bool = True
    max_ranges: int = 16
    multipart: bool = True


def not_modified_block(ok: HeaderBlock) -> HeaderBlock:
    """The 304 subset of a 200 header block; Last-Modified only when there is no ETag."""
    names = {name.lower() for name, _ in ok.pairs}
    keep = _NOT_MODIFIED_NAMES if "etag" in names else _NOT_MODIFIED_NAMES | {"last-modified"}
    return HeaderBlock.of([pair for pair in ok.pairs if pair[0].lower() in keep])


def _without(block: HeaderBlock, names: frozenset[str]) -> list[tuple[str, str]]:
    return [pair for pair in block.pairs if pair[0].lower() not in names]


#: Single-range plans kept per representation (``Plans.ranges``).
_KEPT_RANGES = 16


# 206 and 416 header blocks are derived from a file's 200 block the first time a range is
# asked for, and remembered (bounded): most files never see a Range header.
@lru_cache(maxsize=4096)
def _partial_block(ok: HeaderBlock) -> HeaderBlock:
    return HeaderBlock.of(_without(ok, _NOT_IN_PARTIAL))


@lru_cache(maxsize=1024)
def _unsatisfiable_block(ok: HeaderBlock, size: int) -> HeaderBlock:
    return HeaderBlock.of(
        [*_without(ok, _NOT_IN_UNSATISFIABLE), ("Content-Range", f"bytes */{size}"), _EMPTY]
    )


def _cors_extra(entry: FileEntry, origin: str | None) -> tuple[tuple[str, str], ...]:
    """The ``[cors]`` echo: the request's Origin when it is on the file's allow-list."""
    if origin is not None and entry.cors_origins and origin in entry.cors_origins:
        return (("Access-Control-Allow-Origin", origin),)
    return ()


def revalidate_values(
    entry: FileEntry,
    method: str,
    accept_encoding: str | None,
    if_none_match: str,
    if_match: str | None,
    if_unmodified_since: str | None,
    origin: str | None,
    /,
) -> Plan | None:
    """The 304 for the revalidation browsers and caches send, or None for :func:`respond`.

    Positional-only, in the order of the parameters above: it is called once per
    revalidation by :func:`respond` and by the engine's early check
    (:meth:`servestatic.serve.engine.Engine.revalidate`), where a keyword call costs about
    30 ns more than the whole comparison (CPython 3.13 has no specialised keyword call).
    The order is the parameters' above; adapters call the named interface,
    :meth:`servestatic.serve.engine.Engine.revalidate`.

    A GET or HEAD whose ``If-None-Match`` is exactly the ETag of the representation the
    ``Accept-Encoding`` selects, with no ``If-Match`` or ``If-Unmodified-Since``, is a 304
    whatever the rest of the request says: ``Range`` comes after the preconditions
    (§13.2.1) and ``If-Modified-Since`` is not consulted when ``If-None-Match`` is present
    (§13.2.2). So an adapter that reads single headers cheaply (WSGI's ``environ``) can
    decide it from these values before building the request record. None means "not this
    case": :func:`respond` then evaluates the whole request.
    """
    # RFC 9110 §13.2.2: no If-Match (step 1), no If-Unmodified-Since (step 2); then step 3
    # is a weak comparison, and a tag weakly matches itself.
    if (
        (method != "GET" and method != "HEAD")  # noqa: PLR1714 - identity tests are fastest
        or if_match is not None
        or if_unmodified_since is not None
        or entry.status != 200
    ):
        return None
    position = choose_ranked(accept_encoding, entry.ranking)
    if position is None:
        return None
    representation = entry.representations[entry.ranked[position]]
    if if_none_match != representation.etag:
        return None
    plan = (representation.derived.plans or _plans(representation)).not_modified
    if entry.cors_origins:
        extra = _cors_extra(entry, origin)
        if extra:
            return Plan(304, plan.headers, extra)
    return plan


def is_plain(request: Request) -> bool:
    """Whether ``request`` is a plain GET: no precondition and no ``Range``.

    :func:`respond` answers a plain GET of a file from the file's entry, the
    ``Accept-Encoding`` value and (for per-origin CORS only) ``Origin``: nothing else in the
    request changes the answer (``If-Range`` means nothing without ``Range``; the query
    string only matters to redirects). The engine remembers those answers by URL and
    ``Accept-Encoding`` (:meth:`servestatic.serve.engine.Engine.serve`); a test compares
    them with :func:`respond`'s for every combination of these fields."""
    return (
        request.method == "GET"
        and request.if_none_match is None
        and request.if_modified_since is None
        and request.if_match is None
        and request.if_unmodified_since is None
        and request.range is None
    )


def respond(entry: FileEntry, request: Request, options: HttpOptions) -> Plan:
    """Decide the response for a request to a known file."""
    method = request.method
    if method != "GET" and method != "HEAD":  # noqa: PLR1714 - identity tests are fastest here
        if method == "OPTIONS":
            return _options(entry, request)
        return METHOD_NOT_ALLOWED if method else BAD_REQUEST
    if_none_match = request.if_none_match
    if if_none_match is not None:
        # What browsers send back (our own ETag alone) is decided without parsing anything.
        revalidated = revalidate_values(
            entry,
            method,
            request.accept_encoding,
            if_none_match,
            request.if_match,
            request.if_unmodified_since,
            request.origin,
        )
        if revalidated is not None:
            return revalidated
    # RFC 9110 §12.5.3: choose a content coding; none acceptable (identity;q=0) → 406.
    position = choose_ranked(request.accept_encoding, entry.ranking)
    if position is None:
        return _NOT_ACCEPTABLE
    representation = entry.representations[entry.ranked[position]]
    extra = _cors_extra(entry, request.origin) if entry.cors_origins else ()
    if entry.status != 200:
        # The custom 404 page: no validators, no ranges.
        body = None if method == "HEAD" else FileBody(representation, 0, representation.size)
        return Plan(entry.status, representation.ok, extra, body)
    if (
        if_none_match is not None
        or request.if_modified_since is not None
        or request.if_match is not None
        or request.if_unmodified_since is not None
    ):
        decided = evaluate(
            etag=representation.etag,
            last_modified=entry.last_modified_time,
            if_match=request.if_match,
            if_none_match=if_none_match,
            if_modified_since=request.if_modified_since,
            if_unmodified_since=request.if_unmodified_since,
        )
        if decided == 304:
            if extra:
                return Plan(304, _plans(representation).not_modified.headers, extra)
            return _plans(representation).not_modified
        if decided == 412:
            return Plan(412, _PRECONDITION_FAILED, extra)
    if request.range is not None and method == "GET" and options.ranges:
        plan = _ranged(entry, representation, request, request.range, options, extra)
        if plan is not None:
            return plan
    if extra:
        body = None if method == "HEAD" else FileBody(representation, 0, representation.size)
        return Plan(200, representation.ok, extra, body)
    # _plans inlined for a representation already asked for (the common case).
    plans = representation.derived.plans or _plans(representation)
    return plans.head if method == "HEAD" else plans.get


def _plans(representation: Representation) -> Plans:
    """The 200 GET, 200 HEAD and 304 plans of a representation, made on first use."""
    derived = representation.derived
    plans = derived.plans
    if plans is None:
        ok = representation.ok
        plans = derived.plans = Plans(
            get=Plan(200, ok, (), FileBody(representation, 0, representation.size)),
            head=Plan(200, ok),
            not_modified=Plan(304, not_modified_block(ok)),
            ranges={},
        )
    return plans


def _ranged(
    entry: FileEntry,
    representation: Representation,
    request: Request,
    range_header: str,
    options: HttpOptions,
    extra: tuple[tuple[str, str], ...],
) -> Plan | None:
    """RFC 9110 §14.2 and §13.1.5: the 206/416 plan, or None for a full 200."""
    if request.if_range is not None and not if_range_allows(
        request.if_range, etag=representation.etag, last_modified=entry.last_modified
    ):
        return None
    kept = None if extra else (representation.derived.plans or _plans(representation)).ranges
    if kept is not None:
        plan = kept.get(range_header)
        if plan is not None:
            return plan
    size = representation.size
    result = parse_range(range_header, size, options.max_ranges)
    if result == IGNORE:
        return None
    if isinstance(result, str):  # UNSATISFIABLE
        plan = Plan(416, _unsatisfiable_block(representation.ok, size), extra)
    elif len(result) == 1:
        first, last = result[0]
        length = last - first + 1
        block = _partial_block(representation.ok)
        headers = (
            ("Content-Range", f"bytes {first}-{last}/{size}"),
            ("Content-Length", str(length)),
        )
        body = FileBody(representation, first, length)
        if kept is None:
            return Plan(206, block, (*extra, *headers), body)
        # Kept: the range's own headers go into a block of their own, so that adapters send
        # it as prepared (ASGI encodes a block once; extras are encoded per request).
        plan = Plan(206, HeaderBlock((*block.pairs, *headers)), (), body)
    else:
        # Several ranges of an encoded representation would need Content-Encoding on a
        # multipart body, which would claim the multipart framing itself is encoded: send
        # it whole. (Never kept: each multipart answer has a boundary of its own.)
        if not options.multipart or representation.coding != IDENTITY:
            return None
        return _multipart(entry, representation, result, extra)
    if kept is not None:
        # The same plan for every request with this header (a plan is immutable); bounded
        # per representation, as a client may send a different range every time.
        if len(kept) >= _KEPT_RANGES:
            kept.clear()
        kept[range_header] = plan
    return plan


def _multipart(
    entry: FileEntry,
    representation: Representation,
    ranges: tuple[tuple[int, int], ...],
    extra: tuple[tuple[str, str], ...],
) -> Plan:
    """RFC 9110 §14.6: ``multipart/byteranges`` with one part per (coalesced) range."""
    boundary = secrets.token_hex(16)
    size = representation.size
    parts = []
    total = 0
    for number, (first, last) in enumerate(ranges):
        lead = "" if number == 0 else "\r\n"
        head = (
            f"{lead}--{boundary}\r\nContent-Type: {entry.media_type}\r\n"
            f"Content-Range: bytes {first}-{last}/{size}\r\n\r\n"
        ).encode("latin-1")
        length = last - first + 1
        parts.append((first, length, head))
        total += len(head) + length
    tail = f"\r\n--{boundary}--\r\n".encode("latin-1")
    total += len(tail)
    block = HeaderBlock.of(
        [
            ("Content-Type", f"multipart/byteranges; boundary={boundary}"),
            *_without(representation.ok, _NOT_IN_MULTIPART),
        ]
    )
    return Plan(
        206,
        block,
        (*extra, ("Content-Length", str(total))),
        MultipartBody(representation, tuple(parts), tail),
    )


def _options(entry: FileEntry, request: Request) -> Plan:
    """RFC 9110 §9.3.7 OPTIONS (and CORS preflight): 204 with Allow and the CORS headers."""
    pairs = [_OPTIONS_ALLOW]
    cors = [
        pair
        for pair in entry.identity.ok.pairs
        if pair[0].lower() in {"access-control-allow-origin", "access-control-expose-headers"}
    ]
    allowed = bool(cors) or (entry.cors_origins and request.origin in entry.cors_origins)
    if entry.cors_origins and request.origin in entry.cors_origins:
        cors.append(("Access-Control-Allow-Origin", request.origin or ""))
        cors.append(("Vary", "Origin"))
    if allowed:
        pairs.extend(cors)
        pairs.append(("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"))
        pairs.append(
            (
                "Access-Control-Allow-Headers",
                "Range, If-Range, If-None-Match, If-Modified-Since, If-Match, "
                "If-Unmodified-Since, Accept-Encoding",
            )
        )
        pairs.append(("Access-Control-Max-Age", "86400"))
    pairs.append(_EMPTY)
    return Plan(204, HeaderBlock.of(pairs))


def respond_redirect(entry: RedirectEntry, request: Request) -> Plan:
    """A redirect keeps the query string (ServeStatic 2.1+) unless told otherwise.

    The query is copied as received except that anything outside RFC 3986's query
    characters (controls, spaces, non-ASCII) is percent-encoded, so it can never break
    the ``Location`` header. Under a mount point, a target path gets the mount in front;
    directory redirects are relative and need nothing.
    """
    if not request.method:
        return BAD_REQUEST
    location = entry.location
    if request.mount:
        # A configured target such as "/new/" is a path of the mounted site, as "from" is.
        location = mount_location(request.mount, location)
    if entry.keep_query and request.query:
        location = f"{location}?{_QUERY_UNSAFE.sub(_percent, request.query)}"
    return Plan(entry.status, entry.headers, (("Location", location),))


# RFC 3986 §3.4: query = *( pchar / "/" / "?" ), plus "%" of existing escapes.
_QUERY_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]")


def _percent(match: re.Match[str]) -> str:
    # The adapters give the query as received, one character per byte (PEP 3333's latin-1
    # convention), so each character is one byte to escape. A character above U+00FF
    # cannot come from that convention (an already decoded query): its UTF-8 bytes then.
    return "".join(
        f"%{byte:02X}"
        for char in match.group()
        for byte in (bytes((ord(char),)) if ord(char) < 256 else char.encode("utf-8", "replace"))
    )
