"""One delivery decision for every adapter (issue 15): WSGI, ASGI, Django sync and async
choose bodies alike and follow one rule for a file that changed since start-up.

The rule (``Engine.serve``): a changed file is rebuilt from the disk and the request
answered once more; if it changed again meanwhile, the request is a miss: the wrapped
application's, else a plain 404.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

import servestatic.serve.deliver as deliver_module
import servestatic.serve.files as files_module
from servestatic import ServeStatic, ServeStaticASGI
from servestatic.config import Settings
from servestatic.middleware import ServeStaticMiddleware
from servestatic.serve.engine import Engine
from tests.client import call_asgi, call_wsgi
from tests.django.conftest import PLAIN, acontent, content, project

pytestmark = pytest.mark.django

SMALL = b"small file\n" * 10
BIG = (b"big file, streamed\n" * 12_000)[:200_000]  # above the 64 KiB memory cache
FROM_APP = b"from the application"
ADAPTERS = ["wsgi", "asgi", "django-sync", "django-async"]
#: (URL, Range): memory cache, streamed whole file, one-read span, streamed span, multipart.
CASES = [
    ("/small.txt", None),
    ("/big.bin", None),
    ("/big.bin", "bytes=10-19"),
    ("/big.bin", "bytes=0-99999"),
    ("/big.bin", "bytes=0-9,20-29"),
]


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]


def _wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [FROM_APP]


async def _asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": FROM_APP})


def _django_app(request: HttpRequest) -> HttpResponse:
    return HttpResponse(FROM_APP)


async def _adjango_app(request: HttpRequest) -> HttpResponse:
    return HttpResponse(FROM_APP)


class Served:
    """One adapter over ``root``; ``wrapped=False``: no application (WSGI/ASGI only)."""

    def __init__(self, kind: str, root: Path, *, wrapped: bool = True, **options: Any) -> None:
        self.kind = kind
        if kind in {"wsgi", "asgi"}:
            settings = Settings(root=root, **options)
            if kind == "wsgi":
                self.app: Any = ServeStatic(_wsgi_app if wrapped else None, settings=settings)
            else:
                self.app = ServeStaticASGI(_asgi_app if wrapped else None, settings=settings)
        else:
            django_options = {f"SERVESTATIC_{k.upper()}": v for k, v in options.items()}
            with project(None, PLAIN, SERVESTATIC_ROOT=str(root), **django_options):
                get_response = _django_app if kind == "django-sync" else _adjango_app
                self.app = ServeStaticMiddleware(get_response)

    @property
    def engine(self) -> Engine:
        engine: Engine = self.app.engine
        return engine

    def get(self, path: str, range_: str | None = None, **extensions: Any) -> Answer:
        headers = {"Range": range_} if range_ else {}
        if self.kind == "wsgi":
            response = call_wsgi(self.app, path, headers=headers)
            return Answer(response.status, response.body, response.headers)
        if self.kind == "asgi":
            response = call_asgi(self.app, path, headers=headers, extensions=extensions)
            return Answer(response.status, response.body, response.headers)
        request = RequestFactory().get(path, headers=headers)
        if self.kind == "django-sync":
            result = self.app(request)
            try:
                return Answer(result.status_code, content(result), _lowered(result.headers))
            finally:
                result.close()  # what Django's handler does once the body is sent

        async def run() -> Answer:
            result = await self.app(request)
            try:
                body = await acontent(result)
                return Answer(result.status_code, body, _lowered(result.headers))
            finally:
                result.close()

        return asyncio.run(run())


def _lowered(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "small.txt").write_bytes(SMALL)
    (tmp_path / "big.bin").write_bytes(BIG)
    return tmp_path


def _expected(data: bytes, range_: str | None) -> tuple[int, bytes]:
    if range_ is None:
        return 200, data
    first, last = range_.removeprefix("bytes=").split(",")[0].split("-")
    return 206, data[int(first) : int(last) + 1]


def _change(path: Path, tail: bytes) -> bytes:
    """Replace a file by one of another size (what a deploy does); return its bytes."""
    data = path.read_bytes()[: -len(tail) - 1] + tail
    path.write_bytes(data)
    return data


@pytest.mark.parametrize(("url", "range_"), CASES)
@pytest.mark.parametrize("kind", ADAPTERS)
def test_a_changed_file_is_rebuilt_and_served(
    root: Path, kind: str, url: str, range_: str | None
) -> None:
    served = Served(kind, root)
    data = _change(root / url.lstrip("/"), b"NEW")
    answer = served.get(url, range_)
    status, body = _expected(data, range_)
    assert answer.status == status
    if range_ is None or "," not in range_:
        assert answer.body == body
    else:
        assert body in answer.body  # the first part of the multipart body
    assert answer.headers["content-length"] == str(len(answer.body))


@pytest.mark.parametrize(("url", "range_"), CASES)
@pytest.mark.parametrize("kind", ADAPTERS)
def test_a_file_changed_again_goes_to_the_application(
    root: Path, kind: str, url: str, range_: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = Served(kind, root)
    engine = served.engine
    path = root / url.lstrip("/")
    _change(path, b"FIRST")
    rebuild = engine.refresh

    def changed_during_rebuild(request_path: str, stale_file: str) -> None:
        rebuild(request_path, stale_file)
        _change(path, b"SECOND-CHANGE")

    monkeypatch.setattr(engine, "refresh", changed_during_rebuild)
    answer = served.get(url, range_)
    assert (answer.status, answer.body) == (200, FROM_APP)


@pytest.mark.parametrize(("url", "range_"), CASES)
@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_a_file_changed_again_is_a_404_without_an_application(
    root: Path, kind: str, url: str, range_: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = Served(kind, root, wrapped=False)
    engine = served.engine
    path = root / url.lstrip("/")
    _change(path, b"FIRST")
    rebuild = engine.refresh

    def changed_during_rebuild(request_path: str, stale_file: str) -> None:
        rebuild(request_path, stale_file)
        _change(path, b"SECOND-CHANGE")

    monkeypatch.setattr(engine, "refresh", changed_during_rebuild)
    answer = served.get(url, range_)
    assert (answer.status, answer.body) == (404, b"Not Found")
    assert answer.headers["cache-control"] == "no-cache"


@dataclass
class Reads:
    spans: int = 0  # one pread of a span (HeldDescriptors.read)
    opened: int = 0  # a file opened for streaming (open_representation)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    counted = Reads()
    held_read, open_representation = (
        files_module.HeldDescriptors.read,
        files_module.open_representation,
    )

    def counting_read(self: files_module.HeldDescriptors, *args: Any) -> bytes:
        counted.spans += 1
        return held_read(self, *args)

    def counting_open(*args: Any) -> Any:
        counted.opened += 1
        return open_representation(*args)

    monkeypatch.setattr(files_module.HeldDescriptors, "read", counting_read)
    monkeypatch.setattr(deliver_module, "open_representation", counting_open)
    return counted


@pytest.mark.parametrize(
    ("range_", "expected"),
    [
        ("bytes=10-19", Reads(spans=1)),  # a small span of a big file: one pread
        ("bytes=0-99999", Reads(opened=1)),  # past the memory cache's file size: streamed
        ("bytes=0-9,20-29", Reads(opened=1)),  # multipart: streamed
        (None, Reads(opened=1)),
    ],
)
@pytest.mark.parametrize("kind", ADAPTERS)
def test_every_adapter_reads_bodies_the_same_way(
    root: Path, kind: str, range_: str | None, expected: Reads, reads: Reads
) -> None:
    answer = Served(kind, root).get("/big.bin", range_)
    assert answer.status == (200 if range_ is None else 206)
    assert reads == expected


def test_a_server_that_takes_descriptors_gets_small_spans_as_descriptors(
    root: Path, reads: Reads
) -> None:
    # zerocopysend: the server sends from the descriptor; no copy through Python.
    answer = Served("asgi", root).get(
        "/big.bin", "bytes=10-19", **{"http.response.zerocopysend": {}}
    )
    assert (answer.status, answer.body) == (206, BIG[10:20])
    assert reads == Reads(opened=1)


@pytest.mark.parametrize("kind", ADAPTERS)
def test_every_adapter_reports_memory_cache_hits(root: Path, kind: str) -> None:
    served = Served(kind, root, memory_cache={"cache_status": True})
    first, second = served.get("/small.txt"), served.get("/small.txt")
    assert first.body == second.body == SMALL
    assert "cache-status" not in first.headers  # read from disk, then kept
    assert second.headers["cache-status"] == "servestatic; hit"


@pytest.mark.parametrize("kind", ADAPTERS)
def test_a_kept_plain_answer_is_looked_up_once(
    kind: str, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every adapter asks the plain-GET table itself before ``Engine.serve``, which does not
    ask again: a warm plain GET never reaches ``serve``, and one the table cannot answer
    (a range) looks nothing up in it."""
    served = Served(kind, root)
    for _ in range(2):  # read from disk and cached, then answered from memory and kept
        assert served.get("/small.txt").body == SMALL
    engine = served.engine
    serves: list[str] = []
    lookups: list[str] = []
    real_serve, real_plain = engine.serve, engine.plain

    def counting_serve(request: Any, *args: Any, **kwargs: Any) -> Any:
        serves.append(request.path)
        return real_serve(request, *args, **kwargs)

    def counting_plain(path: str, *args: Any) -> Any:
        lookups.append(path)
        return real_plain(path, *args)

    monkeypatch.setattr(engine, "serve", counting_serve)
    monkeypatch.setattr(engine, "plain", counting_plain)
    for _ in range(3):
        answer = served.get("/small.txt")
        assert (answer.status, answer.body) == (200, SMALL)
    assert (serves, lookups) == ([], ["/small.txt"] * 3)
    assert served.get("/small.txt", "bytes=0-3").body == SMALL[:4]
    assert (serves, lookups) == (["/small.txt"], ["/small.txt"] * 3)
