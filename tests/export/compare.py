"""Compare an engine's answers with servestatic's, request by request.

A mismatch is allowed only when a rule below attributes it to one entry of
``servestatic.export.DIFFERENCES`` that concerns this engine and this site: the test fails
on anything else, and on an excuse the documentation does not list.
"""

from __future__ import annotations

import gzip
import http.client
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import brotli
import zstandard

from servestatic.export import SiteModel, applicable, by_id
from tests.client import call_asgi

__all__ = ["Answer", "Comparison", "Request", "compare", "engine_answer", "servestatic_answer"]

#: Headers each server computes itself (RFC 9110 §6.6.1 Date, §10.2.4 Server; framing).
SERVER_MANAGED = frozenset(
    {"date", "server", "connection", "keep-alive", "transfer-encoding", "etag"}
)
_PLAIN = "/!$&'()*+,;=:@-._~"


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # decoded
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    raw: str | None = None  # the request target exactly as sent, when not quote(path)

    @property
    def accept_encoding(self) -> str | None:
        return {name.lower(): value for name, value in self.headers}.get("accept-encoding")

    def __str__(self) -> str:
        query = f"?{self.query}" if self.query else ""
        extra = " ".join(f"{name}: {value}" for name, value in self.headers)
        return f"{self.method} {self.raw or self.path}{query} [{extra}]"


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return ", ".join(values) if values else None

    @property
    def coding(self) -> str:
        return (self.header("content-encoding") or "identity").lower()

    def decoded(self) -> bytes:
        coding = self.coding
        if not self.body:  # HEAD, 304
            return b""
        if coding == "gzip":
            return gzip.decompress(self.body)
        if coding == "br":
            return bytes(brotli.decompress(self.body))
        if coding == "zstd":
            return zstandard.ZstdDecompressor().decompressobj().decompress(self.body)
        return self.body

    def comparable(self) -> dict[str, str]:
        """Headers by lower-case name, without the server-managed ones."""
        found: dict[str, str] = {}
        for name, value in self.headers:
            key = name.lower()
            if key in SERVER_MANAGED:
                continue
            found[key] = f"{found[key]}, {value}" if key in found else value
        return found


def servestatic_answer(app: Any, request: Request) -> Answer:
    response = call_asgi(
        app,
        request.path,
        method=request.method,
        headers=list(request.headers),
        query=request.query,
        raw_path=None if request.raw is None else request.raw.encode("ascii"),
    )
    return Answer(response.status, response.header_list, response.body)


def engine_answer(base: str, request: Request) -> Answer:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    target = request.raw or quote(request.path, safe=_PLAIN)
    target += f"?{request.query}" if request.query else ""
    try:
        connection.request(request.method, target, headers=dict(request.headers))
        response = connection.getresponse()
        body = response.read()
        return Answer(response.status, list(response.getheaders()), body)
    finally:
        connection.close()


@dataclass
class Comparison:
    engine: str
    model: SiteModel
    compared: int = 0
    identical: int = 0
    excused: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    #: (request, difference) for every excuse, for a reader of a failing run
    log: list[tuple[str, str]] = field(default_factory=list)
    current: Request | None = None

    def excuse(self, identifier: str) -> None:
        difference = by_id(identifier)  # KeyError: an excuse that is not documented
        assert self.engine in difference.engines, (identifier, self.engine)
        self.excused[identifier] = self.excused.get(identifier, 0) + 1
        self.log.append((str(self.current), identifier))

    def check_excuses(self) -> None:
        """Every excuse used is documented for this engine and says it concerns this site."""
        listed = {difference.id for difference in applicable(self.engine, self.model)}
        unlisted = sorted(set(self.excused) - listed)
        assert not unlisted, f"excused but not listed for this site: {unlisted}"


Rule = Callable[[str, Request, Answer, Answer, SiteModel], str | None]


def _coding_rule(
    engine: str, request: Request, ours: Answer, theirs: Answer, model: SiteModel
) -> str | None:
    """Which difference explains a different Content-Encoding (same decoded body)."""
    accept = request.accept_encoding or ""
    answer = next((a for a in model.files if a.url == request.path), None)
    suffixes = dict(answer.variants) if answer is not None else {}
    if ours.coding == "zstd" and theirs.coding != "zstd":
        if engine == "nginx":
            return "zstd"
        if engine == "caddy" and suffixes.get("zstd") == ".zstd":
            return "zstd-suffix"
    # Neither engine reads "*" or the x-gzip alias (RFC 9110 §12.5.3, §8.4.1.3).
    unread = "*" in accept or "x-gzip" in accept
    if engine == "nginx" and (unread or ";q=" in accept):
        return "coding-preference"  # nginx weighs no q-value above 0
    if engine == "caddy" and (unread or ("identity" in accept and ";q=" in accept)):
        return "coding-preference"  # Caddy never prefers identity to a variant
    return None


def compare(comparison: Comparison, request: Request, ours: Answer, theirs: Answer) -> None:
    """Record whether ``theirs`` answers ``request`` as ``ours`` does (or why not)."""
    comparison.compared += 1
    comparison.current = request
    before = len(comparison.log)
    engine, model = comparison.engine, comparison.model
    problems: list[str] = []
    if ours.status == theirs.status == 304:
        comparison.compared -= 1
        compare_not_modified(comparison, request, ours, theirs)
        return
    if request.raw is not None and (
        ours.status != theirs.status or ours.decoded() != theirs.decoded()
    ):
        # A target that is not a canonical path: the engine's own normalisation.
        encoded = "%2f" in request.raw.lower()
        if engine == "nginx" or (engine == "caddy" and encoded):
            comparison.excuse("path-normalization")
            return
    if request.method not in {"GET", "HEAD"}:
        if ours.status == theirs.status and ours.comparable() == theirs.comparable():
            comparison.identical += 1
        else:
            comparison.excuse("methods")
        return
    if ours.status != theirs.status:
        accept = request.accept_encoding or ""
        if ours.status == 406 and "identity;q=0" in accept:
            comparison.excuse("not-acceptable")
            return
        ranged = dict(request.headers).get("Range")
        if engine == "nginx" and ranged and ours.status == 206 and theirs.coding != "identity":
            comparison.excuse("ranges")  # nginx sends a precompressed variant whole
            return
        if engine == "caddy" and ranged and not model.ranges and theirs.status == 206:
            comparison.excuse("range-settings")
            return
        listed = {a.url.lower() for a in model.redirects if a.url != request.path}
        if engine == "nginx" and 300 <= theirs.status < 400 and request.path.lower() in listed:
            comparison.excuse("case-insensitive-redirects")
            return
        comparison.failures.append(
            f"{engine}: {request}: status {theirs.status}, servestatic {ours.status}"
        )
        return
    mine, other = ours.comparable(), theirs.comparable()
    if ours.coding != theirs.coding:
        reason = _coding_rule(engine, request, ours, theirs, model)
        if reason is None or ours.decoded() != theirs.decoded():
            problems.append(f"Content-Encoding {theirs.coding}, servestatic {ours.coding}")
        else:
            comparison.excuse(reason)
            # The rest of the headers must still agree; lengths follow the coding.
            for name in ("content-encoding", "content-length", "accept-ranges"):
                mine.pop(name, None)
                other.pop(name, None)
    elif ours.status not in {206} and ours.decoded() != theirs.decoded():
        problems.append(f"body of {len(theirs.body)} bytes, servestatic {len(ours.body)}")
    elif ours.status == 206 and ours.body != theirs.body:
        problems.append("206 body differs")
    if (
        engine == "nginx"
        and (theirs.coding != "identity" or theirs.status == 206)
        and "accept-ranges" in mine
        and "accept-ranges" not in other
    ):
        comparison.excuse("ranges")
        mine.pop("accept-ranges")
    if (
        engine == "caddy"
        and theirs.coding != "identity"
        and "content-length" in mine
        and "content-length" not in other
    ):
        comparison.excuse("variant-length")
        mine.pop("content-length")
    if "last-modified" in other and "last-modified" not in mine:
        answer = next((a for a in model.files if a.url == request.path), None)
        if answer is not None and not answer.dated:
            comparison.excuse("undated-files")
            other.pop("last-modified")
    # ETag values differ by design (etag-format), but not whether there is one (etag = "off").
    if (ours.header("etag") is None) != (theirs.header("etag") is None):
        problems.append(f"ETag {theirs.header('etag')!r}, servestatic {ours.header('etag')!r}")
    problems.extend(
        f"{name}: {other.get(name)!r}, servestatic {mine.get(name)!r}"
        for name in sorted(set(mine) | set(other))
        if mine.get(name) != other.get(name)
    )
    if problems:
        comparison.failures.append(f"{engine}: {request}: " + "; ".join(problems))
    elif len(comparison.log) == before:
        comparison.identical += 1


def compare_not_modified(
    comparison: Comparison, request: Request, ours: Answer, theirs: Answer
) -> None:
    """A 304 from both; the engine may add headers (not-modified-headers), never miss one."""
    comparison.compared += 1
    comparison.current = request
    engine = comparison.engine
    if ours.status != 304 or theirs.status != 304:
        comparison.failures.append(
            f"{engine}: {request}: status {theirs.status}, servestatic {ours.status} (want 304)"
        )
        return
    mine, other = ours.comparable(), theirs.comparable()
    missing = {name: value for name, value in mine.items() if other.get(name) != value}
    if engine == "caddy" and not comparison.model.etag and set(missing) == {"last-modified"}:
        comparison.excuse("etag-off")
        return
    if missing:
        comparison.failures.append(f"{engine}: {request}: 304 lacks {missing}, has {other}")
    elif set(other) - set(mine):
        comparison.excuse("not-modified-headers")
    else:
        comparison.identical += 1
