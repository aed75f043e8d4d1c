"""Mounted below a path (issue 13, item 7): ASGI ``root_path`` (part of ``path``, as the
spec says), WSGI ``SCRIPT_NAME`` (PATH_INFO below it). Files, index and configured
redirects resolve below the mount, and every ``Location`` is right as seen from outside.

``fetch(server, MOUNT, "/x")`` is a request for ``/mount/x`` as a server mounted at
``/mount`` hands it over: ASGI ``path="/mount/x", root_path="/mount"``; WSGI
``SCRIPT_NAME="/mount", PATH_INFO="/x"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from servestatic.http.paths import mount_location, route_path
from tests.client import Response, Server, call_asgi, make_server
from tests.conftest import JS, Serve

MOUNT = "/mount"
REDIRECTS = [
    {"from": "/old/*", "to": "/new/:splat", "status": 301},
    {"from": "/away", "to": "https://example.com/elsewhere", "status": 302},
]


def fetch(
    server: Server,
    mount: str,
    path: str,
    query: str = "",
    headers: Mapping[str, str] | None = None,
) -> Response:
    if server.kind == "wsgi":
        return server.get(path, headers, query=query, script_name=mount)
    # uvicorn --root-path: path and raw_path both start with root_path (as configured).
    full = mount.rstrip("/") + path
    raw = (quote(mount.rstrip("/"), safe="/\\") + quote(path)).encode("ascii")
    return server.get(full, headers, query=query, root_path=mount, raw_path=raw)


@pytest.fixture
def mounted(serve: Serve, site: Path) -> Server:
    return serve(site, index_file=True, redirects=REDIRECTS)


def test_files_resolve_below_the_mount(mounted: Server) -> None:
    response = fetch(mounted, MOUNT, "/app.js")
    assert (response.status, response.body) == (200, JS)
    assert fetch(mounted, MOUNT, "/docs/").body == b"<h1>docs</h1>"
    assert fetch(mounted, MOUNT, "/").body == b"<h1>home</h1>"
    assert fetch(mounted, MOUNT, "/na\u00efve caf\u00e9.txt").body == b"unicode name"
    assert fetch(mounted, MOUNT, "/missing.js").status == 404


def test_directory_redirects_stay_relative(mounted: Server) -> None:
    response = fetch(mounted, MOUNT, "/docs", query="a=1")
    assert response.status == 302
    assert response.header("location") == "docs/?a=1"  # /mount/docs → /mount/docs/
    assert fetch(mounted, MOUNT, "/docs/index.html").header("location") == "./"


def test_the_mount_point_itself_redirects_into_the_mount(mounted: Server) -> None:
    """``/mount`` is the site's root without its slash: relative links in the root's index
    page only work from ``/mount/``."""
    response = fetch(mounted, MOUNT, "")
    assert response.status == 302
    assert response.header("location") == "mount/"  # relative to /mount: /mount/
    assert fetch(mounted, "/a/b", "").header("location") == "b/"
    # A last segment that reads like a URL scheme stays a relative path (":" is escaped).
    assert fetch(mounted, "/javascript:x", "").header("location") == "javascript%3Ax/"


def test_find_file_of_an_empty_path_is_the_root(site: Path, adapter: str) -> None:
    """Without a mount (``find_file``, a WSGI server giving an empty PATH_INFO at the
    site root), an empty path is the root itself: no redirect."""
    app = make_server(adapter, None, site, index_file=True).app
    assert app.find_file("") is app.find_file("/")
    assert app.find_file("") is not None


def test_the_mount_point_without_a_root_page_is_a_miss(serve: Serve, site: Path) -> None:
    server = serve(site)  # no index_file: nothing answers "/"
    assert fetch(server, MOUNT, "").status == 404


def test_configured_redirect_targets_are_paths_of_the_mounted_site(mounted: Server) -> None:
    response = fetch(mounted, MOUNT, "/old/a b/c", query="q=1")
    assert response.status == 301
    assert response.header("location") == "/mount/new/a%20b/c?q=1"
    away = fetch(mounted, MOUNT, "/away")
    assert away.header("location") == "https://example.com/elsewhere"  # absolute: unchanged


@pytest.mark.parametrize(
    ("mount", "location"),
    [
        ("/mo unt", "/mo%20unt/new/x"),
        ("/caf\u00e9/", "/caf%C3%A9/new/x"),
        ("//evil.example", "/evil.example/new/x"),  # never "//evil.example/..."
        ("/a\\b", "/a%5Cb/new/x"),
        ("/", "/new/x"),
    ],
)
def test_the_mount_is_encoded_and_never_makes_a_host(
    mounted: Server, mount: str, location: str
) -> None:
    response = fetch(mounted, mount, "/old/x")
    assert response.status == 301
    assert response.header("location") == location


def test_a_path_outside_root_path_is_used_as_it_is(site: Path) -> None:
    """Servers that follow the older convention leave the mount out of ``path`` (Starlette
    resolves such a path as it is too)."""
    server = make_server("asgi", None, site, index_file=True)
    assert call_asgi(server.app, "/app.js", root_path=MOUNT).body == JS
    # A sibling that only starts with the same letters is not below the mount.
    assert call_asgi(server.app, "/mountain/app.js", root_path=MOUNT).status == 404


def test_misses_reach_the_wrapped_application_unchanged(adapter: str, site: Path) -> None:
    """Without redirects or a fallback the adapters hand misses over before building a
    request record; the application still sees the scope or environ it was given."""
    seen: list[tuple[str, str]] = []

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append((environ["SCRIPT_NAME"], environ["PATH_INFO"]))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"app"]

    async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append((scope["root_path"], scope["path"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"app"})

    server = make_server(adapter, wsgi_app if adapter == "wsgi" else asgi_app, site)
    assert server.app.engine.passthrough
    assert fetch(server, MOUNT, "/app.js").body == JS
    assert fetch(server, MOUNT, "/api/hello").body == b"app"
    expected = ("/mount", "/api/hello") if adapter == "wsgi" else ("/mount", "/mount/api/hello")
    assert seen == [expected]


@pytest.mark.parametrize(
    ("path", "root_path", "below"),
    [
        ("/mount/app.js", "/mount", "/app.js"),
        ("/mount/", "/mount", "/"),
        ("/mount", "/mount", ""),
        ("/mount/app.js", "/mount/", "/app.js"),
        ("/mountain/x", "/mount", "/mountain/x"),
        ("/app.js", "/mount", "/app.js"),
        ("/a/b/c", "/a/b", "/c"),
        ("/x", "", "/x"),
        ("/x", "/", "/x"),
    ],
)
def test_route_path(path: str, root_path: str, below: str) -> None:
    assert route_path(path, root_path) == below


@pytest.mark.parametrize(
    ("mount", "location", "result"),
    [
        ("/mount", "/new", "/mount/new"),
        ("/mount/", "/new", "/mount/new"),
        ("", "/new", "/new"),
        ("/", "/new", "/new"),
        ("/mount", "docs/", "docs/"),
        ("/mount", "https://a.example/x", "https://a.example/x"),
        ("///x", "/new", "/x/new"),
        ("/a?b#c", "/new", "/a%3Fb%23c/new"),
    ],
)
def test_mount_location(mount: str, location: str, result: str) -> None:
    assert mount_location(mount, location) == result
