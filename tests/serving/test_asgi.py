"""ASGI-only behaviour: send extensions, non-HTTP scopes, ASGI 2, trio, disconnects."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import trio

from servestatic import ServeStaticASGI
from servestatic.asgi import request_from_scope
from tests.client import call_asgi
from tests.conftest import write

BIG = b"0123456789" * 30_000  # 300 kB: above the in-memory size


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write(tmp_path / "big.bin", BIG)
    write(tmp_path / "small.txt", "small")
    return tmp_path


def test_pathsend_for_whole_files(tree: Path) -> None:
    app = ServeStaticASGI(None, tree)
    response = call_asgi(app, "/big.bin", extensions={"http.response.pathsend": {}})
    assert response.body == BIG
    assert [m["type"] for m in response.messages] == [
        "http.response.start",
        "http.response.pathsend",
    ]
    # A path naming the checked descriptor, not the file's name (issue 13).
    path = response.messages[1]["path"]
    assert path.startswith("/proc/self/fd/")
    assert os.path.samefile(path, tree / "big.bin")


def test_zerocopysend_for_ranges(tree: Path) -> None:
    app = ServeStaticASGI(None, tree)
    extensions: dict[str, Any] = {"http.response.zerocopysend": {}, "http.response.pathsend": {}}
    response = call_asgi(app, "/big.bin", headers={"Range": "bytes=100-199"}, extensions=extensions)
    assert response.status == 206
    assert response.body == BIG[100:200]
    message = response.messages[1]
    assert message["type"] == "http.response.zerocopysend"
    assert (message["offset"], message["count"]) == (100, 100)


def test_chunked_fallback_without_extensions(tree: Path) -> None:
    app = ServeStaticASGI(None, tree)
    response = call_asgi(app, "/big.bin")
    assert response.body == BIG
    bodies = [m for m in response.messages if m["type"] == "http.response.body"]
    assert bodies[-1]["more_body"] is False
    assert all(m["more_body"] for m in bodies[:-1])


def test_small_files_are_one_message(tree: Path) -> None:
    response = call_asgi(
        ServeStaticASGI(None, tree), "/small.txt", extensions={"http.response.pathsend": {}}
    )
    assert [m["type"] for m in response.messages] == ["http.response.start", "http.response.body"]
    assert response.body == b"small"


def test_pathsend_notices_a_changed_file(tree: Path) -> None:
    app = ServeStaticASGI(None, tree)
    (tree / "big.bin").write_bytes(b"x" * 250_000)
    os.utime(tree / "big.bin", (2_000_000_000, 2_000_000_000))
    response = call_asgi(app, "/big.bin", extensions={"http.response.pathsend": {}})
    assert response.header("content-length") == "250000"
    assert response.body == b"x" * 250_000


def _run_lifespan(app: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    return sent


def test_standalone_lifespan_completes(tree: Path) -> None:
    assert _run_lifespan(ServeStaticASGI(None, tree)) == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]


def test_standalone_websocket_is_refused(tree: Path) -> None:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(ServeStaticASGI(None, tree)({"type": "websocket", "path": "/"}, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1000}]


def test_other_scopes_go_to_the_application(tree: Path) -> None:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    wrapped = ServeStaticASGI(app, tree)
    asyncio.run(wrapped({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    asyncio.run(wrapped({"type": "websocket", "path": "/small.txt"}, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan", "websocket"]


def test_asgi2_application_is_adapted(tree: Path) -> None:
    class Legacy:
        def __init__(self, scope: dict[str, Any]) -> None:
            self.scope = scope

        async def __call__(self, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"asgi2"})

    response = call_asgi(ServeStaticASGI(Legacy, tree), "/not-a-file")
    assert response.body == b"asgi2"


def test_non_ascii_path_is_not_decoded_twice(tmp_path: Path) -> None:
    write(tmp_path / "\u00e9t\u00e9.txt", "summer")
    assert call_asgi(ServeStaticASGI(None, tmp_path), "/\u00e9t\u00e9.txt").body == b"summer"


def test_repeated_request_headers_are_combined(tree: Path) -> None:
    app = ServeStaticASGI(None, tree)
    etag = call_asgi(app, "/small.txt").header("etag") or ""
    scope_headers = {"if-none-match": f'"nope", {etag}'}
    assert call_asgi(app, "/small.txt", headers=scope_headers).status == 304


@pytest.mark.parametrize("autorefresh", [False, True])
def test_trio(tree: Path, autorefresh: bool) -> None:
    """Reads in worker threads go through trio's thread pool when trio runs the app."""
    app = ServeStaticASGI(None, tree, autorefresh=autorefresh)
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/big.bin",
        "raw_path": b"/big.bin",
        "query_string": b"",
        "headers": [],
    }
    trio.run(app, scope, receive, send)
    assert b"".join(m.get("body", b"") for m in messages[1:]) == BIG


def test_client_disconnect_stops_streaming(tree: Path) -> None:
    """uvicorn drops messages sent after a disconnect; the watcher stops reading the file."""
    write(tree / "huge.bin", b"z" * (8 * 1024 * 1024))
    app = ServeStaticASGI(None, tree)
    sent: list[dict[str, Any]] = []
    disconnected = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            disconnected.set()
            await asyncio.sleep(0.01)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/huge.bin",
        "raw_path": b"/huge.bin",
        "query_string": b"",
        "headers": [],
    }
    asyncio.run(app(scope, receive, send))
    body_messages = [m for m in sent if m["type"] == "http.response.body"]
    assert 1 <= len(body_messages) < 8  # stopped well before the 8 blocks of 1 MiB


@pytest.mark.parametrize(
    ("query", "expected"),
    [(None, ""), (b"", ""), (b"a=1&b=%20", "a=1&b=%20"), (b"caf\xe9", "caf\xe9")],
)
def test_query_string_in_the_request_record(query: bytes | None, expected: str) -> None:
    scope: dict[str, Any] = {"method": "GET", "path": "/x", "headers": []}
    if query is not None:
        scope["query_string"] = query
    assert request_from_scope(scope).query == expected


def test_a_304_is_a_start_and_one_empty_body(tree: Path) -> None:
    app = ServeStaticASGI(None, tree)
    etag = call_asgi(app, "/small.txt").header("etag")
    assert etag is not None
    response = call_asgi(app, "/small.txt", headers={"If-None-Match": etag})
    assert response.status == 304
    assert response.messages[1:] == [{"type": "http.response.body", "body": b""}]
