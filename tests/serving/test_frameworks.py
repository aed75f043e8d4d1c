"""Issue 18 on the serving side: clean URLs and trailing slashes, original names from a
build manifest, framework presets, per-page hints and CSP hashes, Early Hints,
cross-origin isolation and Cache-Status. Every test runs over WSGI/ASGI and the start-up
index/autorefresh modes (the ``serve`` fixture), so both modes give the same answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servestatic.asgi import ServeStaticASGI
from servestatic.config import HintSettings, Settings
from servestatic.http.resolve import UrlPolicy, page_urls, resolve
from tests.build.helpers import write
from tests.client import call_asgi
from tests.conftest import Serve
from tests.startup import startup_messages

# ---------------------------------------------------------------------- clean URLs


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    write(root / "index.html", "home")
    write(root / "about.html", "about")
    write(root / "docs" / "index.html", "docs")
    write(root / "docs" / "guide.html", "guide")
    write(root / "both.html", "both file")
    write(root / "both" / "index.html", "both directory")
    write(root / "app.js", "js")
    return root


# path → (status, body or Location) for each trailing_slash policy (clean_urls on).
EXPECTED: dict[str, dict[str, tuple[int, str]]] = {
    "auto": {
        "/": (200, "home"),
        "/index.html": (308, "./"),
        "/about": (200, "about"),
        "/about/": (308, "../about"),
        "/about.html": (308, "about"),
        "/docs": (308, "docs/"),
        "/docs/": (200, "docs"),
        "/docs/guide": (200, "guide"),
        "/docs/guide.html": (308, "guide"),
        "/both": (200, "both file"),
        "/both/": (200, "both directory"),
        "/app.js": (200, "js"),
        "/app": (404, ""),
    },
    "add": {
        "/about": (308, "about/"),
        "/about/": (200, "about"),
        "/about.html": (308, "about/"),
        "/docs": (308, "docs/"),
        "/docs/": (200, "docs"),
        "/both": (308, "both/"),
        "/both/": (200, "both directory"),
        "/both.html": (200, "both file"),  # its clean URL belongs to the directory
    },
    "remove": {
        "/about": (200, "about"),
        "/about/": (308, "../about"),
        "/docs": (200, "docs"),
        "/docs/": (308, "../docs"),
        "/docs/index.html": (308, "../docs"),  # one hop, not ./ then ../docs
        "/both": (200, "both file"),
        "/both/": (200, "both directory"),  # /both is the file's: no redirect there
    },
    "ignore": {
        "/about": (200, "about"),
        "/about/": (200, "about"),
        "/docs": (200, "docs"),
        "/docs/": (200, "docs"),
        "/about.html": (308, "about"),
    },
}


@pytest.mark.parametrize("policy", sorted(EXPECTED))
def test_clean_urls_and_trailing_slash(serve: Serve, pages: Path, policy: str) -> None:
    server = serve(pages, index_file=True, clean_urls=True, trailing_slash=policy)
    for path, (status, expected) in EXPECTED[policy].items():
        response = server.get(path)
        assert response.status == status, path
        if status == 200:
            assert response.text == expected, path
        elif status in {302, 308}:
            assert response.header("location") == expected, path
            assert response.body == b""


def test_servestatic_index_redirects_are_unchanged(serve: Serve, pages: Path) -> None:
    """Without clean_urls, the default policy is ServeStatic's: 302 to the slash form,
    ``.html`` names served as they are."""
    server = serve(pages, index_file=True)
    assert server.get("/docs").status == 302
    assert server.get("/docs").header("location") == "docs/"
    assert server.get("/about.html").text == "about"
    assert server.get("/about").status == 404


def test_redirects_keep_the_query_and_never_chain(serve: Serve, pages: Path) -> None:
    server = serve(pages, index_file=True, clean_urls=True, trailing_slash="remove")
    response = server.get("/docs/index.html", query="a=1")
    assert response.header("location") == "../docs?a=1"
    assert server.get("/docs").status == 200


@st.composite
def trees(draw: Any) -> set[str]:
    names = st.sampled_from(["a", "b", "index"])
    files: set[str] = set()
    for _ in range(draw(st.integers(1, 6))):
        depth = draw(st.lists(names, min_size=0, max_size=2))
        leaf = draw(st.sampled_from(["index.html", "a.html", "b.html", "a", "b.js"]))
        files.add("/" + "/".join([*depth, leaf]))
    return files


@settings(max_examples=150, deadline=None)
@given(
    trees(),
    st.sampled_from(["auto", "add", "remove", "ignore"]),
    st.booleans(),
    st.sampled_from(["/", "/a", "/a/", "/a.html", "/a/index.html", "/index", "/b", "/b/"]),
)
def test_a_redirect_leads_to_a_file_in_one_hop(
    files: set[str], slash: str, clean: bool, start: str
) -> None:
    """The canonical redirect lands on a URL that serves a file (never a second redirect,
    never a loop), and the start-up index (candidates from page_urls) covers every URL
    resolve() answers for."""
    policy = UrlPolicy("index.html", clean, slash)
    found = resolve(start, policy, files.__contains__)
    if found is None or found[0] == "file":
        return
    base = start.rsplit("/", 1)[0] + "/"
    location = found[1]
    target = location
    if location == "./":
        target = base
    elif location.startswith("../"):
        target = base[:-1].rsplit("/", 1)[0] + "/" + location[3:]
    else:
        target = base + location
    after = resolve(target, policy, files.__contains__)
    assert after is not None
    assert after[0] == "file", (start, target, after)
    candidates = {url for file in files for url in page_urls(file, policy)}
    assert start in candidates or start in files


# ---------------------------------------------------------------------- original names


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """What ``servestatic SRC DEST --hash --manifest`` leaves (ServeStatic's layout): only
    hashed names on disk, the originals in ``staticfiles.json``."""
    root = tmp_path / "dist"
    write(root / "css" / "app.0123456789ab.css", "body{}")
    write(root / "js" / "app.ba9876543210.js", "1")
    write(root / "index.ef990f2c87fd.html", "<h1>home</h1>")
    paths = {
        "css/app.css": "css/app.0123456789ab.css",
        "js/app.js": "js/app.ba9876543210.js",
        "index.html": "index.ef990f2c87fd.html",
        "../escape.txt": "css/app.0123456789ab.css",  # ignored: not a name below the root
    }
    write(root / "staticfiles.json", json.dumps({"paths": paths, "version": "1.0"}))
    return root


def test_original_names_answer_with_the_hashed_file(serve: Serve, built: Path) -> None:
    server = serve(built, index_file=True)
    original = server.get("/css/app.css")
    hashed = server.get("/css/app.0123456789ab.css")
    assert original.status == hashed.status == 200
    assert original.body == hashed.body == b"body{}"
    assert original.header("cache-control") == "max-age=60, public"
    assert hashed.header("cache-control") == "max-age=315360000, public, immutable"
    assert original.header("etag") == hashed.header("etag")
    home = server.get("/")
    assert home.status == 200
    assert home.text == "<h1>home</h1>"
    assert server.get("/index.html").header("location") == "./"
    assert server.get("/escape.txt").status == 404


def test_an_immutable_rule_never_reaches_an_original_name(serve: Serve, built: Path) -> None:
    server = serve(built, rules=[{"match": "/css/**", "immutable": True}], max_age=False)
    assert server.get("/css/app.css").header("cache-control") == "no-cache"
    immutable = server.get("/css/app.0123456789ab.css").header("cache-control")
    assert immutable == "max-age=315360000, public, immutable"


def test_a_real_file_wins_over_the_manifest(serve: Serve, built: Path) -> None:
    write(built / "css" / "app.css", "the real one")
    server = serve(built)
    assert server.get("/css/app.css").text == "the real one"


# ---------------------------------------------------------------------- presets

LAYOUTS: dict[str, tuple[dict[str, str], list[str], list[str]]] = {
    # preset: (files, immutable URLs, no-cache URLs)
    "vite": (
        {
            "index.html": "<!doctype html>",
            "assets/index-BxY3kQ_9.js": "js",
            "assets/index-DiwrgTda.css": "css",
            ".vite/manifest.json": '{"index.html": {"file": "assets/index-BxY3kQ_9.js"}}',
            "favicon.svg": "<svg/>",
        },
        ["/assets/index-BxY3kQ_9.js", "/assets/index-DiwrgTda.css"],
        ["/", "/.vite/manifest.json"],
    ),
    "webpack": (
        {
            "index.html": "<!doctype html>",
            "main.3f2a1b4c5d6e7f801234.js": "js",
            "main.3f2a1b4c5d6e7f801234.js.LICENSE.txt": "MIT",
            "lazy.9b8c7d6e5f4a3b2c1d0e.js": "js",
            "manifest.json": '{"main.js": "/main.3f2a1b4c5d6e7f801234.js"}',
        },
        ["/main.3f2a1b4c5d6e7f801234.js", "/lazy.9b8c7d6e5f4a3b2c1d0e.js"],
        ["/", "/manifest.json"],
    ),
    "next": (
        {
            "index.html": "<!doctype html>",
            "about.html": "about",
            "_next/static/chunks/main-1a2b3c.js": "js",
            "_next/static/abcBuildId/_buildManifest.js": "js",
        },
        ["/_next/static/chunks/main-1a2b3c.js", "/_next/static/abcBuildId/_buildManifest.js"],
        ["/", "/about.html"],
    ),
    "sveltekit": (
        {
            "index.html": "<!doctype html>",
            "_app/immutable/entry/start.BQ2wT1xX.js": "js",
            "_app/version.json": '{"version": "1"}',
        },
        ["/_app/immutable/entry/start.BQ2wT1xX.js"],
        ["/", "/_app/version.json"],
    ),
    "astro": (
        {"index.html": "<!doctype html>", "_astro/index.CkLm3N0p.css": "css"},
        ["/_astro/index.CkLm3N0p.css"],
        ["/"],
    ),
    "nuxt": (
        {
            "index.html": "<!doctype html>",
            "_nuxt/entry.DfG5hJ7k.js": "js",
            "_nuxt/builds/latest.json": "{}",
        },
        ["/_nuxt/entry.DfG5hJ7k.js"],
        ["/", "/_nuxt/builds/latest.json"],
    ),
    "angular": (
        {
            "index.html": "<!doctype html>",
            "main-5XJ2YQ7A.js": "js",
            "polyfills-FFHMD2TL.js": "js",
            "ngsw.json": "{}",
            "ngsw-worker.js": "worker",
        },
        ["/main-5XJ2YQ7A.js", "/polyfills-FFHMD2TL.js"],
        ["/", "/ngsw.json"],
    ),
    "parcel": (
        {"index.html": "<!doctype html>", "index.975ef6c8.js": "js", "index.c5a1e3f0.css": "c"},
        ["/index.975ef6c8.js", "/index.c5a1e3f0.css"],
        ["/"],
    ),
}


def _layout(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        write(root / name, text)
    write(root / "sw.js", "self.addEventListener('fetch', () => {});")
    return root


@pytest.mark.parametrize("preset", sorted(LAYOUTS))
def test_presets_are_detected_from_the_build_output(
    serve: Serve, tmp_path: Path, preset: str
) -> None:
    files, immutable, revalidated = LAYOUTS[preset]
    root = _layout(tmp_path / preset, files)
    server = serve(root, index_file=True)
    assert [p.name for p in server.app.engine.presets] == [preset]
    for url in immutable:
        assert server.get(url).header("cache-control") == "max-age=315360000, public, immutable"
    for url in revalidated:
        assert server.get(url).header("cache-control") == "no-cache", url
    assert server.get("/sw.js").header("cache-control") == "no-store"


def test_a_plain_site_gets_no_preset(serve: Serve, pages: Path) -> None:
    server = serve(pages, index_file=True)
    assert server.app.engine.presets == []
    assert server.get("/").header("cache-control") == "max-age=60, public"


def test_rules_override_presets_and_presets_switch_off(serve: Serve, tmp_path: Path) -> None:
    root = _layout(tmp_path / "site", LAYOUTS["vite"][0])
    rule = {"match": "/**/*.html", "cache_control": "max-age=5"}
    server = serve(root, index_file=True, rules=[rule])
    assert server.get("/").header("cache-control") == "max-age=5"
    assert server.get("/sw.js").header("cache-control") == "no-store"
    off = serve(root, index_file=True, presets="off")
    assert off.get("/sw.js").header("cache-control") == "max-age=60, public"
    assert off.get("/assets/index-BxY3kQ_9.js").header("cache-control") == "max-age=60, public"


def test_a_named_preset_applies_without_evidence(serve: Serve, pages: Path) -> None:
    write(pages / "_astro" / "x.js", "js")
    server = serve(pages, presets=["next"])
    assert [preset.evidence for preset in server.app.engine.presets] == [
        ("named in the configuration",)
    ]
    write(pages / "_next" / "static" / "a.js", "js")
    fresh = serve(pages, presets=["next"])
    assert (fresh.get("/_next/static/a.js").header("cache-control") or "").endswith("immutable")
    assert fresh.get("/_astro/x.js").header("cache-control") == "max-age=60, public"


# ---------------------------------------------------------------------- hints and CSP


def _page_site(root: Path, policy: str | None = None) -> dict[str, Any]:
    write(root / "index.html", "<script>go()</script>")
    write(root / "css" / "app.css", "body{}")
    record = {
        "links": [
            {"href": "css/app.css", "rel": "preload", "as": "style"},
            {"href": "/fonts/a b.woff2", "rel": "preload", "as": "font", "crossorigin": ""},
            {"href": "//evil.example/x.js", "rel": "preload", "as": "script"},  # dropped
            {"href": "../up.js", "rel": "modulepreload"},  # dropped: leaves the root
        ],
        "csp": {"script-src": ["'sha256-AAAA'", "not a hash"], "style-src": []},
    }
    write(
        root / "staticfiles.json",
        json.dumps({"paths": {}, "version": "1.0", "pages": {"index.html": record}}),
    )
    options: dict[str, Any] = {"index_file": True}
    if policy is not None:
        options["rules"] = [{"match": "/**", "headers": {"Content-Security-Policy": policy}}]
    return options


def test_page_link_hints_are_sent(serve: Serve, tmp_path: Path) -> None:
    options = _page_site(tmp_path / "site")
    server = serve(tmp_path / "site", prefix="/", **options)
    link = server.get("/").header("link")
    assert link == (
        "</css/app.css>; rel=preload; as=style, "
        "</fonts/a%20b.woff2>; rel=preload; as=font; crossorigin"
    )
    assert server.get("/css/app.css").header("link") is None
    assert server.get("/").header("content-security-policy") is None  # none invented
    off = serve(tmp_path / "site", hints={"link": False}, **options)
    assert off.get("/").header("link") is None


@pytest.mark.parametrize(
    ("policy", "merged"),
    [
        ("script-src 'self'", "script-src 'self' 'sha256-AAAA'"),
        ("default-src 'self'", "default-src 'self'; script-src 'self' 'sha256-AAAA'"),
        ("script-src 'none'", "script-src 'sha256-AAAA'"),
        ("script-src 'unsafe-inline'", "script-src 'unsafe-inline'"),
        ("img-src *", "img-src *"),
    ],
)
def test_csp_hashes_merge_into_the_rules_policy(
    serve: Serve, tmp_path: Path, policy: str, merged: str
) -> None:
    options = _page_site(tmp_path / "site", policy)
    server = serve(tmp_path / "site", **options)
    assert server.get("/").header("content-security-policy") == merged
    off = serve(tmp_path / "site", hints={"csp": False}, **options)
    assert off.get("/").header("content-security-policy") == policy


def test_early_hints_are_sent_when_the_server_offers_them(tmp_path: Path) -> None:
    options = _page_site(tmp_path / "site")
    app = ServeStaticASGI(None, settings=Settings(root=tmp_path / "site", **options))
    offered: dict[str, Any] = {"http.response.early_hint": {}}
    response = call_asgi(app, "/", extensions=offered)
    kinds = [message["type"] for message in response.messages]
    assert kinds[:2] == ["http.response.early_hint", "http.response.start"]
    assert response.messages[0]["links"] == [(response.header("link") or "").encode()]
    assert response.status == 200
    plain = call_asgi(app, "/")
    assert plain.messages[0]["type"] == "http.response.start"
    no_hints = call_asgi(app, "/css/app.css", extensions=offered)
    assert no_hints.messages[0]["type"] == "http.response.start"
    disabled = ServeStaticASGI(
        None,
        settings=Settings(root=tmp_path / "site", hints=HintSettings(early_hints=False), **options),
    )
    assert call_asgi(disabled, "/", extensions=offered).messages[0]["type"] == (
        "http.response.start"
    )


# ---------------------------------------------------------------------- small presets


def test_cross_origin_isolation(serve: Serve, pages: Path) -> None:
    server = serve(pages, security={"cross_origin_isolation": True})
    response = server.get("/app.js")
    assert response.header("cross-origin-opener-policy") == "same-origin"
    assert response.header("cross-origin-embedder-policy") == "require-corp"
    assert serve(pages).get("/app.js").header("cross-origin-embedder-policy") is None


def test_cache_status_on_memory_cache_hits(serve: Serve, pages: Path) -> None:
    server = serve(pages, memory_cache={"cache_status": True})
    assert server.get("/app.js").header("cache-status") is None  # read from disk
    assert server.get("/app.js").header("cache-status") == "servestatic; hit"
    assert server.get("/app.js", {"Range": "bytes=0-0"}).header("cache-status") == (
        "servestatic; hit"
    )
    plain = serve(pages)
    plain.get("/app.js")
    assert plain.get("/app.js").header("cache-status") is None


def test_check_runs_quietly_on_a_preset_site(tmp_path: Path) -> None:
    """The engine's start-up warnings do not fire for preset rules (they are not typos)."""
    root = _layout(tmp_path / "site", LAYOUTS["nuxt"][0])
    with startup_messages() as messages:
        app = ServeStaticASGI(None, settings=Settings(root=root, strict=True))
    assert [preset.name for preset in app.engine.presets] == ["nuxt"]
    assert app.engine.problems == []
    assert messages == []


@settings(max_examples=60, deadline=None)
@given(
    trees(),
    st.sampled_from(["auto", "add", "remove", "ignore"]),
    st.booleans(),
    st.booleans(),
)
def test_the_index_and_autorefresh_agree(
    files: set[str], slash: str, clean: bool, manifest: bool
) -> None:
    """Both modes answer every URL a tree could be asked for alike: status, Location,
    body and Cache-Control (clean URLs, trailing slash and manifest originals included)."""
    import tempfile

    from servestatic.wsgi import ServeStatic
    from tests.client import call_wsgi

    # A name cannot be a file and a directory at once.
    files = {name for name in files if not any(other.startswith(name + "/") for other in files)}
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        for name in files:
            write(root / name.lstrip("/"), name)
        if manifest:
            hashed = {name.lstrip("/"): name.lstrip("/") for name in files}
            write(root / "orig.0123456789ab.js", "hashed")
            hashed["orig.js"] = "orig.0123456789ab.js"
            hashed["index.html"] = "orig.0123456789ab.js"
            write(root / "staticfiles.json", json.dumps({"paths": hashed}))
        options: dict[str, Any] = {
            "root": root,
            "index_file": True,
            "clean_urls": clean,
            "trailing_slash": slash,
        }
        with startup_messages():  # a generated tree may leave a rule or page unused
            index = ServeStatic(None, settings=Settings(**options))
            disk = ServeStatic(None, settings=Settings(autorefresh=True, **options))
        probes = {"/", "/orig.js", "/index.html"}
        for name in files:
            probes.update(page_urls(name, UrlPolicy("index.html", True, slash)))
            probes.add(name + "/")
        for path in sorted(probes):
            first, second = call_wsgi(index, path), call_wsgi(disk, path)
            assert (first.status, first.header("location"), first.body) == (
                second.status,
                second.header("location"),
                second.body,
            ), path
            assert first.header("cache-control") == second.header("cache-control"), path
