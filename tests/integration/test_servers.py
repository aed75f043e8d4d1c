"""servestatic under real servers on 127.0.0.1: uvicorn, granian (ASGI and WSGI),
gunicorn (sync and gthread), hypercorn with trio; and wrapping real Flask, FastAPI and
Starlette applications. Responses are read raw (http.client), byte for byte."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest

from tests.conftest import JS, write
from tests.live import SERVERS, fetch, interface, running

pytestmark = pytest.mark.servers

BIG = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("served")
    write(root / "app.js", JS)
    write(root / "app.js.gz", gzip.compress(JS, mtime=0))
    write(root / "app.js.br", brotli.compress(JS))
    write(root / "caf\u00e9.txt", "unicode")
    write(root / "docs" / "index.html", "<p>docs</p>")
    data = hashlib.sha256(b"seed").digest() * (BIG // 32)
    write(root / "big.bin", data)
    return root


@pytest.fixture(scope="module", params=SERVERS)
def server(request: pytest.FixtureRequest, tree: Path) -> Iterator[str]:
    name = str(request.param)
    env = {"SERVESTATIC_ROOT": str(tree), "SERVESTATIC_INDEX_FILE": "true"}
    target = (
        "servestatic.app:create_asgi()"
        if interface(name) == "asgi"
        else "servestatic.app:create_wsgi()"
    )
    with running(name, target, env=env) as url:
        yield url


def test_small_file_and_negotiation(server: str) -> None:
    status, headers, body = fetch(server, "/app.js")
    assert (status, body) == (200, JS)
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    assert headers["vary"] == "Accept-Encoding"
    assert "date" in headers
    status, headers, body = fetch(server, "/app.js", {"Accept-Encoding": "gzip, br"})
    assert headers["content-encoding"] == "br"
    assert brotli.decompress(body) == JS
    status, headers, body = fetch(server, "/app.js", {"Accept-Encoding": "gzip"})
    assert gzip.decompress(body) == JS


def test_conditional_and_head(server: str) -> None:
    _, headers, _ = fetch(server, "/app.js")
    status, headers304, body = fetch(server, "/app.js", {"If-None-Match": headers["etag"]})
    assert (status, body) == (304, b"")
    assert headers304["etag"] == headers["etag"]
    assert headers304["access-control-allow-origin"] == "*"
    status, head_headers, body = fetch(server, "/app.js", method="HEAD")
    assert (status, body) == (200, b"")
    assert head_headers["content-length"] == str(len(JS))


def test_big_file_and_ranges(server: str, tree: Path) -> None:
    data = (tree / "big.bin").read_bytes()
    status, headers, body = fetch(server, "/big.bin")
    assert status == 200
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    assert headers["content-length"] == str(BIG)
    status, headers, body = fetch(server, "/big.bin", {"Range": "bytes=5000000-5001023"})
    assert (status, body) == (206, data[5000000:5001024])
    assert headers["content-range"] == f"bytes 5000000-5001023/{BIG}"
    status, headers, body = fetch(server, "/big.bin", {"Range": "bytes=0-9,20-29"})
    assert status == 206
    assert headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert data[0:10] in body
    assert data[20:30] in body
    assert headers["content-length"] == str(len(body))
    status, headers, _ = fetch(server, "/big.bin", {"Range": f"bytes={BIG}-"})
    assert status == 416
    assert headers["content-range"] == f"bytes */{BIG}"


def test_paths_index_and_misses(server: str) -> None:
    status, _, body = fetch(server, "/caf\u00e9.txt")
    assert (status, body) == (200, b"unicode")
    status, headers, _ = fetch(server, "/docs")
    assert (status, headers["location"]) == (302, "docs/")
    status, _, body = fetch(server, "/docs/")
    assert (status, body) == (200, b"<p>docs</p>")
    status, _, body = fetch(server, "/missing")
    assert (status, body) == (404, b"Not Found")
    status, headers, _ = fetch(server, "/app.js", method="POST")
    assert (status, headers["allow"]) == (405, "GET, HEAD, OPTIONS")


APPS = [
    ("gunicorn-gthread", "tests.integration.apps:flask_app()", "flask"),
    ("uvicorn", "tests.integration.apps:fastapi_app()", "fastapi"),
    ("granian-asgi", "tests.integration.apps:starlette_app()", "starlette"),
]


@pytest.mark.parametrize(("server_name", "target", "framework"), APPS)
def test_wrapping_real_applications(
    tree: Path, server_name: str, target: str, framework: str
) -> None:
    with running(server_name, target, env={"TEST_STATIC_ROOT": str(tree)}) as url:
        status, headers, body = fetch(url, "/static/app.js", {"Accept-Encoding": "br"})
        assert status == 200
        assert headers["content-encoding"] == "br"
        assert brotli.decompress(body) == JS
        status, _, body = fetch(url, "/api/hello")
        assert status == 200
        assert framework.encode() in body
        status, _, _ = fetch(url, "/static/missing.js")
        assert status == 404  # the framework's own 404
