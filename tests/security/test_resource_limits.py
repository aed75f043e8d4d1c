"""Inputs built to burn CPU or memory: Range headers (Starlette CVE-2025-62727, Apache
CVE-2011-3192), huge and repeated request headers, very long URLs.

Work bounds are asserted structurally (how many specs the parser looks at, how long a
digit string reaches ``int()``, which caches a long header may enter), never with a clock;
the ``timeout`` marks are only a hang guard. Each request goes through both adapters and
both index modes, and the server must answer normally afterwards.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from servestatic.http import negotiation as _negotiation
from servestatic.http import preconditions as _preconditions
from servestatic.http import ranges as _ranges
from servestatic.http.ranges import IGNORE, UNSATISFIABLE, parse_range
from servestatic.http.records import MAX_FIELD_LENGTH
from tests.security.conftest import MakeServer
from tests.security.hostile import JS, Hostile, assert_clean, assert_healthy, send

SIZE = len(JS)
# Under MAX_FIELD_LENGTH (so the parser sees them) and over CPython's 4300-digit int() limit.
DIGITS = "9" * 5_000
MANY_EMPTY = "bytes=0-0" + "," * 8_000


def _full(response: Any) -> None:
    assert response.status == 200
    assert response.body == JS
    assert response.header("content-range") is None


# header → expected status (and for 206, the single range)
RANGE_CASES: list[tuple[str, str, int]] = [
    ("5k-digit first", "bytes=" + DIGITS + "-", 416),
    ("5k-digit last", "bytes=0-" + DIGITS, 206),
    ("5k-digit suffix", "bytes=-" + DIGITS, 206),
    ("5k-digit both", "bytes=" + DIGITS + "-" + DIGITS, 416),
    ("10k identical", "bytes=" + ",".join(["0-0"] * 10_000), 200),
    ("10k distinct", "bytes=" + ",".join(f"{2 * i}-{2 * i}" for i in range(10_000)), 200),
    ("10k overlapping", "bytes=" + ",".join(["0-"] * 10_000), 200),
    ("10k suffixes", "bytes=" + ",".join(["-1"] * 10_000), 200),
    ("8k empty members", MANY_EMPTY, 206),
    ("8k commas only", "bytes=" + "," * 8_000, 200),
    ("8k whitespace", "bytes=" + " " * 8_000 + "0-1", 206),
    # Over MAX_FIELD_LENGTH the header is ignored before any parsing (200).
    ("1M whitespace", "bytes=" + " " * 1_000_000 + "0-1", 200),
    ("100k-digit last", "bytes=0-" + "9" * 100_000, 200),
    # Header values arrive as bytes, decoded as latin-1 by both adapters.
    ("unicode digits", "bytes=\uff10-\uff11".encode().decode("latin-1"), 200),
    ("arabic digits", "bytes=\u0660-\u0661".encode().decode("latin-1"), 200),
    ("superscript digits", "bytes=\u00b9-\u00b2", 200),
    ("reversed", "bytes=5-1", 200),
    ("three parts", "bytes=1-2-3", 200),
    ("double equals", "bytes==0-1", 200),
    ("negative", "bytes=-0-1", 200),
    ("plus sign", "bytes=+0-1", 200),
    ("hex", "bytes=0x0-0x1", 200),
    ("underscore", "bytes=1_0-2_0", 200),
    ("other unit", "items=0-1", 200),
    ("no unit", "=0-1", 200),
    ("upper-case unit", "BYTES=0-1", 206),
    ("zero suffix", "bytes=-0", 416),
    ("past the end", f"bytes={SIZE}-", 416),
    ("many past the end", "bytes=" + ",".join([f"{SIZE + 1}-"] * 16), 416),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("header", "status"),
    [pytest.param(header, status, id=name) for name, header, status in RANGE_CASES],
)
def test_hostile_range_headers(
    make_hostile_server: MakeServer, hostile: Hostile, header: str, status: int
) -> None:
    server = make_hostile_server(hostile)
    response = send(server, "/app.js", {"Range": header})
    assert response.status == status, (response.status, response.header_list)
    assert_clean(response, hostile.markers)
    if status == 200:
        _full(response)
    elif status == 416:
        assert response.header("content-range") == f"bytes */{SIZE}"
        assert response.body == b""
    else:
        content_range = response.header("content-range") or ""
        first, last = (int(part) for part in content_range[6:].split("/")[0].split("-"))
        assert content_range.endswith(f"/{SIZE}")
        assert response.body == JS[first : last + 1]
        assert response.header("content-length") == str(len(response.body))
    assert_healthy(server)


def test_many_ranges_below_the_cap_stay_bounded(hostile: Hostile, adapter: str) -> None:
    """At the configured cap (here 1000, the maximum allowed), a multipart answer has one
    part per coalesced range and costs at most the file plus a bounded head per part."""
    from servestatic.config import Settings
    from tests.security.hostile import build

    server = build(
        adapter,
        "static",
        hostile,
        settings=Settings.model_validate({"ranges": {"max_ranges": 1000}}),
    )
    header = "bytes=" + ",".join(f"{2 * i}-{2 * i}" for i in range(1000))
    response = send(server, "/app.js", {"Range": header})
    assert response.status == 206
    content_type = response.header("content-type") or ""
    assert content_type.startswith("multipart/byteranges; boundary=")
    boundary = content_type.split("boundary=", 1)[1].encode()
    assert response.body.count(b"--" + boundary + b"\r\n") == 1000
    assert len(response.body) == int(response.header("content-length") or 0)
    assert len(response.body) <= SIZE + 1000 * 200
    over = send(server, "/app.js", {"Range": header + ",2002-2002"})
    _full(over)  # one more than the cap: the whole file, not an error


def test_multiple_ranges_of_an_encoded_representation_send_it_whole(
    make_hostile_server: MakeServer, hostile: Hostile
) -> None:
    """No multipart body with Content-Encoding (it would claim the framing is encoded)."""
    server = make_hostile_server(hostile)
    response = send(server, "/app.js", {"Range": "bytes=0-1,4-5", "Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.header("content-encoding") == "gzip"


class _Counter:
    def __init__(self, function: Any) -> None:
        self.function = function
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        return self.function(*args)


def test_range_parser_stops_after_max_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    """10,000 specs: the parser looks at ``max_ranges + 1`` of them, then gives up (200)."""
    position = _Counter(_ranges._position)
    coalesce = _Counter(_ranges._coalesce)
    monkeypatch.setattr(_ranges, "_position", position)
    monkeypatch.setattr(_ranges, "_coalesce", coalesce)
    header = "bytes=" + ",".join(f"{2 * i}-{2 * i}" for i in range(10_000))
    assert parse_range(header, 10**9, 16) == IGNORE
    assert len(position.calls) <= 2 * 17
    assert coalesce.calls == []
    at_cap = parse_range("bytes=" + ",".join(f"{2 * i}-{2 * i}" for i in range(16)), 100, 16)
    assert isinstance(at_cap, tuple)
    assert len(at_cap) == 16
    assert [len(call[0]) for call in coalesce.calls] == [16]


def test_range_parser_never_converts_long_digit_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    """CPython converts digit strings in quadratic time (and refuses > 4300 digits): no
    string longer than 18 digits reaches ``int()``."""
    seen: list[str] = []

    def spy(text: str) -> int:
        seen.append(text)
        return int(text)

    monkeypatch.setattr(_ranges, "int", spy, raising=False)
    for header in ("bytes=" + DIGITS + "-", "bytes=0-" + DIGITS, "bytes=-" + DIGITS):
        assert parse_range(header, 1000, 16) in {UNSATISFIABLE, ((0, 999),)}
    assert seen != []
    assert max(len(text) for text in seen) <= 18


# ---------------------------------------------------------------------------- headers


def _scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """An HTTP scope for ``GET /app.js`` with raw header lines (names may repeat)."""
    return {
        "type": "http",
        "method": "GET",
        "path": "/app.js",
        "raw_path": b"/app.js",
        "query_string": b"",
        "headers": headers,
    }


def _codings(count: int) -> str:
    return ", ".join(f"x-coding-{i};q=0.{i % 1000:03d}" for i in range(count))


def _tags(count: int) -> str:
    return ", ".join(f'"junk-{i}"' for i in range(count))


@pytest.mark.timeout(60)
def test_long_accept_encoding(make_hostile_server: MakeServer, hostile: Hostile) -> None:
    """Up to MAX_FIELD_LENGTH: parsed (not cached), the right choice made. Beyond it (10,000
    codings, 250 KB): ignored whole, so identity is sent, without parsing a member."""
    before = _negotiation._parse_cached.cache_info().currsize
    server = make_hostile_server(hostile)
    junk = _codings(300)
    assert 256 < len(junk) + 20 <= MAX_FIELD_LENGTH
    response = send(server, "/app.js", {"Accept-Encoding": junk + ", gzip;q=0.001"})
    assert response.status == 200
    assert response.header("content-encoding") == "gzip"
    refused = send(server, "/app.js", {"Accept-Encoding": junk + ", identity;q=0, *;q=0"})
    assert refused.status == 406
    huge = _codings(10_000)
    response = send(server, "/app.js", {"Accept-Encoding": huge + ", gzip;q=0.001"})
    assert response.status == 200
    assert response.header("content-encoding") is None
    assert response.body == JS
    assert send(server, "/app.js", {"Accept-Encoding": huge + ", identity;q=0"}).status == 200
    assert _negotiation._parse_cached.cache_info().currsize == before
    assert_healthy(server)


@pytest.mark.timeout(60)
def test_long_if_none_match(make_hostile_server: MakeServer, hostile: Hostile) -> None:
    """Up to MAX_FIELD_LENGTH: a linear scan, and the matching tag at the very end gives
    304. Beyond it: the list matches nothing (200, and If-Match fails with 412)."""
    server = make_hostile_server(hostile)
    etag = send(server, "/app.js").header("etag")
    assert etag is not None
    before = _preconditions._parse_cached.cache_info().currsize
    tags = _tags(500)
    assert 512 < len(tags) + len(etag) + 2 <= MAX_FIELD_LENGTH
    assert send(server, "/app.js", {"If-None-Match": tags}).status == 200
    assert send(server, "/app.js", {"If-None-Match": tags + ", " + etag}).status == 304
    assert send(server, "/app.js", {"If-Match": tags + ", " + etag}).status == 200
    assert send(server, "/app.js", {"If-Match": tags}).status == 412
    huge = _tags(10_000)
    assert send(server, "/app.js", {"If-None-Match": huge + ", " + etag}).status == 200
    assert send(server, "/app.js", {"If-Match": huge + ", " + etag}).status == 412
    unterminated = send(server, "/app.js", {"If-None-Match": '"' + "a" * 1_000_000})
    assert unterminated.status == 200
    assert _preconditions._parse_cached.cache_info().currsize == before
    assert_healthy(server)


def test_values_over_the_field_limit_are_never_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The work bound, structurally: past MAX_FIELD_LENGTH no parser looks at a member."""

    def forbidden(*_: object) -> None:
        raise AssertionError("parsed a value over MAX_FIELD_LENGTH")

    for module in (_negotiation, _preconditions, _ranges):
        monkeypatch.setattr(module, "_parse", forbidden)
    over = "a" * (MAX_FIELD_LENGTH + 1)
    assert _negotiation.parse_accept_encoding(over) == {}
    assert _preconditions.parse_etag_list(over) == (False, ())
    assert parse_range("bytes=" + over, 1000, 16) == IGNORE
    assert not _preconditions.if_range_allows(
        '"' + over + '"', etag='"' + over + '"', last_modified=None
    )


def test_repeated_headers_stop_growing_past_the_field_limit(hostile: Hostile) -> None:
    """ASGI delivers each repeated line separately. Combining 100,000 ``If-None-Match``
    lines one by one copied the growing value each time (quadratic: seconds of one
    worker under uvicorn, which sets no header limit). Lines past the limit are dropped."""
    from servestatic.asgi import request_from_scope
    from tests.client import call_asgi
    from tests.security.hostile import build

    piece = b'"x"'
    headers = [(b"if-none-match", piece)] * 100_000 + [(b"accept-encoding", b"gzip")]
    request = request_from_scope(_scope(headers))
    assert request.if_none_match is not None
    assert MAX_FIELD_LENGTH < len(request.if_none_match) <= MAX_FIELD_LENGTH + len(piece) + 2
    assert request.accept_encoding == "gzip"  # other fields are still read
    server = build("asgi", "static", hostile)
    etag = send(server, "/app.js").header("etag") or ""
    repeated = [("If-None-Match", etag)] * 5_000
    assert call_asgi(server.app, "/app.js", headers=repeated).status == 200
    assert call_asgi(server.app, "/app.js", headers=repeated[:10]).status == 304


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "name",
    ["If-Modified-Since", "If-Unmodified-Since", "If-Range", "Origin", "X-Junk", "Cookie"],
)
def test_huge_other_headers(make_hostile_server: MakeServer, hostile: Hostile, name: str) -> None:
    """1 MB values of the other headers the core reads (and one it ignores)."""
    server = make_hostile_server(hostile)
    headers = {name: "Sun, 06 Nov 1994 08:49:37 GMT" + " " * 1_000_000 + "x", "Range": "bytes=0-1"}
    response = send(server, "/app.js", headers)
    assert response.status in {200, 206}
    if response.status == 200:
        assert response.body == JS
    else:
        assert response.body == JS[:2]
    assert_clean(response, hostile.markers)
    assert_healthy(server)


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT" + " " * 100_000,
        "x" * 100_000,
        "Sun, 06 Nov 1994 08:49:37 GMT" + "x" * 700,
    ],
    ids=["padded-date", "junk", "700-chars"],
)
def test_long_header_values_are_not_retained(value: str) -> None:
    """Parse caches keep their keys alive: a cache that accepts any length lets unique
    long headers pin memory (256 entries x the server's header limit, which httptools
    does not set). Holding a reference to the value after the call means it was cached.
    Short values (up to 64-512 characters, per parser) are cached on purpose."""
    import uuid

    from servestatic.http.preconditions import evaluate, if_range_allows

    value += uuid.uuid4().hex  # a value no earlier call can have cached
    before = sys.getrefcount(value)
    evaluate(
        etag='"a"',
        last_modified=784111777,
        if_match=None,
        if_none_match=None,
        if_modified_since=value,
        if_unmodified_since=value,
    )
    if_range_allows(value, etag='"a"', last_modified="Sun, 06 Nov 1994 08:49:37 GMT")
    parse_range(value, 1000, 16)
    _negotiation.parse_accept_encoding(value)
    _preconditions.parse_etag_list(value)
    assert sys.getrefcount(value) == before


def test_repeated_range_headers_are_combined_then_capped(hostile: Hostile) -> None:
    """ASGI delivers repeated headers separately; 10,000 ``Range`` lines combine into one
    list (RFC 9110 §5.3) and hit the same cap as one long header."""
    from tests.client import call_asgi
    from tests.security.hostile import build

    server = build("asgi", "static", hostile)
    headers = [(b"range", f"bytes={2 * i}-{2 * i}".encode()) for i in range(10_000)]
    from servestatic.asgi import request_from_scope

    request = request_from_scope(_scope(headers))
    assert request.range is not None
    assert parse_range(request.range, SIZE, 16) == IGNORE
    response = call_asgi(server.app, "/app.js", headers={"Range": request.range})
    _full(response)


# ---------------------------------------------------------------------------- URLs

LONG_PATHS = [
    pytest.param("/" + "a" * 100_000, id="100k-segment"),
    pytest.param("/" + "a" * 8193, id="8k-plus-one"),
    pytest.param("/" + "a" * 5000 + ".js", id="5k-segment-ENAMETOOLONG"),
    pytest.param("/a" * 4000 + "/app.js", id="4000-segments"),
    pytest.param("/docs" + "/.." * 5000 + "/secret.txt", id="5000-dotdot"),
    pytest.param("/" + "%2e%2e%2f" * 10_000 + "secret.txt", id="10k-encoded-dotdot"),
    pytest.param("/" + "%41" * 50_000, id="50k-escapes"),
    pytest.param("/" + "\u00e9" * 20_000, id="20k-non-ascii"),
    pytest.param("/" + "*a" * 5000 + "b", id="glob-bait"),
    pytest.param("/" + "/" * 10_000 + "app.js", id="10k-slashes"),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", LONG_PATHS)
def test_very_long_urls_are_plain_404s(
    make_hostile_server: MakeServer, hostile: Hostile, path: str
) -> None:
    """Paths past 8 KiB are misses before any matching; shorter long names (> NAME_MAX)
    must not turn ``ENAMETOOLONG`` into a 500 in autorefresh mode. A configured redirect
    pattern and the SPA exclude globs run on the path too, so they are enabled here."""
    from servestatic.config import Settings

    settings = Settings.model_validate(
        {
            "redirects": [
                {"from": "/old/*", "to": "/new/:splat"},
                {"from": "/u/:id/x", "to": "/x"},
            ],
            "spa": {"fallback": "/index.html", "exclude": ["/**/*.*", "/*a*a*a*a*a*a*a*a*b"]},
        }
    )
    server = make_hostile_server(hostile, settings=settings)
    response = send(server, path)
    assert response.status in {200, 404}
    if response.status == 200:
        assert response.body == b"<h1>home</h1>"  # the SPA fallback, nothing else
    assert_clean(response, hostile.markers)
    assert_healthy(server)


@pytest.mark.timeout(60)
def test_very_long_query_string(make_hostile_server: MakeServer, hostile: Hostile) -> None:
    """The query is not part of the file lookup; a 1 MB query still serves the file."""
    server = make_hostile_server(hostile)
    response = send(server, "/app.js?" + "a=" + "b" * 1_000_000)
    assert response.status == 200
    assert response.body == JS
