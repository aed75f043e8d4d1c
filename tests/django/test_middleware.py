"""``ServeStaticMiddleware`` through Django's test clients (sync and async stacks), after a
real ``collectstatic``; plus start-up behaviour of the middleware itself."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.http.response import HttpResponseBase
from django.test import AsyncClient, Client, RequestFactory, override_settings

from servestatic.django import manifest
from servestatic.django.respond import ServeStaticFileResponse
from servestatic.middleware import ServeStaticMiddleware
from tests.django.conftest import (
    DJANGO_MANIFEST,
    MANIFEST,
    PLAIN,
    PROJECT,
    acontent,
    collectstatic,
    content,
    hashed_name,
    project,
)
from tests.startup import startup_messages

pytestmark = pytest.mark.django

IMMUTABLE = "max-age=315360000, public, immutable"
NO_MEMORY = {"max_file_size": 0}


@dataclass
class Fetched:
    response: HttpResponseBase
    body: bytes

    @property
    def status(self) -> int:
        return self.response.status_code

    def header(self, name: str) -> str | None:
        return self.response.headers.get(name)


class Site:
    """One Django test client (one middleware instance), sync or async."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.sync = Client()
        self.async_ = AsyncClient()

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Fetched:
        if self.kind == "sync":
            response = self.sync.generic(method, path, headers=headers)
            return Fetched(response, content(response))

        async def run() -> Fetched:
            response = await self.async_.generic(method, path, headers=headers)
            return Fetched(response, await acontent(response))

        return asyncio.run(run())

    def get(self, path: str, **headers: str) -> Fetched:
        return self.request("GET", path, {k.replace("_", "-"): v for k, v in headers.items()})


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def collected(static_root: Path) -> Path:
    return collectstatic(static_root, MANIFEST)


@pytest.fixture
def served(collected: Path, kind: str) -> Iterator[Site]:
    """The project after ``collectstatic`` with the compressing manifest storage."""
    with project(collected, MANIFEST):
        yield Site(kind)


# ----------------------------------------------------------------------------- serving


def test_hashed_file_is_immutable_and_negotiated(served: Site, collected: Path) -> None:
    name = hashed_name(collected, "css/site.css")
    fetched = served.get(f"/static/{name}", Accept_Encoding="gzip, br")
    assert fetched.status == 200
    assert fetched.header("Cache-Control") == IMMUTABLE
    assert fetched.header("Content-Encoding") == "br"
    assert fetched.header("Vary") == "Accept-Encoding"
    assert fetched.header("Content-Type") == "text/css; charset=utf-8"
    assert fetched.header("Access-Control-Allow-Origin") == "*"
    assert fetched.body == (collected / f"{name}.br").read_bytes()


def test_unhashed_name_has_the_mutable_max_age(served: Site, collected: Path) -> None:
    fetched = served.get("/static/css/site.css")
    assert fetched.status == 200
    assert fetched.header("Cache-Control") == "max-age=60, public"
    assert fetched.header("Content-Encoding") is None
    assert fetched.body == (collected / "css" / "site.css").read_bytes()


def test_css_references_point_at_hashed_names(served: Site, collected: Path) -> None:
    body = served.get("/static/" + hashed_name(collected, "css/site.css")).body
    logo = hashed_name(collected, "img/logo.png")
    assert f"../{logo}".encode() in body
    assert served.get(f"/static/{logo}").header("Cache-Control") == IMMUTABLE


def test_conditional_request_gets_304(served: Site) -> None:
    etag = served.get("/static/js/app.js").header("ETag")
    assert etag
    fetched = served.get("/static/js/app.js", If_None_Match=etag)
    assert fetched.status == 304
    assert fetched.body == b""
    assert fetched.header("ETag") == etag
    assert fetched.header("Content-Type") is None


def test_range_request_gets_206(served: Site, collected: Path) -> None:
    fetched = served.get("/static/js/app.js", Range="bytes=10-19")
    data = (collected / "js" / "app.js").read_bytes()
    assert fetched.status == 206
    assert fetched.body == data[10:20]
    assert fetched.header("Content-Range") == f"bytes 10-19/{len(data)}"


def test_head_has_headers_and_no_body(served: Site, collected: Path) -> None:
    fetched = served.request("HEAD", "/static/js/app.js")
    assert fetched.status == 200
    assert fetched.body == b""
    assert fetched.header("Content-Length") == str((collected / "js" / "app.js").stat().st_size)


def test_other_methods_on_a_file_get_405(served: Site) -> None:
    fetched = served.request("POST", "/static/js/app.js")
    assert fetched.status == 405
    assert fetched.header("Allow") == "GET, HEAD, OPTIONS"


def test_non_ascii_file_name(collected: Path) -> None:
    # Sync client only: Django's AsyncRequestFactory puts latin-1-decoded bytes in
    # scope["path"], which real ASGI servers never do (the uvicorn test covers ASGI).
    with project(collected, MANIFEST):
        fetched = Site("sync").get("/static/naïve café.txt")
    assert fetched.status == 200
    assert fetched.body == b"non-ASCII file name\n"


def test_misses_go_to_django(served: Site) -> None:
    assert served.get("/").body == b"home page"
    fetched = served.get("/static/css/missing.css")
    assert fetched.status == 404
    assert b"ServeStatic did not find" not in fetched.body


def test_variants_are_not_addressable_on_their_own(served: Site) -> None:
    assert served.get("/static/js/app.js.gz").status == 404


def test_file_added_to_static_root_after_collectstatic_is_served(
    collected: Path, kind: str
) -> None:
    # django-compressor's offline output and copied-in assets are in no manifest; WhiteNoise
    # serves them, ServeStatic 4.4 did not (reference §6 #22).
    extra = collected / "CACHE" / "js" / "output.0123456789ab.js"
    extra.parent.mkdir(parents=True)
    extra.write_text("compressed();")
    with project(collected, MANIFEST):
        fetched = Site(kind).get("/static/CACHE/js/output.0123456789ab.js")
    assert fetched.body == b"compressed();"
    # Its name looks hashed but the manifest does not know it: not immutable.
    assert fetched.header("Cache-Control") == "max-age=60, public"


def test_immutable_file_test_setting_is_honoured(collected: Path, kind: str) -> None:
    # ServeStatic 4.4's middleware ignored this setting (reference §6 #2).
    with project(collected, MANIFEST, SERVESTATIC_IMMUTABLE_FILE_TEST=r"^/static/js/"):
        site = Site(kind)
        assert site.get("/static/js/app.js").header("Cache-Control") == IMMUTABLE
        hashed_css = "/static/" + hashed_name(collected, "css/site.css")
        assert site.get(hashed_css).header("Cache-Control") == "max-age=60, public"


def test_immutable_file_test_callable(collected: Path) -> None:
    def test(path: str, url: str) -> bool:
        return url.endswith(".png")

    with project(collected, MANIFEST, SERVESTATIC_IMMUTABLE_FILE_TEST=test):
        site = Site("sync")
        assert site.get("/static/img/logo.png").header("Cache-Control") == IMMUTABLE
        assert site.get("/static/css/plain.css").header("Cache-Control") == "max-age=60, public"


def test_changed_file_is_served_as_it_is_now(collected: Path, kind: str) -> None:
    with project(collected, MANIFEST, SERVESTATIC_MEMORY_CACHE=NO_MEMORY):
        site = Site(kind)
        assert site.get("/static/js/shared.js").status == 200
        (collected / "js" / "shared.js").write_text("window.SOURCE = 'edited after start';\n")
        fetched = site.get("/static/js/shared.js")
    assert fetched.status == 200
    assert fetched.body == b"window.SOURCE = 'edited after start';\n"
    assert fetched.header("Content-Length") == str(len(fetched.body))


def test_deleted_file_falls_through_to_django(collected: Path, kind: str) -> None:
    with project(collected, MANIFEST):
        site = Site(kind)
        assert site.request("HEAD", "/static/js/shared.js").status == 200
        (collected / "js" / "shared.js").unlink()
        (collected / "js" / "shared.js.gz").unlink(missing_ok=True)
        assert site.get("/static/js/shared.js").status == 404


def test_whole_file_bodies_suit_the_server(collected: Path, kind: str) -> None:
    with project(collected, MANIFEST, SERVESTATIC_MEMORY_CACHE=NO_MEMORY):
        fetched = Site(kind).get("/static/js/app.js")
    assert fetched.body == (collected / "js" / "app.js").read_bytes()
    if kind == "sync":
        assert isinstance(fetched.response, ServeStaticFileResponse)
    else:
        # Under ASGI, an async iterator: Django does not warn (warnings are errors here).
        assert fetched.response.streaming
        assert fetched.response.is_async  # type: ignore[attr-defined]


def test_whole_file_is_handed_to_the_wsgi_file_wrapper(collected: Path) -> None:
    with project(collected, MANIFEST, SERVESTATIC_MEMORY_CACHE=NO_MEMORY):
        response = call(ServeStaticMiddleware(not_found), "/static/js/app.js")
    # Django's WSGIHandler passes file_to_stream to wsgi.file_wrapper (sendfile).
    assert isinstance(response, ServeStaticFileResponse)
    try:
        assert response.file_to_stream is not None
        assert response.file_to_stream.name == str(collected / "js" / "app.js")
        # A bounded file object: exactly Content-Length bytes, even if the file grows.
        size = (collected / "js" / "app.js").stat().st_size
        assert response.headers["Content-Length"] == str(size)
        assert getattr(response.file_to_stream, "remaining", None) == size
        assert response.file_to_stream.fileno() > 0  # sendfile stays possible
    finally:
        response.close()
    assert response.file_to_stream.closed


def test_range_bodies_suit_the_server(collected: Path, kind: str) -> None:
    with project(collected, MANIFEST, SERVESTATIC_MEMORY_CACHE=NO_MEMORY):
        fetched = Site(kind).get("/static/js/app.js", Range="bytes=-5")
    assert fetched.status == 206
    assert fetched.body == (collected / "js" / "app.js").read_bytes()[-5:]
    assert fetched.response.is_async is (kind == "async")  # type: ignore[attr-defined]


def test_multipart_ranges(collected: Path, kind: str) -> None:
    data = (collected / "js" / "app.js").read_bytes()
    with project(collected, MANIFEST, SERVESTATIC_MEMORY_CACHE=NO_MEMORY):
        fetched = Site(kind).get("/static/js/app.js", Range="bytes=0-3,10-13")
    assert fetched.status == 206
    content_type = fetched.header("Content-Type") or ""
    assert content_type.startswith("multipart/byteranges; boundary=")
    assert data[0:4] in fetched.body
    assert data[10:14] in fetched.body


def test_sync_middleware_under_asgi_still_sends_async_bodies(collected: Path) -> None:
    # A sync-only middleware below makes Django run ServeStaticMiddleware in sync mode (in
    # a thread) under ASGI: bodies must still be async iterators for the ASGI handler.
    middleware = [
        "servestatic.middleware.ServeStaticMiddleware",
        "tests.django.project.middleware.SyncOnlyMiddleware",
    ]
    with project(collected, MANIFEST, MIDDLEWARE=middleware, SERVESTATIC_MEMORY_CACHE=NO_MEMORY):
        site = Site("async")
        whole = site.get("/static/js/app.js")
        part = site.get("/static/js/app.js", Range="bytes=0-4")
    data = (collected / "js" / "app.js").read_bytes()
    assert whole.body == data
    assert whole.response.is_async  # type: ignore[attr-defined]
    assert part.body == data[:5]
    assert part.response.is_async  # type: ignore[attr-defined]


def test_small_files_come_from_memory(served: Site) -> None:
    fetched = served.get("/static/js/shared.js")
    assert type(fetched.response) is HttpResponse
    assert fetched.body == b"window.SOURCE = 'STATICFILES_DIRS';\n"


# ----------------------------------------------------------------------------- settings


def test_servestatic_groups_from_django_settings(collected: Path, kind: str) -> None:
    rules = [{"match": "/static/js/**", "headers": {"X-Team": "frontend"}}]
    with project(
        collected, MANIFEST, SERVESTATIC_SECURITY={"preset": "basic"}, SERVESTATIC_RULES=rules
    ):
        site = Site(kind)
        js = site.get("/static/js/app.js")
        css = site.get("/static/css/plain.css")
    assert js.header("X-Team") == "frontend"
    assert css.header("X-Team") is None
    assert css.header("X-Content-Type-Options") == "nosniff"


def test_spa_fallback_from_django_settings(collected: Path) -> None:
    spa = {"fallback": "/static/docs/index.html", "exclude": ["/**/*.*", "/static/**", "/"]}
    with project(collected, MANIFEST, SERVESTATIC_SPA=spa):
        site = Site("sync")
        route = site.get("/dashboard/settings")
        assert site.get("/").body == b"home page"  # excluded: Django answers
        assert site.get("/static/nope.js").status == 404
    assert route.status == 200
    assert route.body == (PROJECT / "assets" / "docs" / "index.html").read_bytes()


def test_max_age_and_cors_settings(collected: Path) -> None:
    with project(
        collected, MANIFEST, SERVESTATIC_MAX_AGE=None, SERVESTATIC_ALLOW_ALL_ORIGINS=False
    ):
        fetched = Site("sync").get("/static/js/app.js")
    assert fetched.header("Cache-Control") is None
    assert fetched.header("Access-Control-Allow-Origin") is None


def test_whitenoise_settings_work_with_a_warning(collected: Path) -> None:
    with project(collected, MANIFEST, WHITENOISE_MAX_AGE=99):
        site = Site("sync")
        with pytest.warns(DeprecationWarning, match="rename it to SERVESTATIC_MAX_AGE"):
            fetched = site.get("/static/js/app.js")
    assert fetched.header("Cache-Control") == "max-age=99, public"


def test_index_file(collected: Path) -> None:
    with project(collected, MANIFEST, SERVESTATIC_INDEX_FILE=True):
        site = Site("sync")
        page = site.get("/static/docs/")
        redirect = site.get("/static/docs")
    assert page.body == (PROJECT / "assets" / "docs" / "index.html").read_bytes()
    assert redirect.status == 302
    assert redirect.header("Location") == "docs/"


def test_force_script_name(collected: Path, kind: str) -> None:
    # The middleware sees path_info, which does not include the script name.
    with project(collected, MANIFEST, FORCE_SCRIPT_NAME="/app", STATIC_URL="/app/static/"):
        fetched = Site(kind).get("/static/css/plain.css")
    assert fetched.status == 200
    assert fetched.body == (collected / "css" / "plain.css").read_bytes()


MOUNT_REDIRECTS = [{"from": "/static/old/*", "to": "/static/css/:splat", "status": 301}]


def _mounted(kind: str, path: str, mount: str) -> Fetched:
    """A request for ``mount + path`` as Django's handlers receive it mounted at ``mount``."""
    if kind == "sync":
        response = Client().get(path, SCRIPT_NAME=mount)
        return Fetched(response, content(response))

    async def run() -> Fetched:
        # The client's defaults are scope keys (its per-request extras become headers).
        response = await AsyncClient(root_path=mount).get(mount + path)
        return Fetched(response, await acontent(response))

    return asyncio.run(run())


def test_mounted_under_script_name_or_root_path(collected: Path, kind: str) -> None:
    """Issue 13: the middleware resolves ``path_info`` (below SCRIPT_NAME / root_path), and
    a configured redirect target gets the mount in front, as ``reverse()`` would."""
    with project(
        collected, MANIFEST, SERVESTATIC_REDIRECTS=MOUNT_REDIRECTS, SERVESTATIC_INDEX_FILE=True
    ):
        fetched = _mounted(kind, "/static/css/plain.css", "/mount")
        redirect = _mounted(kind, "/static/old/plain.css", "/mount")
        directory = _mounted(kind, "/static/docs", "/mount")
    assert fetched.status == 200
    assert fetched.body == (collected / "css" / "plain.css").read_bytes()
    assert redirect.status == 301
    assert redirect.header("Location") == "/mount/static/css/plain.css"
    assert (directory.status, directory.header("Location")) == (302, "docs/")  # relative


def test_the_request_record_carries_the_script_name() -> None:
    import io

    from django.core.handlers.asgi import ASGIRequest
    from django.core.handlers.wsgi import WSGIRequest

    from servestatic.django.respond import request_record

    scope = {"type": "http", "method": "GET", "path": "/mount/static/a.css",
             "root_path": "/mount", "headers": [], "query_string": b""}  # fmt: skip
    asgi = ASGIRequest(scope, io.BytesIO(b""))
    assert (request_record(asgi).path, request_record(asgi).mount) == ("/static/a.css", "/mount")
    wsgi = RequestFactory().get("/static/a.css", SCRIPT_NAME="/mount")
    assert (request_record(wsgi).path, request_record(wsgi).mount) == ("/static/a.css", "/mount")
    # A PATH_INFO without its leading "/" (a server that cut SCRIPT_NAME mid-segment): no
    # mount can be told apart, and the path is a miss anyway.
    environ = RequestFactory().get("/x").environ
    environ.update(SCRIPT_NAME="/mount", PATH_INFO="ain/x")
    assert request_record(WSGIRequest(environ)).mount == ""


def test_force_script_name_is_the_mount_of_redirects(collected: Path, kind: str) -> None:
    with project(
        collected,
        MANIFEST,
        FORCE_SCRIPT_NAME="/app",
        STATIC_URL="/app/static/",
        SERVESTATIC_REDIRECTS=MOUNT_REDIRECTS,
    ):
        redirect = Site(kind).get("/static/old/plain.css")
    assert redirect.status == 301
    assert redirect.header("Location") == "/app/static/css/plain.css"


def test_absolute_cdn_static_url_is_served_at_its_path(collected: Path) -> None:
    # The CDN pulls from this application at the path of STATIC_URL.
    with project(collected, MANIFEST, STATIC_URL="https://cdn.example.com/assets/"):
        site = Site("sync")
        name = hashed_name(collected, "css/plain.css")
        fetched = site.get(f"/assets/{name}")
        assert site.get(f"/static/{name}").status == 404
    assert fetched.status == 200
    assert fetched.header("Cache-Control") == IMMUTABLE


def test_explicit_static_prefix(collected: Path) -> None:
    with project(collected, MANIFEST, SERVESTATIC_STATIC_PREFIX="/files/"):
        assert Site("sync").get("/files/css/plain.css").status == 200


def test_servestatic_root_is_served_at_its_prefix(collected: Path, tmp_path: Path) -> None:
    public = tmp_path / "public"
    public.mkdir()
    (public / "robots.txt").write_text("User-agent: *\n")
    with project(collected, MANIFEST, SERVESTATIC_ROOT=str(public)):
        fetched = Site("sync").get("/robots.txt")
    assert fetched.body == b"User-agent: *\n"


def test_keep_only_hashed_files_read_from_injected_settings(static_root: Path) -> None:
    # ServeStatic read this one setting from the global settings (reference §6 #23).
    collectstatic(static_root, DJANGO_MANIFEST)
    with project(static_root, DJANGO_MANIFEST):
        injected = Injected(SERVESTATIC_KEEP_ONLY_HASHED_FILES=True)
        middleware = ServeStaticMiddleware(not_found, settings=injected)
        hashed = "/static/" + hashed_name(static_root, "css/plain.css")
        assert call(middleware, hashed).status_code == 200
        assert call(middleware, "/static/css/plain.css").status_code == 404
        assert (static_root / "css" / "plain.css").exists()


def test_more_roots_from_django_settings(collected: Path, tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "avatar.txt").write_text("avatar")
    roots = [{"path": str(media), "prefix": "/media/"}]
    with project(collected, MANIFEST, SERVESTATIC_ROOTS=roots):
        assert Site("sync").get("/media/avatar.txt").body == b"avatar"


def test_static_root_can_be_left_out(collected: Path) -> None:
    extra = collected / "extra.txt"
    extra.write_text("not in the manifest")
    with project(collected, MANIFEST, SERVESTATIC_USE_STATIC_ROOT=False):
        site = Site("sync")
        assert site.get("/static/extra.txt").status == 404
        hashed = site.get("/static/" + hashed_name(collected, "js/app.js"), Accept_Encoding="gzip")
        assert site.get("/static/js/app.js").status == 200
    assert hashed.header("Content-Encoding") == "gzip"
    assert gzip.decompress(hashed.body) == (collected / "js" / "app.js").read_bytes()


def test_manifest_entries_without_static_root_and_keep_only(collected: Path) -> None:
    with project(
        collected,
        MANIFEST,
        SERVESTATIC_USE_STATIC_ROOT=False,
        SERVESTATIC_KEEP_ONLY_HASHED_FILES=True,
    ):
        site = Site("sync")
        assert site.get("/static/js/app.js").status == 404
        assert site.get("/static/" + hashed_name(collected, "js/app.js")).status == 200


def test_manifest_entries_of_djangos_own_storage(static_root: Path) -> None:
    # No file listing in Django's manifest: each entry is stat-ed.
    collectstatic(static_root, DJANGO_MANIFEST)
    (static_root / "extra.txt").write_text("not in the manifest")
    with project(static_root, DJANGO_MANIFEST, SERVESTATIC_USE_STATIC_ROOT=False):
        site = Site("sync")
        hashed = site.get("/static/" + hashed_name(static_root, "css/plain.css"))
        assert site.get("/static/css/plain.css").status == 200
        assert site.get("/static/extra.txt").status == 404
    assert hashed.header("Cache-Control") == IMMUTABLE


def test_manifest_location_in_autorefresh_mode(collected: Path) -> None:
    with project(
        collected,
        MANIFEST,
        DEBUG=True,
        SERVESTATIC_USE_MANIFEST=True,
        SERVESTATIC_USE_STATIC_ROOT=False,
        SERVESTATIC_USE_FINDERS=False,
    ):
        site = Site("sync")
        (collected / "late.txt").write_text("added after start")
        assert site.get("/static/late.txt").body == b"added after start"


def test_hostile_static_root(static_root: Path, tmp_path: Path) -> None:
    static_root.mkdir()
    (static_root / "ok.txt").write_text("ok " * 100)
    (static_root / "ok.txt.gz").write_bytes(gzip.compress(b"ok " * 100))
    (static_root / "big.txt").write_text("tiny")
    (static_root / "big.txt.gz").write_bytes(gzip.compress(os.urandom(200)))  # larger: unused
    (static_root / ".env").write_text("SECRET=1")
    (static_root / ".git").mkdir()
    (static_root / ".git" / "config").write_text("[core]")
    (static_root / ".well-known").mkdir()
    (static_root / ".well-known" / "security.txt").write_text("Contact: x")
    (static_root / "loop").mkdir()
    (static_root / "loop" / "back").symlink_to(static_root, target_is_directory=True)
    (static_root / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (static_root / "inner.txt").symlink_to(static_root / "ok.txt")
    os.mkfifo(static_root / "pipe")
    with project(static_root, PLAIN), startup_messages() as warned:
        middleware = ServeStaticMiddleware(not_found)
    with project(static_root, PLAIN, SERVESTATIC_HIDDEN={"allow": ["/static/.well-known/**"]}):
        with startup_messages() as skipped:
            allowing = ServeStaticMiddleware(not_found)
        assert any("Skipping" in message for message in skipped)
        assert "/static/.well-known/security.txt" in allowing.files
        assert "/static/.git/config" not in allowing.files
    messages = " ".join(warned)
    assert messages.startswith("settings.STATIC_ROOT: Skipping ")  # named by its setting
    assert "directory loop" in messages
    assert "broken symlink" in messages
    # Dotfiles stay hidden (the default allow-list is for /.well-known/ at the site root).
    assert set(middleware.files) == {"/static/ok.txt", "/static/big.txt", "/static/inner.txt"}
    ok = middleware.files["/static/ok.txt"]
    big = middleware.files["/static/big.txt"]
    assert [rep.coding for rep in ok.representations] == ["identity", "gzip"]  # type: ignore[union-attr]
    assert [rep.coding for rep in big.representations] == ["identity"]  # type: ignore[union-attr]


# ----------------------------------------------------------------------------- the manifest


def test_manifest_listing_is_used_instead_of_stat(collected: Path) -> None:
    listing = manifest.read_files((collected / "staticfiles.json").read_text())
    name = next(
        name
        for name in sorted(listing)
        if name.endswith("plain.css") and name not in manifest.sample(list(listing))
    )
    recorded = listing[name][1]
    os.utime(collected / name, ns=(recorded, recorded + 5_000_000_000))
    with project(collected, MANIFEST):
        site = Site("sync")
        head = site.request("HEAD", f"/static/{name}")
        get = site.get(f"/static/{name}")
        after = site.request("HEAD", f"/static/{name}")
    # HEAD opens nothing: its validators are the manifest's (no stat at start-up) ...
    assert head.header("Last-Modified") != after.header("Last-Modified")
    # ... and the first read notices the change and serves the file as it is.
    assert get.body == (collected / name).read_bytes()
    assert get.header("Last-Modified") == after.header("Last-Modified")


def test_listing_of_a_tree_copied_without_mtimes_is_not_trusted(collected: Path) -> None:
    for path in collected.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(1_800_000_000_000_000_000, 1_800_000_000_000_000_000))
    with project(collected, MANIFEST):
        head = Site("sync").request("HEAD", "/static/css/plain.css")
    assert head.header("Last-Modified") == "Fri, 15 Jan 2027 08:00:00 GMT"


def test_listed_file_swapped_before_its_first_read_is_refused(
    collected: Path, tmp_path: Path, kind: str
) -> None:
    """A listed file is not stat-ed at start-up (its inode is unknown). Swapped for a link
    to an outside file of the same size and mtime before anyone asked for it, its first
    read must check where what it opened really is, not learn the outside file's inode
    (issue 13)."""
    name = "css/plain.css"
    path = collected / name
    info = path.stat()
    secret = tmp_path / "secret.css"
    secret.write_bytes(b"S" * info.st_size)
    os.utime(secret, ns=(info.st_atime_ns, info.st_mtime_ns))
    with project(collected, MANIFEST):
        site = Site(kind)
        assert site.get("/static/js/app.js").status == 200  # the middleware is built
        temporary = collected / "swap.tmp"
        temporary.symlink_to(secret)
        os.replace(temporary, path)
        response = site.get(f"/static/{name}")
    assert b"SSSS" not in response.body
    assert response.status == 404


def test_content_etags_come_from_the_manifest(collected: Path) -> None:
    document = json.loads((collected / "staticfiles.json").read_text())
    document["files"]["css/plain.css"]["hash"] = "ab" * 32  # proves it is read, not computed
    (collected / "staticfiles.json").write_text(json.dumps(document))
    with project(collected, MANIFEST, SERVESTATIC_ETAG="content"):
        site = Site("sync")
        tampered = site.get("/static/css/plain.css")
        computed = site.get("/static/js/app.js")
    assert tampered.header("ETag") == f'"{"ab" * 16}"'
    digest = hashlib.sha256((collected / "js" / "app.js").read_bytes()).hexdigest()
    assert computed.header("ETag") == f'"{digest[:32]}"'


# ----------------------------------------------------------------------------- DEBUG and finders


def test_debug_serves_from_finders(kind: str) -> None:
    with project(None, PLAIN, DEBUG=True):
        site = Site(kind)
        vendor = site.get("/static/vendor/lib.js")
        widget = site.get("/static/app/widget.js")
        shared = site.get("/static/js/shared.js")
    assert vendor.body == b"window.VENDOR = 'lib';\n"
    assert widget.body == b"window.WIDGET = true;\n"
    # The first finder wins (STATICFILES_DIRS before app directories), as finders.find does.
    assert shared.body == b"window.SOURCE = 'STATICFILES_DIRS';\n"
    assert vendor.header("Cache-Control") == "max-age=0, public"


def test_finders_without_autorefresh(kind: str) -> None:
    with project(None, PLAIN, DEBUG=True, SERVESTATIC_AUTOREFRESH=False):
        site = Site(kind)
        assert site.get("/static/vendor/lib.js").body == b"window.VENDOR = 'lib';\n"
        assert site.get("/static/js/shared.js").body == b"window.SOURCE = 'STATICFILES_DIRS';\n"
        assert site.get("/static/app/widget.js").status == 200


def test_autorefresh_finds_files_added_later(tmp_path: Path, kind: str) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    with project(None, PLAIN, DEBUG=True, STATICFILES_DIRS=[assets]):
        site = Site(kind)
        assert site.get("/static/new.js").status == 404
        (assets / "new.js").write_text("new();")
        assert site.get("/static/new.js").body == b"new();"


def test_debug_miss_is_explained(kind: str) -> None:
    with project(None, PLAIN, DEBUG=True):
        fetched = Site(kind).get("/static/css/missing.css")
    assert fetched.status == 404
    assert fetched.header("Content-Type") == "text/plain; charset=utf-8"
    text = fetched.body.decode()
    assert "ServeStatic did not find the static file 'css/missing.css'" in text
    assert str(PROJECT / "assets") in text
    assert str(PROJECT / "app" / "static") in text


def test_debug_lets_later_handlers_serve_static_urls(kind: str) -> None:
    # ServeStatic 4.4 raised for any miss under STATIC_URL in DEBUG (reference §6 #24).
    with project(None, PLAIN, DEBUG=True):
        fetched = Site(kind).get("/static/generated.js")
    assert (fetched.status, fetched.body) == (200, b"generated();")


def test_debug_miss_outside_static_url_is_untouched() -> None:
    with project(None, PLAIN, DEBUG=True):
        fetched = Site("sync").get("/nothing-here")
    assert fetched.status == 404
    assert b"ServeStatic did not find" not in fetched.body


def test_debug_without_the_app_warns() -> None:
    installed = ["django.contrib.staticfiles", "tests.django.project.app"]
    with (
        project(None, PLAIN, DEBUG=True),
        override_settings(INSTALLED_APPS=installed),
        pytest.warns(UserWarning, match="Django checks for ServeStatic are disabled"),
    ):
        ServeStaticMiddleware(not_found)


# ----------------------------------------------------------------------------- symlinks


def test_collectstatic_link_output_is_served(static_root: Path, tmp_path: Path) -> None:
    # collectstatic --link fills STATIC_ROOT with links into the apps' static directories;
    # ServeStatic 4.4 refused them as links leaving the root (reference §6 #19).
    with project(static_root, PLAIN):
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0, link=True)
    assert (static_root / "vendor" / "lib.js").is_symlink()
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (static_root / "leak.txt").symlink_to(secret)
    with project(static_root, PLAIN):
        with startup_messages() as messages:
            middleware = ServeStaticMiddleware(not_found)
        assert any("outside the root" in message for message in messages)
        assert content(call(middleware, "/static/vendor/lib.js")) == b"window.VENDOR = 'lib';\n"
        assert call(middleware, "/static/leak.txt").status_code == 404


# ----------------------------------------------------------------------------- start-up


class Injected:
    """A settings object given to the middleware: Django's settings plus overrides."""

    def __init__(self, **overrides: Any) -> None:
        self.__dict__.update(overrides)

    def __getattr__(self, name: str) -> Any:
        return getattr(django_settings, name)

    def __dir__(self) -> list[str]:
        return sorted({*dir(django_settings), *self.__dict__})


def not_found(request: HttpRequest) -> HttpResponse:
    return HttpResponseNotFound("next handler")


async def anot_found(request: HttpRequest) -> HttpResponse:
    return HttpResponseNotFound("next handler")


def call(middleware: ServeStaticMiddleware, path: str) -> HttpResponseBase:
    response = middleware(RequestFactory().get(path))
    assert isinstance(response, HttpResponseBase)
    return response


def test_mode_follows_the_next_handler(collected: Path) -> None:
    with project(collected, MANIFEST):
        sync = ServeStaticMiddleware(not_found)
        async_ = ServeStaticMiddleware(anot_found)
    assert not iscoroutinefunction(sync)
    assert iscoroutinefunction(async_)
    assert call(sync, "/static/js/app.js").status_code == 200
    coroutine = async_(RequestFactory().get("/static/nope.js"))
    assert asyncio.iscoroutine(coroutine)
    response = asyncio.run(coroutine)
    assert isinstance(response, HttpResponseNotFound)


def test_get_response_is_required() -> None:
    with pytest.raises(TypeError, match="needs get_response"):
        ServeStaticMiddleware(None)


def test_bad_settings_fail_at_start_up() -> None:
    with (
        override_settings(SERVESTATIC_MAX_AGE="soon"),
        pytest.raises(
            ImproperlyConfigured, match=r"\[servestatic.E014\] settings.SERVESTATIC_MAX_AGE"
        ),
    ):
        ServeStaticMiddleware(not_found)


def test_use_manifest_needs_a_manifest_storage(tmp_path: Path) -> None:
    with (
        project(tmp_path, PLAIN, SERVESTATIC_USE_MANIFEST=True),
        pytest.raises(ImproperlyConfigured, match="E012"),
    ):
        ServeStaticMiddleware(not_found)


def test_missing_static_root_warns(tmp_path: Path) -> None:
    with (
        project(tmp_path / "never-collected", PLAIN),
        pytest.warns(UserWarning, match="No directory at"),
    ):
        ServeStaticMiddleware(not_found)


def test_static_files_are_not_served_without_static_url(collected: Path) -> None:
    with project(collected, PLAIN, STATIC_URL=None):
        middleware = ServeStaticMiddleware(not_found)
    assert middleware.static_prefix is None
    assert middleware.files == {}


def test_servestatic_hooks_are_available(collected: Path) -> None:
    with project(collected, MANIFEST):
        middleware = ServeStaticMiddleware(not_found)
        url = "/static/" + hashed_name(collected, "css/plain.css")
        assert middleware.get_name_without_hash("css/plain.0123456789ab.css") == "css/plain.css"
        assert middleware.get_static_url("css/plain.css") == url
        assert middleware.get_static_url("css/unknown.css") is None
        assert middleware.immutable_file_test(str(collected), url)
        assert not middleware.immutable_file_test(str(collected), "/static/css/plain.css")
        assert not middleware.immutable_file_test(str(collected), "/elsewhere/plain.0123.css")
        assert url in middleware.files


def test_overridden_get_static_url_decides_immutability(collected: Path) -> None:
    (collected / "css" / "plain.0123456789ab.css").write_text("p {}")

    class Custom(ServeStaticMiddleware):
        @staticmethod
        def get_static_url(name: str) -> str | None:
            if name == "css/plain.css":
                return "https://cdn.example.com/static/css/plain.0123456789ab.css"
            return None

    with project(collected, MANIFEST):
        middleware = Custom(not_found)
    response = call(middleware, "/static/css/plain.0123456789ab.css")
    assert response.headers["Cache-Control"] == IMMUTABLE
    hashed = "/static/" + hashed_name(collected, "css/plain.css")
    assert call(middleware, hashed).headers["Cache-Control"] == "max-age=60, public"


def test_asgi_query_reaches_the_core_as_received_bytes() -> None:
    """Django's ASGI handler decodes the query as UTF-8 and its WSGI handler gives latin-1
    characters (PEP 3333); the request record is the same either way, so a redirect's
    ``Location`` escapes each received byte once."""
    import io

    from django.core.handlers.asgi import ASGIRequest
    from django.test import RequestFactory

    from servestatic.django.respond import request_record

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/static/sub",
        "raw_path": b"/static/sub",
        "query_string": "x=é".encode(),
        "headers": [],
        "root_path": "",
    }
    asgi_request = ASGIRequest(scope, io.BytesIO(b""))
    assert asgi_request.META["QUERY_STRING"] == "x=é"
    wsgi_request = RequestFactory().get("/static/sub", QUERY_STRING="x=\u00c3\u00a9")
    assert request_record(asgi_request).query == "x=\u00c3\u00a9"
    assert request_record(wsgi_request).query == "x=\u00c3\u00a9"
