"""The plain-GET table: a GET with no precondition and no Range is answered from the
answer kept by URL and ``Accept-Encoding`` (``MemoryCache.answers``), and that answer is
always the one the whole request path would give.

The oracle is a fresh application over the same site, whose table is empty: every one of
its answers comes from the general path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import servestatic.asgi
import servestatic.http.environ
import servestatic.serve.files
import servestatic.wsgi
from servestatic.config import Settings
from servestatic.http.records import Request
from servestatic.http.respond import is_plain
from tests.client import Response, Server, make_server
from tests.conftest import CSS, JS

#: The Accept-Encoding values browsers and tools send, and some odd ones.
_ACCEPT = ["gzip, deflate, br, zstd", "gzip, deflate, br", "gzip", "br;q=0.5, gzip", "*;q=0", "x"]
_CORS = {"allow_all_origins": False, "cors": {"allow_origins": ["https://a.test"]}}


def _server(adapter: str, site: Path, **options: Any) -> Server:
    return make_server(adapter, None, settings=Settings(root=site, **options))


def _normal(response: Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body, with a multipart boundary (random per answer) replaced."""
    headers, body = response.header_list, response.body
    kind = response.header("content-type") or ""
    if kind.startswith("multipart/byteranges; boundary="):
        boundary = kind.partition("boundary=")[2]
        headers = [(name, value.replace(boundary, "B")) for name, value in headers]
        body = body.replace(boundary.encode(), b"B")
    return response.status, headers, body


def _same(got: Response, expected: Response) -> None:
    assert _normal(got) == _normal(expected)


def _warm(server: Server, urls: list[str]) -> None:
    """Plain GETs, twice each: the second one is kept in the table."""
    for url in urls:
        for accept in [None, *_ACCEPT]:
            headers = {} if accept is None else {"Accept-Encoding": accept}
            for _ in range(2):
                assert server.get(url, headers).status in {200, 406}


@pytest.mark.parametrize("cors", [False, True])
def test_kept_answers_are_the_general_paths_answers(adapter: str, site: Path, cors: bool) -> None:
    """Whatever the request, a warm application (its table full of plain answers) answers
    exactly what a fresh one answers: every header that makes a GET not plain (each
    precondition, Range), HEAD, Origin and an encoded separator in the raw path."""
    options = _CORS if cors else {}
    warm = _server(adapter, site, **options)
    urls = ["/app.js", "/style.css", "/docs/index.html"]
    _warm(warm, urls)
    # A CORS allow-list answers per Origin: nothing is kept then (the last test).
    assert bool(warm.app.engine.memory.answers) is not cors
    etags = {
        url: [warm.get(url, {"Accept-Encoding": a}).header("etag") or "" for a in _ACCEPT[:3]]
        for url in urls
    }
    date = "Sat, 01 Jan 2000 00:00:00 GMT"
    future = "Fri, 01 Jan 2100 00:00:00 GMT"

    def maybe(values: list[str]) -> st.SearchStrategy[str | None]:
        return st.none() | st.sampled_from(values)

    @settings(
        max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        url=st.sampled_from(urls),
        method=st.sampled_from(["GET", "GET", "GET", "HEAD"]),
        accept=maybe(_ACCEPT),
        if_none_match=st.none() | st.integers(0, 2) | st.just('"other"'),
        if_modified_since=maybe([date, future]),
        if_match=maybe(['"other"', "*"]),
        if_unmodified_since=maybe([date, future]),
        range_=maybe(["bytes=0-9", "bytes=5-1,x", "bytes=0-1,4-5"]),
        if_range=maybe(['"other"', date]),
        origin=maybe(["https://a.test", "https://b.test"]),
        encoded=st.booleans(),
    )
    def check(
        url: str,
        method: str,
        accept: str | None,
        if_none_match: int | str | None,
        if_modified_since: str | None,
        if_match: str | None,
        if_unmodified_since: str | None,
        range_: str | None,
        if_range: str | None,
        origin: str | None,
        encoded: bool,
    ) -> None:
        values = {
            "Accept-Encoding": accept,
            "If-None-Match": etags[url][if_none_match]
            if isinstance(if_none_match, int)
            else if_none_match,
            "If-Modified-Since": if_modified_since,
            "If-Match": if_match,
            "If-Unmodified-Since": if_unmodified_since,
            "Range": range_,
            "If-Range": if_range,
            "Origin": origin,
        }
        headers = {name: value for name, value in values.items() if value is not None}
        raw = url.replace("/index", "%2Findex") if encoded else url
        raw_path: Any = raw if adapter == "wsgi" else raw.encode()
        fresh = _server(adapter, site, **options)
        expected = fresh.request(method, url, headers, raw_path=raw_path)
        # Twice: the first may keep its answer, the second is then answered from it.
        for _ in range(2):
            _same(warm.request(method, url, headers, raw_path=raw_path), expected)

    check()


def test_is_plain_names_every_field_that_changes_a_gets_answer() -> None:
    """``is_plain`` is False as soon as any precondition or Range is present; the fields it
    ignores are the ones the answer does not depend on (or Origin, kept out otherwise)."""
    base = Request("GET", "/app.js")
    assert is_plain(base)
    assert not is_plain(base._replace(method="HEAD"))
    for field in ("if_none_match", "if_modified_since", "if_match", "if_unmodified_since", "range"):
        assert not is_plain(base._replace(**{field: "x"})), field
    for field in ("query", "accept_encoding", "if_range", "origin", "raw_path", "mount"):
        assert is_plain(base._replace(**{field: "x"})), field


def test_a_plain_get_is_answered_before_the_request_record(
    adapter: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the second plain GET on, no request record is made (WSGI reads single
    environ keys, ASGI the scanned values); anything else still makes one."""
    server = _server(adapter, site)
    headers = {"Accept-Encoding": "gzip, br"}
    first = server.get("/app.js", headers)
    server.get("/app.js", headers)  # kept now
    made: list[str] = []
    if adapter == "wsgi":
        real_environ = servestatic.http.environ.request_from_environ

        def counting_environ(*args: Any) -> Request:
            made.append(args[2])
            return real_environ(*args)

        monkeypatch.setattr(servestatic.wsgi, "request_from_environ", counting_environ)
    else:
        real_record = servestatic.asgi._new_record

        def counting_record(kind: Any, values: list[Any]) -> Any:
            made.append(values[1])
            return real_record(kind, values)

        monkeypatch.setattr(servestatic.asgi, "_new_record", counting_record)
    _same(server.get("/app.js", headers), first)
    assert made == []
    assert server.get("/app.js", {**headers, "Range": "bytes=0-1"}).status == 206
    assert server.get("/app.js", {**headers, "If-Modified-Since": "x"}).status == 200
    assert made == ["/app.js", "/app.js"]


def test_a_file_changed_on_disk_is_never_answered_from_the_table(site: Path) -> None:
    """With ``watch`` (or ``refresh``) the index changes: the kept answer is for the old
    entry and is not used; the memory cache forgetting the bytes empties the table."""
    server = _server("wsgi", site)
    engine = server.app.engine
    _warm(server, ["/app.js"])
    assert ("/app.js", None) in engine.memory.answers
    path = site / "app.js"
    path.write_bytes(b"console.log('new');\n")
    for variant in ("app.js.gz", "app.js.br", "app.js.zst"):
        (site / variant).unlink()
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    engine.apply_changes([str(path)])
    for accept in (None, "gzip, br"):
        headers = {} if accept is None else {"Accept-Encoding": accept}
        response = server.get("/app.js", headers)
        assert (response.status, response.body) == (200, b"console.log('new');\n")
    engine.memory.forget(str(path))
    assert engine.memory.answers == {}
    assert server.get("/app.js").body == b"console.log('new');\n"


def test_a_new_variant_is_never_hidden_by_a_kept_answer(adapter: str, site: Path) -> None:
    """A brotli sibling added (and indexed by ``watch``) changes what ``br`` clients get,
    although the identity file's cached bytes stay the same: the kept identity answer is for
    the old entry and is not used."""
    import brotli

    server = _server(adapter, site)
    engine = server.app.engine
    headers = {"Accept-Encoding": "br"}
    for _ in range(2):
        assert server.get("/style.css", headers).header("content-encoding") is None
    assert ("/style.css", "br") in engine.memory.answers
    variant = site / "style.css.br"
    variant.write_bytes(brotli.compress(CSS))
    engine.apply_changes([str(variant)])
    for _ in range(2):
        response = server.get("/style.css", headers)
        assert response.header("content-encoding") == "br"
        assert brotli.decompress(response.body) == CSS


def test_a_kept_answer_is_used_only_while_its_entry_is_the_urls(adapter: str, site: Path) -> None:
    """Any change of the index (a build record reloaded, a page placed, a rule's file
    rebuilt) replaces the URL's entry, even where the cached bytes stay: an answer kept for
    the old entry is then not used. Here the entry is replaced by one made with another
    Cache-Control over the same file."""
    server = _server(adapter, site, max_age=60)
    for _ in range(2):
        assert server.get("/app.js").header("cache-control") == "max-age=60, public"
    other = _server(adapter, site, max_age=5).app.engine
    replacement = other.files["/app.js"]
    server.app.engine.files["/app.js"] = replacement
    for _ in range(2):
        response = server.get("/app.js")
        assert response.header("cache-control") == "max-age=5, public"
        assert response.body == JS


@pytest.mark.parametrize(
    ("name", "value", "status"),
    [
        ("If-None-Match", "ETAG", 304),
        ("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT", 304),
        ("If-Match", '"other"', 412),
        ("If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT", 412),
        ("Range", "bytes=0-9", 206),
    ],
)
def test_each_precondition_and_range_alone_bypasses_the_table(
    adapter: str, site: Path, name: str, value: str, status: int
) -> None:
    """One header at a time, on a file whose plain answer is kept: each gets its own
    answer (what the random combinations above may rarely draw alone)."""
    server = _server(adapter, site)
    for accept in (None, "gzip, br"):
        headers = {} if accept is None else {"Accept-Encoding": accept}
        plain = [server.get("/app.js", headers) for _ in range(2)][-1]
        assert ("/app.js", accept) in server.app.engine.memory.answers
        given = {**headers, name: (plain.header("etag") or "") if value == "ETAG" else value}
        for _ in range(2):
            assert server.get("/app.js", given).status == status
        assert server.head("/app.js", headers).body == b""


def test_the_table_is_bounded_and_skips_long_headers(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client chooses the Accept-Encoding value: at most MAX_PLAIN_ANSWERS answers are
    kept (the table is emptied when full), and a value over 256 characters never is."""
    monkeypatch.setattr(servestatic.serve.files, "MAX_PLAIN_ANSWERS", 3)
    server = _server("wsgi", site)
    answers = server.app.engine.memory.answers
    for number in range(10):
        for _ in range(2):
            server.get("/style.css", {"Accept-Encoding": f"gzip, x{number}"})
        assert 1 <= len(answers) <= 3
    answers.clear()
    long_value = "gzip, " + "x" * 300
    for _ in range(3):
        response = server.get("/style.css", {"Accept-Encoding": long_value})
        assert response.header("content-encoding") == "gzip"
    assert answers == {}
    assert server.get("/style.css").body == CSS


@pytest.mark.parametrize("adapter_kind", ["wsgi", "asgi"])
def test_per_origin_cors_and_autorefresh_keep_nothing(site: Path, adapter_kind: str) -> None:
    """A file with a CORS allow-list answers per Origin: never kept, so a listed origin
    always gets its header and others never do. Autorefresh reads the disk per request:
    nothing is kept either."""
    server = _server(adapter_kind, site, **_CORS)
    for origin in (None, "https://a.test", "https://b.test") * 2:
        headers = {} if origin is None else {"Origin": origin}
        response = server.get("/app.js", headers)
        allowed = response.header("access-control-allow-origin")
        assert allowed == ("https://a.test" if origin == "https://a.test" else None)
        assert response.body == JS
    assert server.app.engine.memory.answers == {}
    live = _server(adapter_kind, site, autorefresh=True)
    for _ in range(3):
        assert live.get("/app.js").body == JS
    assert live.app.engine.memory.answers == {}
