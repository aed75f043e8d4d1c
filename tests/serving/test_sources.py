"""The two file sources answer alike (issue 15, item 1).

The engine resolves every request through one ``FileSource``: the start-up index or, with
``autorefresh``, the live directory. Over the same tree both must give the same entry for
every URL a client could try: files, index files, clean URLs, canonical redirects,
configured redirects (forced over files, or giving way to them), the SPA fallback (and
its exclusions), the 404 page, hidden files, variants and misses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from servestatic.config import Settings
from servestatic.http.records import FileEntry, Request
from servestatic.http.resolve import UrlPolicy, page_urls
from servestatic.serve.engine import Engine
from servestatic.serve.sources import LiveDirectory, StartupIndex
from tests.conftest import write

FILES = [
    "index.html",
    "about.html",
    "docs/index.html",
    "docs/guide.html",
    "app.js",
    "app.js.gz",
    "old/page.html",
    "soft.html",
    "404.html",
    "shell.html",
    "api/data.json",
    ".env",
    ".well-known/security.txt",
    ".git/config",
]

#: A forced redirect over files (``/old/*``), one at a path no file answers (``/moved``),
#: and (``mixed``) two that give way to a file: one over a file, one at a miss.
FORCED: list[dict[str, Any]] = [
    {"from": "/old/*", "to": "/new/:splat", "status": 301},
    {"from": "/moved", "to": "/about", "status": 308},
]
GIVING_WAY: list[dict[str, Any]] = [
    {"from": "/soft.html", "to": "/app.js", "status": 302, "force": False},
    {"from": "/gone", "to": "/app.js", "status": 301, "force": False, "keep_query": False},
]

PROBES = [
    "",
    "/",
    "/missing",
    "/missing/",
    "/docs",
    "/docs/",
    "/docs/guide",
    "/docs/guide/",
    "/about/",
    "/old/page",
    "/old/other",
    "/soft",
    "/gone",
    "/moved",
    "/api/other",
    "/api/data.json",
    "/.env",
    "/.git/config",
    "/.well-known/security.txt",
    "/app.js.gz",
    "/../app.js",
    "/docs//index.html",
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sources")
    for name in FILES:
        write(root / name, f"<p>{name}</p>")
    return root


def _engines(root: Path, **options: Any) -> tuple[Engine, Engine]:
    standalone = options.pop("standalone")
    settings = {
        "root": root,
        "index_file": True,
        "spa": {"fallback": "/shell.html", "exclude": ["/api/**"]},
        "errors": {"not_found": "/404.html"},
        "hidden": {"allow": ["/.well-known/**"]},
        **options,
    }
    index = Engine(Settings(**settings), standalone=standalone)
    live = Engine(Settings(autorefresh=True, **settings), standalone=standalone)
    return index, live


def _urls(clean: bool, slash: str) -> list[str]:
    urls = set(PROBES)
    for name in FILES:
        url = "/" + name
        urls.update(page_urls(url, UrlPolicy("index.html", clean, slash)))
        urls.add(url + "/")
    return sorted(urls)


@pytest.mark.parametrize("redirects", ["forced", "mixed", "none"])
@pytest.mark.parametrize(("clean", "slash"), [(False, "auto"), (True, "auto"), (True, "add")])
@pytest.mark.parametrize("standalone", [True, False])
def test_both_sources_look_up_every_url_alike(
    tree: Path, redirects: str, clean: bool, slash: str, standalone: bool
) -> None:
    configured = {"forced": FORCED, "mixed": FORCED + GIVING_WAY, "none": []}[redirects]
    index, live = _engines(
        tree,
        standalone=standalone,
        clean_urls=clean,
        trailing_slash=slash,
        redirects=configured,
    )
    assert isinstance(index.file_source, StartupIndex)
    assert isinstance(live.file_source, LiveDirectory)
    kinds = set()
    for url in _urls(clean, slash):
        for method in ("GET", "POST"):
            request = Request(method, url, raw_path=url)
            indexed = index.lookup(url, request)
            looked_up = live.lookup(url, request)
            assert looked_up == indexed, (url, method)
            assert live.redirect_of(url) == index.redirect_of(url), url
            kinds.add(_kind(indexed, url))
        # A raw path that encodes a separator names no file, whatever it decodes to.
        request = Request("GET", url, raw_path=url.replace("/", "%2F"))
        assert live.lookup(url, request) == index.lookup(url, request), url
    # The tree and the probes reach every kind of answer (else the test proves less).
    expected = {"file", "page", "fallback", "miss", "canonical-redirect"}
    if standalone:
        expected.add("not-found")
    if redirects != "none":
        expected.add("configured-redirect")
    assert expected <= kinds


def _kind(entry: Any, url: str) -> str:
    if entry is None:
        return "miss"
    if hasattr(entry, "location"):
        relative = not entry.location.startswith("/")
        return "canonical-redirect" if relative else "configured-redirect"
    if entry.status == 404:
        return "not-found"
    if entry.source_url == "/shell.html" and url != "/shell.html":
        return "fallback"
    return "file" if entry.url == entry.source_url else "page"


def test_forced_redirects_win_over_files_and_the_others_give_way(tree: Path) -> None:
    """What the comparison above relies on, stated once for each source."""
    for engine in _engines(tree, standalone=True, redirects=FORCED + GIVING_WAY):
        forced = engine.lookup("/old/page.html", Request("GET", "/old/page.html"))
        assert getattr(forced, "location", None) == "/new/page.html"
        kept = engine.lookup("/soft.html", Request("GET", "/soft.html"))
        assert getattr(kept, "source_url", None) == "/soft.html"
        gone = engine.lookup("/gone", Request("GET", "/gone"))
        assert getattr(gone, "location", None) == "/app.js"
        configured = engine.redirect_of("/old/page.html")
        assert configured is not None
        assert configured.status == 301
        assert engine.redirect_of("/soft.html") is None


def test_a_stale_file_is_rebuilt_by_either_source(tree: Path, tmp_path: Path) -> None:
    """``Engine.refresh`` asks the source: the index rebuilds its entry from the disk, the
    live directory forgets what it remembered; both then serve the file as it is now."""
    root = tmp_path / "site"
    write(root / "a.txt", "one")
    write(root / "shell.html", "shell")
    for engine in _engines(root, standalone=True, spa={"fallback": "/shell.html"}):
        assert _size(engine, "/a.txt") == 3
        write(root / "a.txt", "three")
        engine.refresh("/a.txt", str(root / "a.txt"))
        assert _size(engine, "/a.txt") == 5
        write(root / "a.txt", "one")
        write(root / "shell.html", "changed shell")
        engine.refresh("/missing", str(root / "shell.html"))
        assert _size(engine, "/missing") == len("changed shell")
        write(root / "shell.html", "shell")


def _size(engine: Engine, url: str) -> int:
    entry = engine.lookup(url, Request("GET", url))
    assert isinstance(entry, FileEntry)
    return entry.identity.size
