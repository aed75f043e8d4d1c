"""In-process drivers that let a test act *during* a response: change the file after the
first block, disconnect the client, stop iterating. ``tests/client.py`` collects whole
responses; these expose every message and every iteration step."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AsgiRun", "WsgiRun", "open_fds", "run_asgi", "start_wsgi"]


def open_fds() -> int:
    """Descriptors open in this process (after collecting garbage that may hold files)."""
    gc.collect()
    return len(os.listdir("/proc/self/fd"))


@dataclass
class AsgiRun:
    messages: list[dict[str, Any]] = field(default_factory=list)
    error: BaseException | None = None

    @property
    def starts(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == "http.response.start"]

    @property
    def body(self) -> bytes:
        return b"".join(
            m.get("body", b"") for m in self.messages if m["type"] == "http.response.body"
        )

    @property
    def body_messages(self) -> int:
        return sum(1 for m in self.messages if m["type"] == "http.response.body")

    def header(self, name: str) -> str | None:
        for key, value in self.starts[0]["headers"]:
            if key.decode("latin-1").lower() == name.lower():
                return str(value.decode("latin-1"))
        return None


def run_asgi(
    app: Any,
    path: str,
    headers: Mapping[str, str] | None = None,
    *,
    on_body: Callable[[int], None] | None = None,
    disconnect_after: int | None = None,
) -> AsgiRun:
    """Run one request. ``on_body(n)`` runs after the n-th body message (1-based);
    ``disconnect_after=n`` makes ``receive()`` report a disconnect once n body messages
    were sent, as a server does when the client goes away."""
    run = AsgiRun()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8"),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "extensions": {},
    }

    async def main() -> None:
        sent_bodies = 0
        gone = asyncio.Event()
        first = True

        async def receive() -> dict[str, Any]:
            nonlocal first
            if first:
                first = False
                return {"type": "http.request", "body": b"", "more_body": False}
            if disconnect_after is None:
                await asyncio.sleep(3600)
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Mapping[str, Any]) -> None:
            nonlocal sent_bodies
            run.messages.append(dict(message))
            if message["type"] == "http.response.body":
                sent_bodies += 1
                if on_body is not None:
                    on_body(sent_bodies)
                if disconnect_after is not None and sent_bodies >= disconnect_after:
                    gone.set()
                    # Let the adapter's disconnect watcher run, as a server's loop would.
                    await asyncio.sleep(0)
                    await asyncio.sleep(0)

        try:
            await app(scope, receive, send)
        except Exception as error:
            run.error = error

    asyncio.run(main())
    return run


@dataclass
class WsgiRun:
    status: int
    headers: dict[str, str]
    result: Iterable[bytes]

    def chunks(self) -> Generator[bytes, None, None]:
        yield from self.result

    def close(self) -> None:
        close = getattr(self.result, "close", None)
        if close is not None:
            close()


def start_wsgi(app: Any, path: str, headers: Mapping[str, str] | None = None) -> WsgiRun:
    """Call the application (headers decided) without consuming the body."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    captured: dict[str, Any] = {}

    def start_response(status: str, header_list: list[tuple[str, str]], exc: Any = None) -> Any:
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = {name.lower(): value for name, value in header_list}
        return lambda data: None

    result = app(environ, start_response)
    return WsgiRun(captured["status"], captured["headers"], result)
