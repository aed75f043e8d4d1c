"""The benchmark's trivial application (``benchmarks/contender/floor.py``, each server's
floor) passes the same byte-for-byte checks as every contender, through WSGI and ASGI, and
hands the 10 MiB file over the way the module says: a shared descriptor to
``wsgi.file_wrapper``, a path to ``pathsend``, the bytes otherwise."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest

from benchmarks.contenders import CONTENDER
from benchmarks.fixtures import BIG_SIZE, RANGE_FIRST, RANGE_LAST, Fixtures
from benchmarks.scenarios import CHECKS, SCENARIOS, Response, _common
from tests.client import Response as ClientResponse
from tests.client import call_asgi, call_wsgi, run_wsgi


@pytest.fixture(scope="module")
def floor() -> Iterator[Any]:
    sys.path.insert(0, str(CONTENDER))
    try:
        import floor  # type: ignore[import-not-found]
        import serve_apps  # type: ignore[import-not-found]

        yield floor, serve_apps
    finally:
        sys.path.remove(str(CONTENDER))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Fixtures]:
    root = tmp_path_factory.mktemp("static")
    rng = random.Random(7)
    small = bytes(rng.randrange(32, 127) for _ in range(1023)) + b"\n"
    css = b".a { color: red; }\n" * 3000
    css_br = brotli.compress(css)
    big = rng.randbytes(BIG_SIZE)
    for name, data in [
        ("small.js", small),
        ("app.css", css),
        ("app.css.br", css_br),
        ("app.css.gz", b"not sent"),
        ("big.bin", big),
    ]:
        (root / name).write_bytes(data)
    fixtures = Fixtures(
        small=small,
        css=css,
        css_br=css_br,
        css_gz=b"",
        big_sha256=__import__("hashlib").sha256(big).hexdigest(),
        big_slice=big[RANGE_FIRST : RANGE_LAST + 1],
    )
    return root, fixtures


def _checked(name: str, fixtures: Fixtures, response: ClientResponse) -> None:
    merged = {key.lower(): value for key, value in response.header_list}
    wire = Response(response.status, merged, response.body)
    CHECKS[name](fixtures, wire)
    if name not in {"miss", "not-modified"}:
        _common(wire, name)


def _scenario_headers(name: str, etag: str | None) -> dict[str, str]:
    headers = dict(SCENARIOS[name].headers)
    if SCENARIOS[name].etag_from is not None:
        assert etag is not None
        headers["If-None-Match"] = etag
    return headers


@pytest.mark.parametrize("name", [name for name in SCENARIOS if name != "autorefresh"])
def test_wsgi_floor_passes_every_contenders_checks(
    floor: Any, site: tuple[Path, Fixtures], name: str
) -> None:
    module, apps = floor
    root, fixtures = site
    app = module.make_wsgi(apps.fallback_wsgi, str(root))
    etag = call_wsgi(app, "/static/small.js").header("etag")
    response = call_wsgi(app, SCENARIOS[name].path, headers=_scenario_headers(name, etag))
    _checked(name, fixtures, response)


@pytest.mark.parametrize("pathsend", [False, True])
@pytest.mark.parametrize("name", [name for name in SCENARIOS if name != "autorefresh"])
def test_asgi_floor_passes_every_contenders_checks(
    floor: Any, site: tuple[Path, Fixtures], name: str, pathsend: bool
) -> None:
    module, apps = floor
    root, fixtures = site
    app = module.make_asgi(apps.fallback_asgi, str(root))
    extensions: dict[str, Any] = {"http.response.pathsend": {}} if pathsend else {}
    etag = call_asgi(app, "/static/small.js").header("etag")
    headers = _scenario_headers(name, etag)
    response = call_asgi(app, SCENARIOS[name].path, headers=headers, extensions=extensions)
    _checked(name, fixtures, response)
    if name == "big":
        kinds = [message["type"] for message in response.messages]
        assert kinds[1] == ("http.response.pathsend" if pathsend else "http.response.body")
        assert len(kinds) == 2  # one message: no Python loop per block


def test_wsgi_floor_hands_the_big_file_to_the_server_file_wrapper(
    floor: Any, site: tuple[Path, Fixtures]
) -> None:
    module, apps = floor
    root, _ = site
    app = module.make_wsgi(apps.fallback_wsgi, str(root))
    handed: list[Any] = []

    def wrapper(filelike: Any, block: int) -> Any:
        handed.append(filelike)
        return iter(lambda: filelike.read(block), b"")

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/static/big.bin",
        "wsgi.file_wrapper": wrapper,
    }
    first = run_wsgi(app, dict(environ))
    second = run_wsgi(app, dict(environ))
    assert first.body == second.body == (root / "big.bin").read_bytes()
    # The descriptor opened at start-up, for every request: never closed, never moved (no
    # seek: gunicorn's sendfile reads the position), so threads can share it.
    assert handed[0].fileno() == handed[1].fileno()
    assert not hasattr(handed[0], "seek")
    assert not hasattr(handed[0], "close")
    assert os.lseek(handed[0].fileno(), 0, os.SEEK_CUR) == 0
    # The small file is never wrapped: its bytes come from memory.
    assert run_wsgi(app, environ | {"PATH_INFO": "/static/small.js"}).status == 200
    assert len(handed) == 2


@pytest.mark.parametrize(
    "value", ["bytes=-5", "bytes=9-3", "items=0-1", "bytes=0-1,4-5", f"bytes={BIG_SIZE}-"]
)
def test_floor_ignores_ranges_it_does_not_parse(
    floor: Any, site: tuple[Path, Fixtures], value: str
) -> None:
    module, apps = floor
    root, _ = site
    response = call_wsgi(
        module.make_wsgi(apps.fallback_wsgi, str(root)),
        "/static/big.bin",
        headers={"Range": value},
    )
    assert response.status == 200
    assert len(response.body) == BIG_SIZE
