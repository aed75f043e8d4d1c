"""HTTP behaviour of served files, through both adapters and both index modes.

Every test takes ``serve`` (WSGI/ASGI × static/autorefresh), so one body covers the four
combinations; expectations are RFC 9110 unless a test says it pins ServeStatic's value.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest

from tests.conftest import CSS, JS, Serve, write

VARY_AE = "Accept-Encoding"


def test_plain_get(serve: Serve, site: Path) -> None:
    response = serve(site).get("/app.js")
    assert response.status == 200
    assert response.body == JS
    assert response.header("content-type") == "text/javascript; charset=utf-8"
    assert response.header("content-length") == str(len(JS))
    assert response.header("cache-control") == "max-age=60, public"
    assert response.header("access-control-allow-origin") == "*"
    assert response.header("accept-ranges") == "bytes"
    assert response.header("vary") == VARY_AE
    assert response.header("content-encoding") is None
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', response.header("etag") or "")
    assert (
        response.header(
            "last-modified",
        )
        is not None
    )


def test_head_has_headers_and_no_body(serve: Serve, site: Path) -> None:
    server = serve(site)
    get, head = server.get("/style.css"), server.head("/style.css")
    assert head.status == 200
    assert head.body == b""
    assert head.header_list == get.header_list


@pytest.mark.parametrize(
    ("accept", "coding", "decode"),
    [
        ("gzip", "gzip", gzip.decompress),
        ("br", "br", brotli.decompress),
        ("gzip, br, zstd", None, None),  # smallest of the three
        ("identity", None, None),
    ],
)
def test_negotiated_variants(
    serve: Serve, site: Path, accept: str, coding: str | None, decode: object
) -> None:
    response = serve(site).get("/app.js", {"Accept-Encoding": accept})
    assert response.status == 200
    assert response.header("vary") == VARY_AE
    if accept == "identity":
        assert response.header("content-encoding") is None
        assert response.body == JS
    elif coding is not None and callable(decode):
        assert response.header("content-encoding") == coding
        assert decode(response.body) == JS
    else:
        sizes = {
            name: (site / f"app.js{suffix}").stat().st_size
            for name, suffix in [("gzip", ".gz"), ("br", ".br"), ("zstd", ".zst")]
        }
        assert response.header("content-encoding") == min(sizes, key=lambda name: sizes[name])
    assert response.header("content-length") == str(len(response.body))


def test_each_representation_has_its_own_etag(serve: Serve, site: Path) -> None:
    server = serve(site)
    tags = {
        server.get("/app.js", {"Accept-Encoding": accept}).header("etag")
        for accept in ["identity", "gzip", "br", "zstd"]
    }
    assert len(tags) == 4


def test_q_zero_identity_and_no_variant_is_406(serve: Serve, site: Path) -> None:
    response = serve(site).get("/empty.txt", {"Accept-Encoding": "identity;q=0"})
    assert response.status == 406


def test_no_vary_for_files_without_variants(serve: Serve, site: Path) -> None:
    assert serve(site).get("/data.bin").header("vary") is None


def test_variants_are_not_addressable(serve: Serve, site: Path) -> None:
    server = serve(site)
    for path in ["/app.js.gz", "/app.js.br", "/app.js.zst"]:
        assert server.get(path).status == 404


def test_orphan_variant_is_served_as_itself(serve: Serve, site: Path) -> None:
    response = serve(site).get("/orphan.txt.gz", {"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.header("content-encoding") is None
    assert response.header("content-type") == "application/gzip"
    assert gzip.decompress(response.body) == b"orphan"


def test_variant_larger_than_original_is_ignored(serve: Serve, tmp_path: Path) -> None:
    write(tmp_path / "tiny.txt", "ab")
    write(tmp_path / "tiny.txt.gz", gzip.compress(b"ab"))  # gzip adds ~20 bytes
    response = serve(tmp_path).get("/tiny.txt", {"Accept-Encoding": "gzip"})
    assert response.header("content-encoding") is None
    assert response.body == b"ab"
    assert response.header("vary") is None


# ----------------------------------------------------------------------- validators, 304


def test_if_none_match_gives_304_with_the_rfc_subset(serve: Serve, site: Path) -> None:
    server = serve(site)
    first = server.get("/app.js", {"Accept-Encoding": "br"})
    response = server.get(
        "/app.js", {"Accept-Encoding": "br", "If-None-Match": first.header("etag") or ""}
    )
    assert response.status == 304
    assert response.body == b""
    assert response.header("etag") == first.header("etag")
    assert response.header("cache-control") == "max-age=60, public"
    assert response.header("vary") == VARY_AE
    assert response.header("access-control-allow-origin") == "*"
    assert response.header("content-type") is None
    assert response.header("content-length") is None
    assert response.header("content-encoding") is None


def test_weak_and_listed_etags_match(serve: Serve, site: Path) -> None:
    server = serve(site)
    etag = server.get("/style.css").header("etag")
    for value in [f"W/{etag}", f'"nope", {etag}', "*"]:
        assert server.get("/style.css", {"If-None-Match": value}).status == 304


def test_etag_of_another_encoding_does_not_match(serve: Serve, site: Path) -> None:
    server = serve(site)
    gzip_tag = server.get("/app.js", {"Accept-Encoding": "gzip"}).header("etag") or ""
    assert server.get("/app.js", {"If-None-Match": gzip_tag}).status == 200


def test_if_modified_since(serve: Serve, site: Path) -> None:
    server = serve(site)
    last_modified = server.get("/style.css").header("last-modified") or ""
    assert server.get("/style.css", {"If-Modified-Since": last_modified}).status == 304
    assert (
        server.get("/style.css", {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:10 GMT"}).status
        == 200
    )
    assert server.get("/style.css", {"If-Modified-Since": "garbage"}).status == 200
    # If-None-Match wins over If-Modified-Since.
    both = {"If-None-Match": '"stale"', "If-Modified-Since": last_modified}
    assert server.get("/style.css", both).status == 200


def test_head_304(serve: Serve, site: Path) -> None:
    server = serve(site)
    etag = server.get("/style.css").header("etag") or ""
    assert server.head("/style.css", {"If-None-Match": etag}).status == 304


def test_if_match_and_if_unmodified_since_412(serve: Serve, site: Path) -> None:
    server = serve(site)
    assert server.get("/style.css", {"If-Match": '"other"'}).status == 412
    assert (
        server.get("/style.css", {"If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:10 GMT"}).status
        == 412
    )
    etag = server.get("/style.css").header("etag") or ""
    assert server.get("/style.css", {"If-Match": etag}).status == 200


def test_etag_does_not_depend_on_the_time_zone(
    serve: Serve, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    utc = serve(site).get("/style.css").header("etag")
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert serve(site).get("/style.css").header("etag") == utc
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_zero_mtime_files_get_a_content_etag_and_no_last_modified(
    serve: Serve, tmp_path: Path
) -> None:
    import os

    path = write(tmp_path / "reproducible.txt", "built by nix")
    os.utime(path, (0, 0))
    response = serve(tmp_path).get("/reproducible.txt")
    assert response.header("last-modified") is None
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.header("etag") or "")


def test_content_etags_are_identical_across_copies(
    serve: Serve, site: Path, tmp_path: Path
) -> None:
    import os
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(site, copy)
    os.utime(copy / "style.css", (1_000_000_000, 1_000_000_000))
    first = serve(site, etag="content").get("/style.css").header("etag")
    second = serve(copy, etag="content").get("/style.css").header("etag")
    assert first == second
    assert re.fullmatch(r'"[0-9a-f]{32}"', first or "")


# ----------------------------------------------------------------------- ranges


def test_single_range(serve: Serve, site: Path) -> None:
    data = (site / "data.bin").read_bytes()
    response = serve(site).get("/data.bin", {"Range": "bytes=10-19"})
    assert response.status == 206
    assert response.body == data[10:20]
    assert response.header("content-range") == f"bytes 10-19/{len(data)}"
    assert response.header("content-length") == "10"
    assert response.header("etag") is not None


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=-5", -5, None),
        ("bytes=10230-", 10230, None),
        ("bytes=0-0", 0, 1),
        ("Bytes=0-99999", 0, None),
    ],
)
def test_range_shapes(serve: Serve, site: Path, header: str, start: int, end: int | None) -> None:
    data = (site / "data.bin").read_bytes()
    response = serve(site).get("/data.bin", {"Range": header})
    assert response.status == 206
    assert response.body == data[start:end]


def test_unsatisfiable_range_is_416_with_base_headers(serve: Serve, site: Path) -> None:
    size = (site / "data.bin").stat().st_size
    for header in [f"bytes={size}-", "bytes=-0"]:
        response = serve(site).get("/data.bin", {"Range": header})
        assert response.status == 416
        assert response.header("content-range") == f"bytes */{size}"
        assert response.header("access-control-allow-origin") == "*"
        # No freshness: a shared cache must not keep a 416 for the plain URL (RFC 9111 §3).
        assert response.header("cache-control") is None
        assert response.header("etag") is not None
        assert response.body == b""


def test_unsatisfiable_range_of_an_immutable_file_is_not_cacheable(
    serve: Serve, site: Path
) -> None:
    server = serve(site)
    assert server.get("/app.db8f2edc0c8a.js").header("cache-control") == (
        "max-age=315360000, public, immutable"
    )
    response = server.get("/app.db8f2edc0c8a.js", {"Range": "bytes=99999-"})
    assert response.status == 416
    assert response.header("cache-control") is None


def test_empty_file_range_is_416(serve: Serve, site: Path) -> None:
    response = serve(site).get("/empty.txt", {"Range": "bytes=0-"})
    assert response.status == 416
    assert response.header("content-range") == "bytes */0"
    assert response.header("cache-control") is None


@pytest.mark.parametrize("header", ["bytes=abc", "bytes=5-2", "lines=1-2", "bytes=0-,0-"])
def test_malformed_or_excessive_range_gets_the_whole_file(
    serve: Serve, site: Path, header: str
) -> None:
    response = serve(site).get("/data.bin", {"Range": header})
    assert response.status == 200
    assert response.body == (site / "data.bin").read_bytes()


def test_range_on_head_is_ignored(serve: Serve, site: Path) -> None:
    response = serve(site).head("/data.bin", {"Range": "bytes=0-9"})
    assert response.status == 200
    assert response.header("content-length") == str((site / "data.bin").stat().st_size)


def test_range_applies_to_the_encoded_representation(serve: Serve, site: Path) -> None:
    encoded = (site / "app.js.br").read_bytes()
    response = serve(site).get("/app.js", {"Accept-Encoding": "br", "Range": "bytes=0-3"})
    assert response.status == 206
    assert response.header("content-encoding") == "br"
    assert response.body == encoded[:4]
    assert response.header("content-range") == f"bytes 0-3/{len(encoded)}"
    assert response.header("vary") == VARY_AE


def test_if_range(serve: Serve, site: Path) -> None:
    server = serve(site)
    full = server.get("/data.bin")
    etag, modified = full.header("etag") or "", full.header("last-modified") or ""
    assert server.get("/data.bin", {"Range": "bytes=0-9", "If-Range": etag}).status == 206
    assert server.get("/data.bin", {"Range": "bytes=0-9", "If-Range": modified}).status == 206
    assert server.get("/data.bin", {"Range": "bytes=0-9", "If-Range": '"changed"'}).status == 200
    assert server.get("/data.bin", {"Range": "bytes=0-9", "If-Range": f"W/{etag}"}).status == 200


def test_multipart_byteranges(serve: Serve, site: Path) -> None:
    data = (site / "data.bin").read_bytes()
    response = serve(site).get("/data.bin", {"Range": "bytes=0-9, 100-109, 5-12"})
    assert response.status == 206
    content_type = response.header("content-type") or ""
    match = re.fullmatch(r"multipart/byteranges; boundary=(\w+)", content_type)
    assert match
    boundary = match.group(1).encode()
    assert response.header("content-length") == str(len(response.body))
    parts = response.body.split(b"--" + boundary)
    assert parts[-1] == b"--\r\n"
    bodies = []
    for part in parts[1:-1]:
        head, _, body = part.partition(b"\r\n\r\n")
        assert b"Content-Type: application/octet-stream" in head
        bodies.append((head, body.removesuffix(b"\r\n")))
    # 0-9 and 5-12 coalesce into 0-12.
    assert [body for _, body in bodies] == [data[0:13], data[100:110]]
    assert b"Content-Range: bytes 0-12/10240" in bodies[0][0]


def test_multipart_disabled_gives_200(serve: Serve, site: Path) -> None:
    response = serve(site, ranges={"multipart": False}).get("/data.bin", {"Range": "bytes=0-1,5-6"})
    assert response.status == 200


def test_ranges_disabled(serve: Serve, site: Path) -> None:
    response = serve(site, ranges={"enabled": False}).get("/data.bin", {"Range": "bytes=0-1"})
    assert response.status == 200
    assert response.header("accept-ranges") is None


# ----------------------------------------------------------------------- methods


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_a_file_are_405(serve: Serve, site: Path, method: str) -> None:
    response = serve(site).request(method, "/app.js")
    assert response.status == 405
    assert response.header("allow") == "GET, HEAD, OPTIONS"  # OPTIONS is answered (204)
    assert response.body == b""


def test_options_is_answered_with_allow_and_cors(serve: Serve, site: Path) -> None:
    response = serve(site).request("OPTIONS", "/app.js", {"Origin": "https://a.example"})
    assert response.status == 204
    assert response.header("allow") == "GET, HEAD, OPTIONS"
    assert response.header("access-control-allow-origin") == "*"
    assert "GET" in (response.header("access-control-allow-methods") or "")


def test_other_methods_on_unknown_paths_go_to_the_app(serve: Serve, site: Path) -> None:
    def app(environ: dict[str, object], start_response: object) -> list[bytes]:
        raise AssertionError  # pragma: no cover

    server = serve(site)
    assert server.request("POST", "/nothing-here").status == 404  # standalone


# ----------------------------------------------------------------------- headers


def test_immutable_default_regex(serve: Serve, site: Path) -> None:
    response = serve(site).get("/app.db8f2edc0c8a.js")
    assert response.header("cache-control") == "max-age=315360000, public, immutable"


def test_immutable_file_test_regex_and_callable(serve: Serve, site: Path) -> None:
    assert (
        serve(site, immutable_file_test=r"\.css$").get("/style.css").header("cache-control")
        == "max-age=315360000, public, immutable"
    )
    response = serve(site, immutable_file_test=lambda path, url: url.endswith(".js")).get("/app.js")
    assert response.header("cache-control") == "max-age=315360000, public, immutable"


def test_max_age_none_and_zero(serve: Serve, site: Path) -> None:
    assert serve(site, max_age=None).get("/style.css").header("cache-control") is None
    assert serve(site, max_age=0).get("/style.css").header("cache-control") == "max-age=0, public"


def test_allow_all_origins_off(serve: Serve, site: Path) -> None:
    assert (
        serve(site, allow_all_origins=False).get("/style.css").header("access-control-allow-origin")
        is None
    )


def test_charset_and_mimetypes(serve: Serve, site: Path) -> None:
    server = serve(
        site,
        charset="latin-1",
        mimetypes={".css": "text/x-special", "data.bin": "application/x-data"},
    )
    assert server.get("/style.css").header("content-type") == "text/x-special; charset=latin-1"
    assert server.get("/data.bin").header("content-type") == "application/x-data"


def test_add_headers_function(serve: Serve, site: Path) -> None:
    calls: list[str] = []

    def hook(headers: object, path: str, url: str) -> None:
        calls.append(url)
        headers["X-Served-By"] = "hook"  # type: ignore[index]

    server = serve(site, add_headers_function=hook)
    response = server.get("/style.css")
    assert response.header("x-served-by") == "hook"
    server.get("/style.css")
    if not server.app.settings.autorefresh:
        # Called once per file at start-up, not per request.
        assert calls.count("/style.css") == 1


def test_cors_allow_list_echoes_the_origin_with_vary(serve: Serve, site: Path) -> None:
    server = serve(site, cors={"allow_origins": ["https://app.example"]})
    allowed = server.get("/style.css", {"Origin": "https://app.example"})
    assert allowed.header("access-control-allow-origin") == "https://app.example"
    assert "Origin" in (allowed.header("vary") or "")
    other = server.get("/style.css", {"Origin": "https://evil.example"})
    assert other.header("access-control-allow-origin") is None
    assert "Origin" in (other.header("vary") or "")
    etag = allowed.header("etag") or ""
    revalidated = server.get("/style.css", {"Origin": "https://app.example", "If-None-Match": etag})
    assert revalidated.status == 304
    assert revalidated.header("access-control-allow-origin") == "https://app.example"


def test_rule_setting_allow_origin_wins_over_the_cors_allow_list(serve: Serve, site: Path) -> None:
    # Two Access-Control-Allow-Origin headers make browsers refuse the response, so the
    # rule's value (rules sit above [cors]) is the only one, for any origin and on a 304.
    rules = [{"match": "/style.css", "headers": {"Access-Control-Allow-Origin": "*"}}]
    server = serve(site, rules=rules, cors={"allow_origins": ["https://app.example"]})
    for path, value in (("/style.css", "*"), ("/app.js", "https://app.example")):
        response = server.get(path, {"Origin": "https://app.example"})
        assert response.count("access-control-allow-origin") == 1
        assert response.header("access-control-allow-origin") == value
        etag = response.header("etag") or ""
        revalidated = server.get(path, {"Origin": "https://app.example", "If-None-Match": etag})
        assert revalidated.status == 304
        assert revalidated.count("access-control-allow-origin") == 1
    # The rule's value does not depend on Origin, so only the allow-list file varies on it.
    assert "Origin" not in (server.get("/style.css").header("vary") or "")
    assert "Origin" in (server.get("/app.js").header("vary") or "")
    preflight = server.request("OPTIONS", "/style.css", {"Origin": "https://app.example"})
    assert preflight.count("access-control-allow-origin") == 1


def test_security_preset(serve: Serve, site: Path) -> None:
    response = serve(site, security={"preset": "basic", "hsts": "max-age=63072000"}).get(
        "/style.css"
    )
    assert response.header("x-content-type-options") == "nosniff"
    assert response.header("referrer-policy") == "strict-origin-when-cross-origin"
    assert response.header("strict-transport-security") == "max-age=63072000"


def test_rule_vary_is_merged_not_replaced(serve: Serve, site: Path) -> None:
    rules = [{"match": "/app.js", "headers": {"Vary": "Cookie"}}]
    assert serve(site, rules=rules).get("/app.js").header("vary") == "Cookie, Accept-Encoding"


# ----------------------------------------------------------------------- paths, index, misses


def test_non_ascii_and_space_names(serve: Serve, site: Path) -> None:
    server = serve(site)
    assert server.get("/naïve café.txt").body == b"unicode name"
    assert server.get("/with space.txt").body == b"space"


@pytest.mark.filterwarnings("ignore:Skipping")
def test_names_no_canonical_url_can_reach_are_misses_in_both_modes(
    serve: Serve, tmp_path: Path
) -> None:
    """Request paths with ':', '\\', a trailing dot or space, or a Windows device name are
    refused on every OS; the start-up index leaves such files out too (with a warning), so
    both index modes answer the same, and a legal neighbour is still served."""
    names = ["CON.txt", "nul", "trail.", "trail ", "a:b.txt", "a\\b.txt", "http:/inside.txt"]
    for name in names:
        write(tmp_path / name, "hidden")
    write(tmp_path / "ok.txt", "ok")
    server = serve(tmp_path)
    for name in names:
        for target in ("/" + name, "/" + name.split("/")[0]):
            response = server.get(target)
            assert response.status == 404, (target, response.status)
            assert response.body != b"hidden"
    assert server.get("/ok.txt").body == b"ok"


def test_scan_says_why_a_name_is_left_out(tmp_path: Path) -> None:
    from servestatic.config import Settings
    from servestatic.wsgi import ServeStatic

    write(tmp_path / "CON.txt", "x")
    write(tmp_path / "fine.txt", "x")
    from tests.startup import startup_messages

    with startup_messages() as messages:
        app = ServeStatic(None, settings=Settings(root=tmp_path))
    assert any(re.search(r"CON\.txt.*a URL cannot name it", message) for message in messages)
    assert set(app.engine.files) == {"/fine.txt"}


def test_dotfiles_hidden_except_well_known(serve: Serve, site: Path) -> None:
    server = serve(site)
    assert server.get("/.hidden").status == 404
    assert server.get("/.well-known/security.txt").status == 200
    assert serve(site, hidden={"serve_dotfiles": True}).get("/.hidden").status == 200


@pytest.fixture
def well_known(site: Path) -> Path:
    write(site / ".well-known" / ".git" / "config", "[core]")
    write(site / ".well-known" / ".secret", "secret")
    write(site / ".well-known" / ".env", "TOKEN=1")
    write(site / ".well-known" / "acme-challenge" / "token", "proof")
    write(site / ".well-known" / "acme-challenge" / ".cache" / "x", "cache")
    return site


def test_the_default_allow_list_opens_well_known_not_dotfiles_below_it(
    serve: Serve, well_known: Path
) -> None:
    """Issue 13: ``allow = ["/.well-known/**"]`` used to serve ``/.well-known/.git/config``
    too. A wildcard never opens a dot segment; the index and autorefresh agree."""
    server = serve(well_known)
    assert server.get("/.well-known/security.txt").status == 200
    assert server.get("/.well-known/acme-challenge/token").body == b"proof"
    for url in (
        "/.well-known/.git/config",
        "/.well-known/.secret",
        "/.well-known/.env",
        "/.well-known/acme-challenge/.cache/x",
        "/.git/config",
    ):
        assert server.get(url).status == 404, url


def test_a_pattern_that_names_a_dot_segment_opens_it(serve: Serve, well_known: Path) -> None:
    server = serve(well_known, hidden={"allow": ["/.well-known/**", "/.well-known/.secret"]})
    assert server.get("/.well-known/.secret").body == b"secret"
    assert server.get("/.well-known/.env").status == 404
    assert server.get("/.well-known/.git/config").status == 404
    # A pattern segment that starts with "." names dot segments: here any one under .well-known.
    dotted = serve(well_known, hidden={"allow": ["/.well-known/.*", "/.well-known/.git/**"]})
    assert dotted.get("/.well-known/.env").status == 200
    assert dotted.get("/.well-known/.git/config").status == 200
    assert dotted.get("/.well-known/security.txt").status == 404  # not named any more
    everything = serve(well_known, hidden={"serve_dotfiles": True})
    assert everything.get("/.well-known/acme-challenge/.cache/x").status == 200


def test_the_index_does_not_walk_hidden_directories_nothing_allows(well_known: Path) -> None:
    from servestatic.config import Settings
    from servestatic.wsgi import ServeStatic

    files = ServeStatic(None, settings=Settings(root=well_known)).files
    assert not [url for url in files if "/." in url.replace("/.well-known/", "/")]
    assert "/.well-known/acme-challenge/token" in files


def test_index_file(serve: Serve, site: Path) -> None:
    server = serve(site, index_file=True)
    assert server.get("/docs/").body == b"<h1>docs</h1>"
    assert server.get("/").body == b"<h1>home</h1>"
    redirect = server.get("/docs", query="a=1&b=2")
    assert redirect.status == 302
    assert redirect.header("location") == "docs/?a=1&b=2"
    assert redirect.header("cache-control") == "max-age=60, public"
    to_dir = server.get("/docs/index.html", query="x=1")
    assert to_dir.status == 302
    assert to_dir.header("location") == "./?x=1"


def test_index_file_by_name(serve: Serve, tmp_path: Path) -> None:
    write(tmp_path / "d" / "default.htm", "x")
    server = serve(tmp_path, index_file="default.htm")
    assert server.get("/d/").body == b"x"


def test_index_redirect_never_leaves_the_site(serve: Serve, site: Path) -> None:
    server = serve(site, index_file=True)
    for path in ["//evil.example", "//evil.example/", "/\\evil.example", "/docs//", "/%2F%2Fevil"]:
        response = server.get(path)
        location = response.header("location") or ""
        assert not location.startswith(("//", "/\\", "\\")), (path, location)


def test_prefix(serve: Serve, site: Path) -> None:
    server = serve(site, prefix="/static")
    assert server.get("/static/app.js").status == 200
    assert server.get("/app.js").status == 404
    assert server.get("/staticapp.js").status == 404


@pytest.mark.parametrize(
    "path",
    [
        "/../site/app.js",
        "/./app.js",
        "//app.js",
        "/app.js/",
        "/APP.JS",
        "/app.js%00",
        "/app.js\x00",
    ],
)
def test_non_canonical_paths_miss(serve: Serve, site: Path, path: str) -> None:
    assert serve(site).get(path).status == 404


def test_encoded_slash_in_raw_path_misses(serve: Serve, site: Path) -> None:
    write(site / "a" / "b.txt", "b")
    server = serve(site)
    raw: str | bytes = "/a%2Fb.txt" if server.kind == "wsgi" else b"/a%2Fb.txt"
    assert server.get("/a/b.txt", raw_path=raw).status == 404
    assert server.get("/a/b.txt").status == 200


def test_misses_reach_the_wrapped_application(adapter: str, mode: str, site: Path) -> None:
    from tests.client import make_server

    if adapter == "wsgi":

        def wsgi_app(environ: dict[str, object], start_response: object) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
            return [f"app {environ['PATH_INFO']}".encode()]

        app: object = wsgi_app
    else:

        async def asgi_app(scope: dict[str, object], receive: object, send: object) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
            await send({"type": "http.response.body", "body": f"app {scope['path']}".encode()})  # type: ignore[operator]

        app = asgi_app
    server = make_server(adapter, app, site, autorefresh=mode == "autorefresh")
    assert server.get("/missing.js").body == b"app /missing.js"
    assert server.request("POST", "/nothing").body == b"app /nothing"
    assert server.get("/app.js").body == JS


def test_css_fixture_served(serve: Serve, site: Path) -> None:
    assert serve(site).get("/style.css").body == CSS
