"""The shortcuts of the request path give the same answers as the general path.

Four shortcuts exist: a miss handed to the application before any header is read (when
nothing else could answer it), a 304 decided by comparing ``If-None-Match`` with the ETag
as a string (``revalidate``, which the WSGI adapter calls before building the request
record), and plans of the common answers made once per representation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servestatic.http.environ
import servestatic.wsgi
from servestatic.config import Settings
from servestatic.http.negotiation import choose_ranked
from servestatic.http.records import FileBody, FileEntry, Plan, Request
from servestatic.http.respond import HttpOptions, respond, revalidate_values
from servestatic.serve.deliver import Response
from servestatic.serve.engine import Engine
from servestatic.serve.index import _encodable
from servestatic.wsgi import ServeStatic
from tests.client import call_wsgi
from tests.conftest import JS, Serve, write
from tests.startup import startup_messages


def _engine(root: Path, **options: Any) -> Engine:
    standalone = options.pop("standalone", False)
    return Engine(Settings(root=root, **options), standalone=standalone)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, True),
        ({"standalone": True}, False),
        ({"autorefresh": True}, False),
        ({"redirects": [{"from": "/old/*", "to": "/new/:splat"}]}, False),
        ({"spa": {"fallback": "/index.html"}}, False),
        # A fallback that names no file warns and is dropped: misses go to the app again.
        ({"spa": {"fallback": "/nothing.html"}}, True),
    ],
)
def test_passthrough_only_when_nothing_but_the_table_can_answer(
    site: Path, options: dict[str, Any], expected: bool
) -> None:
    if options.get("spa", {}).get("fallback") == "/nothing.html":
        with startup_messages() as messages:
            engine = _engine(site, **options)
        assert any("the SPA fallback" in message for message in messages)
    else:
        engine = _engine(site, **options)
    assert engine.passthrough is expected
    # What the adapters read before any header: the index's paths, or None (claims all).
    assert (engine.claimed is not None) is expected
    if engine.claimed is not None:
        assert "/app.js" in engine.claimed
        assert "/nothing.js" not in engine.claimed


def test_a_passed_through_miss_never_reads_request_headers(site: Path) -> None:
    """The application receives the environ untouched and its answer is returned as is."""
    seen: list[dict[str, Any]] = []

    def application(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"app"]

    app = ServeStatic(application, site)
    response = call_wsgi(app, "/missing.js", headers={"Range": "bytes=" + "0-1," * 5000})
    assert response.status == 200
    assert response.body == b"app"
    assert seen[0]["PATH_INFO"] == "/missing.js"


def test_encoded_slash_is_a_miss_for_the_application(site: Path) -> None:
    """``/a%2Fb.txt`` decodes to an indexed path but is not that file (CVE-2022-35920)."""
    write(site / "a" / "b.txt", "b")

    def application(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "3")])
        return [b"app"]

    app = ServeStatic(application, site)
    assert call_wsgi(app, "/a/b.txt").body == b"b"
    response = call_wsgi(app, "/a/b.txt", raw_path="/a%2Fb.txt")
    assert response.body == b"app"


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({}, 304),
        ({"If-Match": '"someone-else"'}, 412),  # §13.2.2 step 1 comes first
        ({"If-Match": "*"}, 304),
        ({"If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 412),
        ({"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 304),  # ignored with INM
    ],
)
def test_exact_etag_shortcut_keeps_the_precondition_order(
    serve: Serve, site: Path, extra: dict[str, str], status: int
) -> None:
    server = serve(site)
    etag = server.get("/app.js").header("etag")
    assert etag is not None
    response = server.get("/app.js", {"If-None-Match": etag, **extra})
    assert response.status == status
    assert response.body == b""
    if status == 304:
        assert response.header("etag") == etag
        assert response.header("content-type") is None


def test_revalidate_agrees_with_the_full_evaluation(site: Path) -> None:
    """Whatever the request, ``revalidate`` answers exactly what the full evaluation
    answers, or nothing; and it answers every exact revalidation (the case it exists for).

    The oracle is ``respond`` on the same request with an extra tag in front of the
    If-None-Match list: the same meaning (RFC 9110 §13.1.2), but never the shortcut.
    """
    engine = _engine(site, allow_all_origins=False, cors={"allow_origins": ["https://a.test"]})
    entry = _file(engine, "/app.js")
    etags = [r.etag or "" for r in entry.representations]
    options = HttpOptions()

    def maybe(values: list[str]) -> st.SearchStrategy[str | None]:
        return st.none() | st.sampled_from(values)

    date = "Sat, 01 Jan 2000 00:00:00 GMT"

    @settings(max_examples=400)
    @given(
        method=st.sampled_from(["GET", "HEAD", "POST", "OPTIONS"]),
        accept=maybe(["gzip", "br, gzip", "zstd;q=0.5, gzip", "identity;q=0", "*;q=0", "x"]),
        # "selected": the ETag of the representation Accept-Encoding selects (the case
        # the shortcut is for), drawn as often as every other value together.
        if_none_match=st.just("selected")
        | st.sampled_from([*etags, '"other"', "*", f'"x", {etags[0]}', f"W/{etags[0]}"]),
        if_match=maybe(["*", '"other"', *etags]),
        if_unmodified_since=maybe([date]),
        if_modified_since=maybe([date]),
        range_=maybe(["bytes=0-9", "bytes=5-1,x"]),
        origin=maybe(["https://a.test", "https://b.test"]),
    )
    def check(
        method: str,
        accept: str | None,
        if_none_match: str,
        if_match: str | None,
        if_unmodified_since: str | None,
        if_modified_since: str | None,
        range_: str | None,
        origin: str | None,
    ) -> None:
        if if_none_match == "selected":
            position = choose_ranked(accept, entry.ranking)
            chosen = 0 if position is None else entry.ranked[position]
            if_none_match = entry.representations[chosen].etag or ""
        request = Request(
            method,
            "/app.js",
            accept_encoding=accept,
            if_none_match=if_none_match,
            if_modified_since=if_modified_since,
            if_match=if_match,
            if_unmodified_since=if_unmodified_since,
            range=range_,
            origin=origin,
        )
        longhand = if_none_match if if_none_match == "*" else f'"never", {if_none_match}'
        full = respond(entry, request._replace(if_none_match=longhand), options)
        quick = revalidate_values(
            entry, method, accept, if_none_match, if_match, if_unmodified_since, origin
        )
        if quick is not None:
            assert quick == full
            assert quick.status == 304
        exact = (
            full.status == 304
            and if_none_match in etags
            and if_match is None
            and if_unmodified_since is None
        )
        assert (quick is not None) == exact

    check()


def test_wsgi_revalidation_is_answered_before_the_request_record(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 304 on an exact ETag never builds the request record; anything else still does."""
    app = ServeStatic(None, site)
    etag = call_wsgi(app, "/app.js", headers={"Accept-Encoding": "br"}).header("etag")
    built: list[str] = []
    real = servestatic.http.environ.request_from_environ

    def counting(*args: Any) -> Request:
        built.append(args[2])
        return real(*args)

    monkeypatch.setattr(servestatic.wsgi, "request_from_environ", counting)
    response = call_wsgi(
        app, "/app.js", headers={"Accept-Encoding": "br", "If-None-Match": etag or ""}
    )
    assert response.status == 304
    assert response.header("etag") == etag
    assert built == []
    # The brotli ETag does not match the identity representation: a full 200.
    plain = call_wsgi(app, "/app.js", headers={"If-None-Match": etag or ""})
    assert plain.status == 200
    assert plain.body == JS
    # A mismatch with a Range is still ranged; HEAD and If-Match keep their meaning.
    ranged = call_wsgi(app, "/app.js", headers={"If-None-Match": '"x"', "Range": "bytes=0-3"})
    assert (ranged.status, ranged.body) == (206, JS[:4])
    conditional = {"If-None-Match": etag or "", "If-Match": '"x"', "Accept-Encoding": "br"}
    assert call_wsgi(app, "/app.js", headers=conditional).status == 412
    assert built == ["/app.js"] * 3


@pytest.mark.parametrize(
    ("options", "raw_path", "status"),
    [
        ({"autorefresh": True}, None, 304),  # answered by the full path from the disk
        ({}, "/app%2Ejs", 304),  # an encoded dot is not a separator
        ({}, "/docs%2Findex.html", 404),  # an encoded separator is a miss, ETag or not
    ],
)
def test_wsgi_revalidation_outside_the_shortcut(
    site: Path, options: dict[str, Any], raw_path: str | None, status: int
) -> None:
    app = ServeStatic(None, site, **options)
    url = "/app.js" if status == 304 else "/docs/index.html"
    etag = call_wsgi(app, url).header("etag") or ""
    response = call_wsgi(app, url, headers={"If-None-Match": etag}, raw_path=raw_path)
    assert response.status == status


def test_weak_form_of_our_etag_still_revalidates(serve: Serve, site: Path) -> None:
    server = serve(site)
    etag = server.get("/app.js").header("etag")
    assert server.get("/app.js", {"If-None-Match": f'"x", W/{etag}'}).status == 304
    assert server.get("/app.js", {"If-None-Match": '"x"'}).status == 200


def test_common_plans_are_made_once_and_are_distinct(site: Path) -> None:
    engine = _engine(site)
    get = Request("GET", "/app.js")
    head = Request("HEAD", "/app.js")
    first, second = engine.handle(get), engine.handle(get)
    assert first is second  # the 200 plan is reused ...
    assert first is not None
    assert first.body is not None
    assert isinstance(first.body, FileBody)
    assert first.body.length == len(JS)
    head_plan = engine.handle(head)
    assert head_plan is not None
    assert head_plan.body is None
    assert head_plan.headers is first.headers
    etag = first.headers.get("ETag")
    not_modified = engine.handle(Request("GET", "/app.js", if_none_match=etag))
    assert not_modified is not None
    assert not_modified.status == 304
    assert not_modified.headers.get("Content-Length") is None


def test_serve_sends_a_plan_without_a_file_body_as_it_is(site: Path) -> None:
    """A 304, a HEAD or a redirect has nothing to open: ``serve`` returns the very plan
    ``handle`` made (no response record built per request); a file body gets a Response."""
    engine = _engine(site, redirects=[{"from": "/old", "to": "/app.js"}])
    get = Request("GET", "/app.js")
    plan = engine.handle(get)
    assert plan is not None
    etag = plan.headers.get("ETag")
    for request in (
        Request("GET", "/app.js", if_none_match=etag),
        Request("HEAD", "/app.js"),
        Request("GET", "/old"),
    ):
        ready = engine.serve(request)
        assert ready is engine.handle(request) or ready == engine.handle(request)
        assert type(ready) is Plan
    response = engine.serve(get)
    assert type(response) is Response
    assert (response.status, response.body) == (200, JS)
    assert response.headers is plan.headers
    assert repr(response).startswith("Response(200, ")


def _file(engine: Engine, url: str) -> FileEntry:
    entry = engine.files[url]
    assert isinstance(entry, FileEntry)
    return entry


def test_header_blocks_are_assembled_on_first_use_from_shared_heads(site: Path) -> None:
    """Start-up keeps one interned head per header policy; the 200 block waits for a request."""
    engine = _engine(site)
    entries = [_file(engine, url) for url in ("/app.js", "/style.css", "/data.bin")]
    for entry in entries:
        for representation in entry.representations:
            assert representation.derived.ok is None
    app_js = _file(engine, "/app.js")
    identity, *variants = app_js.representations
    # Variants differ from the file only by Content-Encoding; same policy, same head object.
    assert all(r.shared[:-1] == identity.shared for r in variants)
    assert {r.shared[-1] for r in variants} == {
        ("Content-Encoding", c) for c in ("gzip", "br", "zstd")
    }
    gz = next(r for r in variants if r.coding == "gzip")
    block = identity.ok
    assert identity.ok is block  # assembled once
    names = [name for name, _ in block.pairs]
    assert names[-4:] == ["Content-Length", "Last-Modified", "ETag", "Accept-Ranges"]
    assert block.get("Content-Length") == str(len(JS))
    assert block.get("ETag") == identity.etag
    assert gz.ok.get("Content-Encoding") == "gzip"
    assert gz.ok.get("Content-Length") == str(gz.size)


def test_files_with_one_policy_share_one_head(tmp_path: Path) -> None:
    for name in ("a.js", "b.js", "c.js"):
        write(tmp_path / name, f"{name}();")
    engine = _engine(tmp_path)
    heads = {id(_file(engine, f"/{name}").identity.shared) for name in ("a.js", "b.js", "c.js")}
    assert len(heads) == 1


def test_no_ranges_and_no_etag_leave_their_headers_out(site: Path) -> None:
    engine = _engine(site, ranges={"enabled": False}, etag="off")
    block = _file(engine, "/app.js").identity.ok
    assert block.get("Accept-Ranges") is None
    assert block.get("ETag") is None
    assert block.get("Last-Modified") is not None


def test_listed_origin_is_never_served_from_a_shared_plan(serve: Serve, site: Path) -> None:
    server = serve(site, allow_all_origins=False, cors={"allow_origins": ["https://a.test"]})
    plain = server.get("/app.js")
    assert plain.header("access-control-allow-origin") is None
    listed = server.get("/app.js", {"Origin": "https://a.test"})
    assert listed.header("access-control-allow-origin") == "https://a.test"
    etag = listed.header("etag") or ""
    revalidated = server.get("/app.js", {"Origin": "https://a.test", "If-None-Match": etag})
    assert revalidated.status == 304
    assert revalidated.header("access-control-allow-origin") == "https://a.test"
    # ... and the shared plan used afterwards did not pick up that origin.
    assert server.get("/app.js").header("access-control-allow-origin") is None
    again = server.get("/app.js", {"If-None-Match": etag})
    assert again.status == 304
    assert again.header("access-control-allow-origin") is None


#: Every field of the request record, with the WSGI key and ASGI header that fill it.
_FIELD_SOURCES = {
    "accept_encoding": ("HTTP_ACCEPT_ENCODING", b"accept-encoding"),
    "if_none_match": ("HTTP_IF_NONE_MATCH", b"if-none-match"),
    "if_modified_since": ("HTTP_IF_MODIFIED_SINCE", b"if-modified-since"),
    "if_match": ("HTTP_IF_MATCH", b"if-match"),
    "if_unmodified_since": ("HTTP_IF_UNMODIFIED_SINCE", b"if-unmodified-since"),
    "range": ("HTTP_RANGE", b"range"),
    "if_range": ("HTTP_IF_RANGE", b"if-range"),
    "origin": ("HTTP_ORIGIN", b"origin"),
}


def _built_by_both(builders: Any) -> None:
    """Each header lands in its own field, by name, from both builders."""
    environ_builder, scope_builder, record_type = builders
    assert set(_FIELD_SOURCES) | {"method", "path", "query", "raw_path", "mount"} == set(
        record_type._fields
    )
    for field, (key, header) in _FIELD_SOURCES.items():
        value = f"value of {field}"
        environ = {"QUERY_STRING": "a=1", key: value}
        record = environ_builder(environ, "GET", "/x", "/x?a=1", "/m")
        scope = {
            "method": "HEAD",
            "path": "/y",
            "query_string": b"b=2",
            "raw_path": b"/y",
            "headers": [(header, value.encode())],
        }
        from_scope = scope_builder(scope, None, "/n")
        for built, expected in (
            (record, {"method": "GET", "path": "/x", "query": "a=1", "raw_path": "/x?a=1"}),
            (from_scope, {"method": "HEAD", "path": "/y", "query": "b=2", "raw_path": b"/y"}),
        ):
            assert getattr(built, field) == value
            assert {name: getattr(built, name) for name in expected} == expected
            others = set(_FIELD_SOURCES) - {field}
            assert all(getattr(built, name) is None for name in others)
        assert (record.mount, from_scope.mount) == ("/m", "/n")


def test_request_records_are_built_by_field_name() -> None:
    from servestatic.asgi import request_from_scope
    from servestatic.http.environ import request_from_environ

    _built_by_both((request_from_environ, request_from_scope, Request))
    scope = {
        "method": "HEAD",
        "path": "/y",
        "headers": [(b"if-none-match", b'"a"'), (b"if-none-match", b'"b"')],
    }
    assert request_from_scope(scope) == Request("HEAD", "/y", "", if_none_match='"a", "b"')


def test_reordering_the_request_fields_cannot_break_the_builders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The builders take positions from ``Request._fields`` by name: loaded against a record
    whose fields are in reverse order, they still fill every field right."""
    import collections
    import importlib.util

    import servestatic.http.records

    order = list(reversed(Request._fields))
    shuffled = collections.namedtuple("Request", order, defaults=[""] * len(order))  # type: ignore[misc]
    monkeypatch.setattr(servestatic.http.records, "Request", shuffled)
    loaded = []
    for name in ("servestatic.http.environ", "servestatic.asgi"):
        spec = importlib.util.find_spec(name)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        loaded.append(module)
    environ_builder, scope_builder = (
        loaded[0].request_from_environ,
        loaded[1].request_from_scope,
    )
    assert type(environ_builder({}, "GET", "/x", None)) is shuffled
    defaults = dict.fromkeys(_FIELD_SOURCES, None)
    for field, (key, header) in _FIELD_SOURCES.items():
        record = environ_builder({key: "v"}, "GET", "/x", "/x", "/m")
        assert record._asdict() == {
            **defaults,
            "method": "GET",
            "path": "/x",
            "query": "",
            "raw_path": "/x",
            "mount": "/m",
            field: "v",
        }
        scope = {"method": "GET", "path": "/x", "raw_path": b"/x", "headers": [(header, b"v")]}
        assert scope_builder(scope, None, "/m")._asdict() == {
            **defaults,
            "method": "GET",
            "path": "/x",
            "query": "",
            "raw_path": b"/x",
            "mount": "/m",
            field: "v",
        }


def test_file_deleted_after_start_up_falls_through_to_the_application(
    adapter: str, site: Path
) -> None:
    """The index still lists the file; opening it fails; the entry is dropped and the
    request goes to the wrapped application, as a miss would."""
    from tests.client import make_server

    big = write(site / "big.bin", b"z" * 300_000)  # not from the memory cache

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "3")])
        return [b"app"]

    async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"app"})

    server = make_server(adapter, wsgi_app if adapter == "wsgi" else asgi_app, site)
    assert server.get("/big.bin").status == 200
    big.unlink()
    response = server.get("/big.bin")
    assert response.body == b"app"
    assert server.get("/big.bin").body == b"app"  # and the entry is gone for good


def test_remembered_autorefresh_entries_are_bounded(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servestatic.serve import sources

    monkeypatch.setattr(sources, "BUILT_LIMIT", 3)
    engine = _engine(site, autorefresh=True)
    live = engine.file_source
    assert isinstance(live, sources.LiveDirectory)
    for name in ["app.js", "style.css", "data.bin", "empty.txt", "with space.txt"]:
        assert engine.handle(Request("GET", "/" + name)) is not None
        assert len(live._built) <= 3
    assert engine.handle(Request("GET", "/app.js")) is not None


def test_stat_file_below_a_root_checks_only_what_is_below_it(tmp_path: Path) -> None:
    from servestatic.serve.index import stat_file

    root = tmp_path / "root"
    target = write(root / "a" / "file.txt", "data")
    options: dict[str, Any] = {
        "encodings": frozenset({"gzip"}),
        "real_root": None,
        "allow_unsafe_symlinks": False,
    }
    found = stat_file(str(target), "/a/file.txt", root=str(root), **options)
    assert found is not None
    assert found.size == 4
    # A path that is not below the given root, or that has dot segments, takes the full
    # realpath check (and is still served when it really is inside).
    assert stat_file(str(target), "/x", root=str(tmp_path / "other"), **options) is None
    dotted = f"{root}/a/../a/file.txt"
    assert stat_file(dotted, "/a/file.txt", root=str(root), **options) is not None
    outside = write(tmp_path / "secret.txt", "secret")
    (root / "a" / "link.txt").symlink_to(outside)
    assert stat_file(str(root / "a" / "link.txt"), "/a/link.txt", root=str(root), **options) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("app.js", True),
        ("with space.txt", True),
        ("naïve café.txt", True),
        ("\u00a0nbsp.txt", True),  # not "printable" to Python, still a valid name
        ("tab\tname.txt", False),
        ("line\nfeed.txt", False),
        ("del\x7f.txt", False),
        ("nul\x00.txt", False),
        ("bad\udcff.txt", False),  # undecodable byte, kept by surrogateescape
    ],
)
def test_index_refuses_names_with_control_characters_or_bad_bytes(
    name: str, expected: bool
) -> None:
    """The ASCII shortcut and the general check agree on every kind of name."""
    assert _encodable(name) is expected
