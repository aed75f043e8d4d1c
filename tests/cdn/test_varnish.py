"""A real shared cache in the loop (issue 16 item 3): Varnish in front of two replicas.

Every test runs under an ASGI server (uvicorn) and a WSGI server (gunicorn), the replicas
serving copies of the same build with different mtimes and ``etag = "content"``, Varnish
running the VCL shown in docs/deployment.md (``docs/varnish/servestatic.vcl``).
"""

from __future__ import annotations

import gzip
import http.client
import io
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import brotli
import pytest
import zstandard

from servestatic.cli import run
from tests.cdn.harness import (
    Cdn,
    build_site,
    cdn,
    copy_with_other_mtimes,
    need_varnish,
    references,
    wait_for,
)

pytestmark = pytest.mark.timeout(180)

SERVERS = ["uvicorn", "gunicorn-sync"]
DECODE = {
    "zstd": lambda data: zstandard.ZstdDecompressor().decompress(data),
    "br": brotli.decompress,
    "gzip": gzip.decompress,
}


@pytest.fixture(scope="module", params=SERVERS)
def one_build(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Cdn, Path, dict[str, str]]]:
    """Both replicas on build 1 (mutable files cached for one second)."""
    need_varnish()
    tmp = tmp_path_factory.mktemp(f"cdn-{request.param}")
    paths = build_site(tmp, 1, tmp / "a")
    copy_with_other_mtimes(tmp / "a", tmp / "b")
    roots = {"replica_a": tmp / "a", "replica_b": tmp / "b"}
    with cdn(request.param, roots, tmp / "work", max_age=1) as running:
        yield running, tmp / "a", paths


# ----------------------------------------------------------------------------- encodings

#: Accept-Encoding as sent → the codings it accepts (q > 0) among those servestatic serves.
ACCEPTS = [
    ("zstd", {"zstd"}),
    ("br", {"br"}),
    ("gzip", {"gzip"}),
    (None, set()),
    ("identity", set()),
    ("gzip, br;q=0", {"gzip"}),
    ("br;q=0, zstd;q=0.000, gzip;q=0.5", {"gzip"}),
    ("zstd;q=0, BR", {"br"}),
    ("br;q=0, gzip;q=0", set()),
    ("*", set()),  # the VCL only passes codings it can name: identity, never a wrong one
    ("gzip, deflate, br, zstd", {"zstd", "br", "gzip"}),
]


def test_each_encoding_is_cached_apart_and_only_sent_to_clients_that_accept_it(
    one_build: tuple[Cdn, Path, dict[str, str]],
) -> None:
    running, root, paths = one_build
    url = "/" + paths["css/app.css"]
    identity = (root / paths["css/app.css"]).read_bytes()
    served: dict[str, bytes] = {}
    for header, accepted in ACCEPTS:
        headers = {} if header is None else {"Accept-Encoding": header}
        for _ in range(2):  # the second answer comes from the cache
            status, response, body = running.get(url, headers)
            assert status == 200
            coding = response.get("content-encoding")
            assert (coding or "identity") in accepted | {"identity"}, (header, coding)
            assert (DECODE[coding](body) if coding else body) == identity
            assert "accept-encoding" in response["vary"].lower()
            served.setdefault(coding or "identity", body)
        assert response["x-cache"] == "HIT"
        if accepted:
            assert coding in accepted  # the variants are worth it for this file
    # One object per coding: the cache held four different bodies for one URL.
    assert set(served) == {"zstd", "br", "gzip", "identity"}
    assert len(set(served.values())) == 4


# ----------------------------------------------------------------------------- revalidation


def test_revalidations_reach_either_replica_as_conditional_requests_and_get_304(
    one_build: tuple[Cdn, Path, dict[str, str]],
) -> None:
    running, _, _ = one_build
    page = "/about.html"
    running.clear_log()
    status, first, body = running.get(page, {"Accept-Encoding": "identity"})
    assert status == 200
    assert first["cache-control"] == "max-age=1, public"
    for _ in range(4):
        time.sleep(1.3)  # past max-age: the next request makes Varnish revalidate
        status, again, again_body = running.get(page, {"Accept-Encoding": "identity"})
        assert status == 200
        assert again_body == body
        assert again["etag"] == first["etag"]
    wait_for(lambda: len([r for r in running.origin_log() if r["path"] == page]) >= 5)
    log = [record for record in running.origin_log() if record["path"] == page]
    fetched, revalidations = log[0], log[1:]
    assert fetched["if_none_match"] is None
    assert fetched["status"] == 200
    assert revalidations, log
    for record in revalidations:
        assert record["if_none_match"] == first["etag"], record
        assert record["status"] == 304, record  # the body is never sent again
    # The replicas' files have different mtimes; content ETags still agree, so the other
    # replica answers a revalidation of an object the first one sent with a 304.
    assert {record["replica"] for record in revalidations} == {"replica_a", "replica_b"}


def test_a_client_revalidation_is_answered_by_the_cache(
    one_build: tuple[Cdn, Path, dict[str, str]],
) -> None:
    running, _, paths = one_build
    url = "/" + paths["js/app.js"]
    status, headers, _ = running.get(url, {"Accept-Encoding": "br"})
    assert status == 200
    status, again, body = running.get(
        url, {"Accept-Encoding": "br", "If-None-Match": headers["etag"]}
    )
    assert status == 304
    assert body == b""
    assert again["etag"] == headers["etag"]


# ----------------------------------------------------------------------------- ranges


@pytest.mark.parametrize("coding", ["identity", "br"])
def test_ranges_through_the_cache(one_build: tuple[Cdn, Path, dict[str, str]], coding: str) -> None:
    running, root, paths = one_build
    name = paths["css/app.css"]
    whole = (
        (root / name).read_bytes() if coding == "identity" else (root / f"{name}.br").read_bytes()
    )
    url = f"/{name}?range-{coding}"  # a URL not yet in the cache: the first range is a miss
    running.clear_log()
    for expected_cache in ("MISS", "HIT"):
        status, headers, body = running.get(
            url, {"Accept-Encoding": coding, "Range": "bytes=10-29"}
        )
        assert status == 206
        assert headers["x-cache"] == expected_cache
        assert headers["content-range"] == f"bytes 10-29/{len(whole)}"
        assert body == whole[10:30]
        assert headers.get("content-encoding", "identity") == coding
    status, headers, body = running.get(url, {"Accept-Encoding": coding, "Range": "bytes=-5"})
    assert (status, body) == (206, whole[-5:])
    status, headers, body = running.get(
        url, {"Accept-Encoding": coding, "Range": f"bytes={len(whole)}-"}
    )
    assert status == 416
    assert headers["content-range"] == f"bytes */{len(whole)}"
    # The cache asked the origin for the whole file once, and cut the ranges itself.
    log = [record for record in running.origin_log() if record["path"] == "/" + name]
    assert len(log) == 1
    assert log[0]["status"] == 200


# ----------------------------------------------------------------------------- deploys


def _load_everything(running: Cdn, page: bytes, build: Path) -> list[str]:
    """Every asset ``page`` references, and what they reference, fetched four times with
    different query strings (so the cache asks both replicas); each must be 200 with the
    bytes of ``build``. Returns the assets' names."""
    queue, seen = references(page), []
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.append(name)
        for attempt in range(4):
            status, _, body = running.get(f"/{name}?try={attempt}", {"Accept-Encoding": "identity"})
            assert status == 200, (name, attempt)
            assert body == (build / name).read_bytes(), name
        text = (build / name).read_text()
        folder = name.rsplit("/", 1)[0]
        for found in [*_urls(text)]:
            queue.append(_join(folder, found))
    return seen


def _urls(text: str) -> list[str]:
    """``url(...)`` in CSS and ``from "..."`` in JS (the build's own fixtures only)."""
    return [a or b for a, b in re.findall(r'url\(([^)]+)\)|from "([^"]+)"', text)]


def _join(folder: str, reference: str) -> str:
    parts = folder.split("/")
    for part in reference.split("/"):
        if part == "..":
            parts.pop()
        elif part not in {".", ""}:
            parts.append(part)
    return "/".join(parts)


@pytest.mark.parametrize("server", SERVERS)
def test_a_rolling_deploy_never_breaks_a_page(server: str, tmp_path: Path) -> None:
    """Replica A is on build 2 (with ``--retain 1``), replica B still on build 1: pages of
    both builds load every asset they reference, whichever replica each request reaches."""
    need_varnish()
    old = tmp_path / "b"
    build_site(tmp_path, 1, old)
    old_pages = {name: (old / name).read_bytes() for name in ("index.html", "docs/index.html")}
    new = copy_with_other_mtimes(old, tmp_path / "a")
    build_site(tmp_path, 2, new, "--retain", "1")
    new_pages = {name: (new / name).read_bytes() for name in ("index.html", "docs/index.html")}
    assert old_pages != new_pages
    with cdn(server, {"replica_a": new, "replica_b": old}, tmp_path / "work") as running:
        for name, page in old_pages.items():
            assert _load_everything(running, page, old), name
        for name, page in new_pages.items():
            assert _load_everything(running, page, new), name
        # Each page URL answers with one build's page or the other's, never an error.
        for attempt in range(4):
            status, _, body = running.get(f"/docs/?try={attempt}")
            assert status == 200
            assert body in (old_pages["docs/index.html"], new_pages["docs/index.html"])
        log = running.origin_log()
    # What made it work: replica A served build 1's files it retained, and build 2's files
    # asked of replica B (404 there) were fetched again from replica A.
    old_only = set(references(old_pages["index.html"])) - set(references(new_pages["index.html"]))
    assert old_only
    assert any(
        r["replica"] == "replica_a" and r["status"] == 200 and r["path"][1:] in old_only
        for r in log
    )
    new_only = set(references(new_pages["index.html"])) - set(references(old_pages["index.html"]))
    misses = [r for r in log if r["replica"] == "replica_b" and r["path"][1:] in new_only]
    assert misses
    assert all(r["status"] == 404 for r in misses)


@pytest.mark.parametrize("server", SERVERS)
def test_the_diff_purge_list_refreshes_exactly_the_changed_pages(
    server: str, tmp_path: Path
) -> None:
    need_varnish()
    live_a, live_b = tmp_path / "a", tmp_path / "b"
    build_site(tmp_path, 1, live_a)
    copy_with_other_mtimes(live_a, live_b)
    previous = tmp_path / "previous"
    shutil.copytree(live_a, previous)  # what the deploy script keeps to diff against
    # With index_file on, /docs/index.html redirects to /docs/: the pages are the folders.
    pages = ["/", "/docs/", "/about.html"]
    roots = {"replica_a": live_a, "replica_b": live_b}
    with cdn(server, roots, tmp_path / "work", max_age=3600) as running:
        before = {}
        for page in pages:
            running.get(page)
            status, headers, body = running.get(page)
            assert (status, headers["x-cache"]) == (200, "HIT")
            before[page] = body
        # Deploy build 2 to both replicas.
        build_site(tmp_path, 2, live_a, "--retain", "1")
        copy_with_other_mtimes(live_a, live_b)
        for name, replica in running.replicas.items():
            replica.restart(roots[name])
        for page in pages:  # the cache still serves build 1's pages
            status, headers, body = running.get(page)
            assert (headers["x-cache"], body) == ("HIT", before[page])
        # The purge list, as the docs' deploy recipe computes and applies it.
        config = tmp_path / "servestatic.toml"
        config.write_text("index_file = true\n")
        out = io.StringIO()
        with redirect_stdout(out):
            assert run(["diff", str(previous), str(live_a), "--config", str(config)]) == 0
        purge = out.getvalue().split()
        # Both URLs of each changed index file (a CDN caches both); about.html is unchanged
        # and the hashed assets are immutable.
        assert purge == ["/", "/docs/", "/docs/index.html", "/index.html"]
        for url in purge:
            status, _, _ = running.get(url, method="PURGE")
            assert status == 200
        for page in pages:
            status, headers, body = running.get(page)
            assert status == 200
            current = (
                live_a / (page[1:] + ("index.html" if page.endswith("/") else ""))
            ).read_bytes()
            assert body == current
            if page != "/about.html":
                assert headers["x-cache"] == "MISS"
                assert body != before[page]
                assert _load_everything(running, body, live_a)
            else:
                assert headers["x-cache"] == "HIT"  # never purged, still right
                assert body == before[page]


def test_purge_is_refused_from_other_addresses(
    one_build: tuple[Cdn, Path, dict[str, str]],
) -> None:
    """The VCL's ACL: only 127.0.0.1 and ::1 may purge. 127.0.0.2 is another address of
    the loopback interface, so it stands for another host."""
    running, _, _ = one_build
    connection = http.client.HTTPConnection(
        "127.0.0.1", running.port, timeout=10, source_address=("127.0.0.2", 0)
    )
    try:
        connection.request("PURGE", "/about.html")
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 405
    status, _, _ = running.get("/about.html", method="PURGE")
    assert status == 200


def test_the_documented_vcl_is_the_tested_one() -> None:
    """docs/deployment.md shows docs/varnish/servestatic.vcl verbatim."""
    repo = Path(__file__).resolve().parents[2]
    page = (repo / "docs" / "deployment.md").read_text()
    shown = page.split("```vcl\n", 1)[1].split("```", 1)[0]
    assert shown == (repo / "docs" / "varnish" / "servestatic.vcl").read_text()
