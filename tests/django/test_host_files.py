"""``_headers`` / ``_redirects`` under Django: read at the top of ``SERVESTATIC_ROOT`` /
``SERVESTATIC_ROOTS`` mounted at ``/`` (a site root, as ``servestatic serve`` reads them),
never in ``STATIC_ROOT`` (collected app files, even at ``STATIC_URL = "/"``), where they
are plain static files; ``SERVESTATIC_IMPORT`` lists files explicitly."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from servestatic.django.settings import collect
from tests.django.conftest import PLAIN, collectstatic, project
from tests.django.test_middleware import Site

pytestmark = pytest.mark.django

HEADERS = "/*\n  X-Imported: {}\n"
REDIRECTS = "/moved /elsewhere 301\n"


def _collected(tmp_path: Path) -> Path:
    root = collectstatic(tmp_path / "collected", PLAIN)
    (root / "_headers").write_text(HEADERS.format("static-root"))
    (root / "_redirects").write_text(REDIRECTS)
    return root


@pytest.mark.parametrize(("static_url", "media_url"), [("/static/", "/media/"), ("/", "/m/")])
def test_static_root_files_are_served_as_plain_files(
    tmp_path: Path, static_url: str, media_url: str
) -> None:
    root = _collected(tmp_path)
    with project(root, PLAIN, STATIC_URL=static_url, MEDIA_URL=media_url):
        site = Site("sync")
        headers, redirects = site.get(f"{static_url}_headers"), site.get(f"{static_url}_redirects")
        css = site.get(f"{static_url}css/plain.css")
        moved = site.get("/moved")
    assert (headers.status, headers.body) == (200, HEADERS.format("static-root").encode())
    assert (redirects.status, redirects.body) == (200, REDIRECTS.encode())
    assert css.status == 200
    assert css.header("X-Imported") is None
    assert moved.status == 404


@pytest.mark.parametrize("setting", ["SERVESTATIC_ROOT", "SERVESTATIC_ROOTS"])
def test_a_site_root_at_slash_is_read_and_its_files_never_served(
    tmp_path: Path, setting: str
) -> None:
    root = _collected(tmp_path)
    public = tmp_path / "public"
    public.mkdir()
    (public / "robots.txt").write_text("User-agent: *\n")
    (public / "_headers").write_text(HEADERS.format("public"))
    (public / "_redirects").write_text(REDIRECTS)
    value = str(public) if setting == "SERVESTATIC_ROOT" else [{"path": str(public)}]
    with project(root, PLAIN, **{setting: value}):
        site = Site("sync")
        robots, css = site.get("/robots.txt"), site.get("/static/css/plain.css")
        moved = site.get("/moved")
        hidden = [site.get(url).status for url in ("/_headers", "/_redirects")]
    # The rules are the site's: "/*" covers the static files too, as on those hosts.
    assert robots.header("X-Imported") == css.header("X-Imported") == "public"
    assert (moved.status, moved.header("Location")) == (301, "/elsewhere")
    assert hidden == [404, 404]


def test_servestatic_import_lists_files(tmp_path: Path) -> None:
    root = _collected(tmp_path)
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "_headers").write_text(HEADERS.format("listed"))
    with project(root, PLAIN, SERVESTATIC_IMPORT=[str(conf / "_headers")]):
        loaded = collect(settings).loaded
        css = Site("sync").get("/static/css/plain.css")
    assert loaded.source_of("import") == "settings.SERVESTATIC_IMPORT"
    assert loaded.sources[-1].endswith("conf/_headers")
    assert css.header("X-Imported") == "listed"
