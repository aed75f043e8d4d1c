"""Configuration-driven features and the ServeStatic API, through both adapters."""

from __future__ import annotations

import gzip
import os
import warnings
from pathlib import Path
from typing import Any

import pytest

from servestatic import ServeStatic, ServeStaticASGI, Settings
from servestatic.config import ConfigError, load_settings
from tests.client import Response, make_server
from tests.conftest import JS, Serve, write
from tests.startup import startup_messages


def _comparable(response: Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [
        (k, v)
        for k, v in response.header_list
        if k.lower() != "content-type" or "multipart" not in v
    ]
    return response.status, headers, response.body


@pytest.mark.parametrize(
    "options",
    [
        {"max_age": 300, "index_file": True},
        {
            "allow_all_origins": False,
            "charset": "latin-1",
            "mimetypes": {".js": "application/x-js"},
        },
        {"immutable_file_test": r"\.css$", "max_age": None},
        {"autorefresh": True, "index_file": "index.html"},
    ],
)
def test_keywords_and_settings_behave_identically(
    adapter: str, site: Path, options: dict[str, Any]
) -> None:
    by_keywords = make_server(adapter, None, site, **options)
    by_settings = make_server(adapter, None, settings=Settings(root=site, **options))
    requests: list[tuple[str, dict[str, str]]] = [
        ("/app.js", {}),
        ("/app.js", {"Accept-Encoding": "br"}),
        ("/style.css", {}),
        ("/docs", {}),
        ("/docs/", {}),
        ("/data.bin", {"Range": "bytes=1-5"}),
        ("/missing", {}),
    ]
    for path, headers in requests:
        assert _comparable(by_keywords.get(path, headers)) == _comparable(
            by_settings.get(path, headers)
        ), path


def test_keywords_override_a_settings_object(adapter: str, site: Path) -> None:
    server = make_server(
        adapter, None, max_age=5, settings=Settings.model_validate({"root": site, "max_age": 100})
    )
    assert server.get("/style.css").header("cache-control") == "max-age=5, public"


def test_bad_keyword_value_raises_config_error(site: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"ServeStatic\(\) → max_age: Input should be greater than or equal to 0"
    ):
        ServeStatic(None, site, max_age=-1)
    with pytest.raises(ConfigError, match=r"ServeStatic\(\) → max_age: .* got -1"):
        ServeStatic(None, max_age=-1, settings=Settings.model_validate({"root": site}))


def test_keywords_over_a_settings_object_read_no_source_again(
    site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The given object already holds the environment and files it was built from; the
    keywords are validated on top of it alone (an unrelated variable set later, or a
    ``servestatic.toml`` in the working directory, changes nothing)."""
    settings = load_settings(environ={}, root=site, max_age=100)
    monkeypatch.setenv("SERVESTATIC_NOT_A_SETTING", "1")
    monkeypatch.setenv("SERVESTATIC_CHARSET", "latin-1")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "servestatic.toml").write_text("max_age = 7\n")
    app = ServeStatic(None, max_age=5, settings=settings)
    assert app.settings.max_age == 5
    assert app.settings.charset == "utf-8"
    assert app.loaded.source_of("max_age") == "ServeStatic()"
    assert app.loaded.source_of("root") == settings.source_of("root") == "code"
    # A settings object built in code: its values come from code, nothing else is read.
    plain = ServeStatic(None, settings=Settings.model_validate({"root": site, "max_age": 100}))
    assert (plain.settings.max_age, plain.settings.charset) == (100, "utf-8")
    assert plain.loaded.source_of("max_age") == "Settings()"


def test_environment_fills_what_keywords_leave(
    adapter: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVESTATIC_MAX_AGE", "77")
    monkeypatch.setenv("SERVESTATIC_INDEX_FILE", "true")
    server = make_server(adapter, None, site, index_file=False)
    response = server.get("/style.css")
    assert response.header("cache-control") == "max-age=77, public"
    assert server.get("/docs/").status == 404  # the keyword wins over the environment


def test_add_files_later_calls_win(serve: Serve, tmp_path: Path) -> None:
    write(tmp_path / "one" / "a.txt", "one")
    write(tmp_path / "one" / "only-one.txt", "1")
    write(tmp_path / "two" / "a.txt", "two")
    server = serve(tmp_path / "one")
    server.app.add_files(tmp_path / "two")
    server.app.add_files(tmp_path / "two", prefix="extra")
    assert server.get("/a.txt").body == b"two"
    assert server.get("/only-one.txt").body == b"1"
    assert server.get("/extra/a.txt").body == b"two"
    assert server.app.directories[-1] == (str(tmp_path / "two"), "/extra/")


def test_roots_with_prefixes(serve: Serve, tmp_path: Path) -> None:
    write(tmp_path / "static" / "app.css", "css")
    write(tmp_path / "media" / "photo.txt", "photo")
    server = serve(
        tmp_path / "static",
        prefix="/static/",
        roots=[{"path": str(tmp_path / "media"), "prefix": "/media/"}],
    )
    assert server.get("/static/app.css").body == b"css"
    assert server.get("/media/photo.txt").body == b"photo"
    assert server.get("/app.css").status == 404


def test_missing_root_warns_like_servestatic(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match=f"No directory at: {tmp_path / 'nope'}"):
        ServeStatic(None, tmp_path / "nope")
    with pytest.raises(ConfigError, match="No directory at"):
        ServeStatic(
            None, settings=Settings.model_validate({"root": tmp_path / "nope", "strict": True})
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ServeStatic(None, tmp_path / "nope", autorefresh=True)  # no warning in autorefresh


def test_spa_fallback(serve: Serve, tmp_path: Path) -> None:
    write(tmp_path / "index.html", "<app>")
    write(tmp_path / "assets" / "app.0123456789ab.js", "js")
    server = serve(
        tmp_path,
        spa={"fallback": "/index.html", "exclude": ["/api/**", "/**/*.*"]},
        rules=[
            {"match": "/assets/**", "immutable": True},
            {"match": "/index.html", "cache_control": "no-cache"},
        ],
    )
    response = server.get("/users/42/profile")
    assert (response.status, response.body) == (200, b"<app>")
    assert response.header("cache-control") == "no-cache"  # the fallback file's own headers
    etag = response.header("etag") or ""
    assert server.get("/users/42", {"If-None-Match": etag}).status == 304
    assert server.get("/assets/app.ffffffffffff.js").status == 404  # file-looking: a real miss
    assert server.get("/api/users").status == 404
    assert server.request("POST", "/users/42").status == 404
    assert (
        server.get("/assets/app.0123456789ab.js").header("cache-control")
        == "max-age=315360000, public, immutable"
    )


def test_a_missing_fallback_is_refused_at_start_up_never_per_request(tmp_path: Path) -> None:
    """``strict = true`` refuses a missing SPA fallback when the application starts. When
    the fallback file disappears later, the request that notices it is a miss (a warning),
    not a ConfigError escaping as a 500."""
    write(tmp_path / "ok.txt", "ok")
    config = {"root": tmp_path, "spa": {"fallback": "/app.html"}, "strict": True}
    with pytest.raises(ConfigError, match="the SPA fallback"):
        ServeStatic(None, settings=load_settings(config).settings)
    index = write(tmp_path / "app.html", "<app>" * 20_000)  # not from the memory cache
    server = make_server("wsgi", None, settings=load_settings(config).settings)
    assert server.get("/users/1").body == b"<app>" * 20_000
    index.unlink()
    assert server.get("/users/1").status == 404


def test_custom_404_page(serve: Serve, tmp_path: Path) -> None:
    write(tmp_path / "404.html", "<h1>lost</h1>")
    write(tmp_path / "ok.txt", "ok")
    server = serve(tmp_path, errors={"not_found": "/404.html"})
    response = server.get("/nothing/here")
    assert (response.status, response.body) == (404, b"<h1>lost</h1>")
    assert response.header("content-type") == "text/html; charset=utf-8"
    assert response.header("cache-control") == "no-cache"
    assert response.header("etag") is None
    assert server.head("/nothing").body == b""
    assert server.get("/ok.txt").status == 200
    # A missing resource is a 404 whatever the method (never a 405, which would say it
    # exists); only GET and HEAD get the page.
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        other = server.request(method, "/nothing/here")
        assert other.status == 404, method
        assert other.header("allow") is None
    assert server.request("POST", "/ok.txt").status == 405


def test_404_page_is_for_standalone_only(adapter: str, tmp_path: Path) -> None:
    write(tmp_path / "404.html", "lost")

    def wsgi_app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"app 404"]

    async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"app 404"})

    app = wsgi_app if adapter == "wsgi" else asgi_app
    server = make_server(
        adapter,
        app,
        settings=Settings.model_validate({"root": tmp_path, "errors": {"not_found": "/404.html"}}),
    )
    assert server.get("/missing").body == b"app 404"


def test_redirects(serve: Serve, tmp_path: Path) -> None:
    write(tmp_path / "old" / "page.html", "shadowed")
    write(tmp_path / "new" / "page.html", "new")
    server = serve(
        tmp_path,
        redirects=[
            {"from": "/old/*", "to": "/new/:splat", "status": 301},
            {
                "from": "/blog/:year/:slug",
                "to": "/posts/:slug?y=:year",
                "status": 308,
                "keep_query": False,
            },
            {"from": "/home", "to": "https://example.com/", "status": 302},
        ],
    )
    response = server.get("/old/page.html", query="a=1")
    assert (response.status, response.header("location")) == (301, "/new/page.html?a=1")
    response = server.get("/blog/2024/hello world", query="x=1")
    assert (response.status, response.header("location")) == (308, "/posts/hello%20world?y=2024")
    assert server.get("/home").header("location") == "https://example.com/"
    assert server.get("/new/page.html").body == b"new"


def test_redirect_captures_cannot_create_protocol_relative_targets(
    serve: Serve, tmp_path: Path
) -> None:
    write(tmp_path / "x.txt", "x")
    server = serve(tmp_path, redirects=[{"from": "/go/*", "to": "/:splat"}])
    for path in ["/go//evil.example", "/go/\\evil.example", "/go/%2F%2Fevil.example"]:
        location = server.get(path).header("location") or ""
        assert not location.startswith(("//", "/\\")), location


def test_allow_unsafe_symlinks(serve: Serve, tmp_path: Path) -> None:
    write(tmp_path / "outside" / "secret.txt", "outside")
    root = tmp_path / "root"
    write(root / "inside.txt", "inside")
    os.symlink(tmp_path / "outside" / "secret.txt", root / "link.txt")
    os.symlink(root / "inside.txt", root / "safe-link.txt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = serve(root)
    assert server.get("/link.txt").status == 404
    assert server.get("/safe-link.txt").body == b"inside"
    assert serve(root, allow_unsafe_symlinks=True).get("/link.txt").body == b"outside"


def test_broken_symlink_and_loop_are_skipped_with_a_warning(adapter: str, tmp_path: Path) -> None:
    write(tmp_path / "ok.txt", "ok")
    os.symlink(tmp_path / "nowhere", tmp_path / "broken.txt")
    (tmp_path / "loop").mkdir()
    os.symlink(tmp_path, tmp_path / "loop" / "back")
    with startup_messages() as caught:
        server = make_server(adapter, None, tmp_path)
    messages = " ".join(caught)
    assert "broken symlink" in messages
    assert "directory loop" in messages
    assert server.get("/ok.txt").body == b"ok"


def test_subclass_immutable_file_test(adapter: str, site: Path) -> None:
    base: type[Any] = ServeStatic if adapter == "wsgi" else ServeStaticASGI

    class Custom(base):  # type: ignore[misc]
        def immutable_file_test(self, path: str, url: str) -> bool:
            return url.endswith(".css")

    from tests.client import Server

    server = Server(adapter, Custom(None, site))
    assert (
        server.get("/style.css").header("cache-control") == "max-age=315360000, public, immutable"
    )
    assert server.get("/app.db8f2edc0c8a.js").header("cache-control") == "max-age=60, public"


def test_autorefresh_sees_new_and_changed_files(adapter: str, tmp_path: Path) -> None:
    server = make_server(adapter, None, tmp_path, autorefresh=True)
    assert server.get("/later.txt").status == 404
    write(tmp_path / "later.txt", "now here")
    assert server.get("/later.txt").body == b"now here"
    write(tmp_path / "later.txt", "changed!!")
    assert server.get("/later.txt").body == b"changed!!"


def test_autorefresh_rebuilds_when_the_file_or_its_variants_change(
    adapter: str, tmp_path: Path
) -> None:
    """Autorefresh remembers built entries per (size, mtime, variants): any change to one of
    them is a different file description and is built afresh."""
    data = b"x = 1;\n" * 200
    path = write(tmp_path / "app.js", data)
    server = make_server(adapter, None, tmp_path, autorefresh=True)
    gzip_header = {"Accept-Encoding": "gzip"}
    first = server.get("/app.js", gzip_header)
    assert first.header("content-encoding") is None
    assert server.get("/app.js", gzip_header).header("etag") == first.header("etag")
    write(tmp_path / "app.js.gz", gzip.compress(data, mtime=0))
    assert server.get("/app.js", gzip_header).header("content-encoding") == "gzip"
    (tmp_path / "app.js.gz").unlink()
    assert server.get("/app.js", gzip_header).header("content-encoding") is None
    os.utime(path, (2_000_000_000, 2_000_000_000))
    touched = server.get("/app.js")
    assert touched.header("etag") != first.header("etag")
    assert touched.header("last-modified") == "Wed, 18 May 2033 03:33:20 GMT"


def test_file_changed_after_startup_is_served_consistently(adapter: str, tmp_path: Path) -> None:
    big = b"a" * 200_000  # above the in-memory size, so it is read from disk
    path = write(tmp_path / "big.bin", big)
    small = write(tmp_path / "small.txt", "small")
    server = make_server(adapter, None, tmp_path)
    first = server.get("/big.bin")
    assert first.body == big
    path.write_bytes(b"b" * 100_000)
    os.utime(path, (2_000_000_000, 2_000_000_000))
    second = server.get("/big.bin")
    assert second.status == 200
    assert second.body == b"b" * 100_000
    assert second.header("content-length") == "100000"
    assert second.header("etag") != first.header("etag")
    small.unlink()
    assert server.get("/small.txt").status == 404
    path.unlink()
    assert server.get("/big.bin").status == 404


def test_small_files_are_served_from_memory_after_the_first_request(
    adapter: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(adapter, None, site)
    assert server.get("/style.css").status == 200
    import builtins

    def no_open(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a cached file was read again")

    monkeypatch.setattr(builtins, "open", no_open)
    assert server.get("/style.css").status == 200
    assert server.get("/style.css", {"Range": "bytes=0-3"}).body == b"body"


def test_application_none_standalone_miss(serve: Serve, site: Path) -> None:
    response = serve(site).get("/nothing")
    assert (response.status, response.body) == (404, b"Not Found")
    assert response.header("content-type") == "text/plain; charset=utf-8"


def test_js_fixture(serve: Serve, site: Path) -> None:
    assert serve(site).get("/app.js").body == JS


def test_content_etags_come_from_the_manifest_when_present(adapter: str, tmp_path: Path) -> None:
    import json

    write(tmp_path / "app.js", "x" * 100)
    recorded = "ab" * 32  # not the real digest: proves the file was not hashed again
    manifest = {"paths": {}, "version": "1.0", "files": {"app.js": {"size": 100, "hash": recorded}}}
    write(tmp_path / "staticfiles.json", json.dumps(manifest))
    server = make_server(
        adapter, None, settings=Settings.model_validate({"root": tmp_path, "etag": "content"})
    )
    assert server.get("/app.js").header("etag") == f'"{recorded[:32]}"'
    # A manifest entry whose size no longer matches is ignored.
    write(tmp_path / "app.js", "y" * 101)
    fresh = make_server(
        adapter, None, settings=Settings.model_validate({"root": tmp_path, "etag": "content"})
    )
    assert fresh.get("/app.js").header("etag") != f'"{recorded[:32]}"'


def test_no_pattern_is_matched_per_request_in_the_default_mode(
    adapter: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rules are folded into each file's headers once (at start-up, or when a deferred
    file is first requested: issue 19); every later request is a lookup."""
    from servestatic.http import glob as _glob
    from servestatic.serve.rules import CompiledRule

    rules = [{"match": "/**/*.js", "headers": {"X-Js": "1"}}, {"regex": r"\.css$", "max_age": 5}]
    server = make_server(
        adapter, None, settings=Settings.model_validate({"root": site, "rules": rules})
    )

    for url in ("/app.js", "/style.css"):
        assert server.get(url).status == 200  # built now, if deferred

    def forbidden(*args: Any, **kwargs: Any) -> bool:
        raise AssertionError("a pattern was matched during a request")

    monkeypatch.setattr(_glob.Glob, "match", forbidden)
    monkeypatch.setattr(CompiledRule, "matches", forbidden)
    assert server.get("/app.js").header("x-js") == "1"
    assert server.get("/style.css").header("cache-control") == "max-age=5, public"
    assert server.get("/missing.js").status == 404


def test_zstd_variants_with_either_suffix(serve: Serve, tmp_path: Path) -> None:
    import zstandard

    data = b"zstd me " * 200
    write(tmp_path / "a.txt", data)
    write(tmp_path / "a.txt.zstd", zstandard.ZstdCompressor().compress(data))
    write(tmp_path / "b.txt", data)
    write(tmp_path / "b.txt.zst", zstandard.ZstdCompressor().compress(data))
    server = serve(tmp_path)
    for name in ["/a.txt", "/b.txt"]:
        response = server.get(name, {"Accept-Encoding": "zstd"})
        assert response.header("content-encoding") == "zstd"
        assert zstandard.ZstdDecompressor().decompress(response.body) == data
    assert server.get("/a.txt.zstd").status == 404


def test_autorefresh_root_reached_through_a_symlink(adapter: str, tmp_path: Path) -> None:
    """A release directory behind a ``current`` symlink: only components below the root
    are checked, so the link that names the root does not hide its files."""
    release = tmp_path / "releases" / "1"
    write(release / "css" / "site.css", "body{}")
    write(release / "css" / "site.css.gz", gzip.compress(b"body{}" * 50, mtime=0))
    (tmp_path / "current").symlink_to(release, target_is_directory=True)
    server = make_server(adapter, None, tmp_path / "current", autorefresh=True)
    assert server.get("/css/site.css").body == b"body{}"
    outside = write(tmp_path / "secret.txt", "secret")
    (release / "css" / "leak.txt").symlink_to(outside)
    assert server.get("/css/leak.txt").status == 404
