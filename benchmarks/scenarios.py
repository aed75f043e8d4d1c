"""The request scenarios, and the check every contender's response must pass before timing.

A check compares status, the essential headers and the exact body bytes with the fixture
files (a precompressed variant must be byte-for-byte the ``.br`` file on disk). The 304
scenario uses the contender's own ETag, read with a first request.
"""

from __future__ import annotations

import hashlib
import http.client
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.fixtures import BIG_SIZE, RANGE_FIRST, RANGE_LAST, Fixtures


class VerificationError(AssertionError):
    """A contender's response differs from what every contender must send."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names; repeated fields joined with ", "
    body: bytes


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    unit: str = "req/s"  # or "MB/s" (10^6 bytes read by the client per second)
    etag_from: str | None = None  # the 304 scenario: send If-None-Match with this path's ETag
    autorefresh: bool = False


ACCEPT_ENCODING = "gzip, deflate, br"

SCENARIOS = {
    "small": Scenario("small", "Small file (1 KiB)", "/static/small.js"),
    "compressed": Scenario(
        "compressed",
        "Compressed negotiation (64 KiB CSS → .br)",
        "/static/app.css",
        {"Accept-Encoding": ACCEPT_ENCODING},
    ),
    "not-modified": Scenario(
        "not-modified",
        "304 Not Modified (If-None-Match)",
        "/static/small.js",
        etag_from="/static/small.js",
    ),
    "big": Scenario("big", "10 MiB file", "/static/big.bin", unit="MB/s"),
    "range": Scenario(
        "range",
        "1 KiB range of the 10 MiB file",
        "/static/big.bin",
        {"Range": f"bytes={RANGE_FIRST}-{RANGE_LAST}"},
    ),
    "miss": Scenario("miss", "Miss falling through to the app", "/static/missing.js"),
    "autorefresh": Scenario(
        "autorefresh", "Small file, autorefresh mode", "/static/small.js", autorefresh=True
    ),
}
SCENARIO_ORDER = tuple(SCENARIOS)


def fetch(port: int, path: str, headers: dict[str, str], method: str = "GET") -> Response:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, headers=headers)
        raw = connection.getresponse()
        body = raw.read()
        merged: dict[str, str] = {}
        for name, value in raw.getheaders():
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        return Response(raw.status, merged, body)
    finally:
        connection.close()


def request_headers(scenario: Scenario, port: int) -> dict[str, str]:
    """The headers the load generator sends (the 304 scenario asks the server for its ETag)."""
    headers = dict(scenario.headers)
    if scenario.etag_from is not None:
        first = fetch(port, scenario.etag_from, {})
        etag = first.headers.get("etag")
        if not etag:
            raise VerificationError(f"no ETag on {scenario.etag_from}: {first.headers}")
        headers["If-None-Match"] = etag
    return headers


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise VerificationError(message)


def _common(response: Response, what: str) -> None:
    cache = response.headers.get("cache-control", "")
    _expect("max-age=" in cache, f"{what}: Cache-Control missing or odd: {cache!r}")


def _check_small(fixtures: Fixtures, response: Response) -> None:
    _expect(response.status == 200, f"status {response.status}")
    _expect(response.body == fixtures.small, "body differs from small.js")
    _expect(response.headers.get("content-length") == str(len(fixtures.small)), "Content-Length")
    _expect(
        response.headers.get("content-type", "").startswith(
            ("text/javascript", "application/javascript")
        ),
        f"Content-Type {response.headers.get('content-type')!r}",
    )
    _expect("content-encoding" not in response.headers, "unexpected Content-Encoding")


def _check_compressed(fixtures: Fixtures, response: Response) -> None:
    _expect(response.status == 200, f"status {response.status}")
    _expect(response.headers.get("content-encoding") == "br", "Content-Encoding is not br")
    _expect(response.body == fixtures.css_br, "body differs from app.css.br")
    _expect(response.headers.get("content-length") == str(len(fixtures.css_br)), "Content-Length")
    _expect(
        "accept-encoding" in response.headers.get("vary", "").lower(), "no Vary: Accept-Encoding"
    )
    _expect(response.headers.get("content-type", "").startswith("text/css"), "Content-Type")


def _check_not_modified(fixtures: Fixtures, response: Response) -> None:
    _expect(response.status == 304, f"status {response.status}, expected 304")
    _expect(response.body == b"", "304 with a body")
    _expect("etag" in response.headers, "304 without ETag")


def _check_big(fixtures: Fixtures, response: Response) -> None:
    _expect(response.status == 200, f"status {response.status}")
    _expect(response.headers.get("content-length") == str(BIG_SIZE), "Content-Length")
    _expect(
        hashlib.sha256(response.body).hexdigest() == fixtures.big_sha256,
        "body differs from big.bin",
    )


def _check_range(fixtures: Fixtures, response: Response) -> None:
    _expect(response.status == 206, f"status {response.status}, expected 206")
    expected = f"bytes {RANGE_FIRST}-{RANGE_LAST}/{BIG_SIZE}"
    _expect(response.headers.get("content-range") == expected, f"Content-Range {response.headers}")
    _expect(response.headers.get("content-length") == "1024", "Content-Length")
    _expect(response.body == fixtures.big_slice, "range body differs from the file slice")


def _check_miss(fixtures: Fixtures, response: Response) -> None:
    _expect(response.status == 200, f"status {response.status}")
    _expect(response.body == b"app", f"body {response.body[:40]!r}, expected the app's")


CHECKS: dict[str, Callable[[Fixtures, Response], None]] = {
    "small": _check_small,
    "compressed": _check_compressed,
    "not-modified": _check_not_modified,
    "big": _check_big,
    "range": _check_range,
    "miss": _check_miss,
    "autorefresh": _check_small,
}


def verify(scenario: Scenario, port: int, fixtures: Fixtures) -> dict[str, str]:
    """Check the contender's answer (twice: the second may come from a cache); return the
    request headers to load it with. The trivial application (each server's floor) passes
    the same checks as every library."""
    headers = request_headers(scenario, port)
    for attempt in range(2):
        response = fetch(port, scenario.path, headers)
        what = f"{scenario.name} (request {attempt + 1})"
        try:
            CHECKS[scenario.name](fixtures, response)
            if scenario.name not in {"miss", "not-modified"}:
                _common(response, what)
        except VerificationError as error:
            shown = dict(response.headers)
            raise VerificationError(f"{what}: {error}; headers {shown}") from None
    return headers
