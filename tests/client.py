"""One test client for both adapters: call a WSGI or ASGI app in-process, no sockets.

Serving tests take the ``serve`` fixture (see ``conftest.py``), which is parametrised over
WSGI/ASGI and static/autorefresh index modes, so one test body covers every combination.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from servestatic.asgi import ServeStaticASGI
from servestatic.wsgi import ServeStatic


@dataclass
class Response:
    status: int
    header_list: list[tuple[str, str]]
    body: bytes
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        """Headers by lower-case name (a repeated header keeps its last value)."""
        return {name.lower(): value for name, value in self.header_list}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def count(self, name: str) -> int:
        return sum(1 for key, _ in self.header_list if key.lower() == name.lower())

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def _wsgi_path(path: str) -> str:
    # PEP 3333: PATH_INFO carries the raw bytes as latin-1 code points.
    return path.encode("utf-8").decode("latin-1")


def call_wsgi(
    app: Any,
    path: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    query: str = "",
    raw_path: str | None = None,
    file_wrapper: bool = True,
    script_name: str = "",
) -> Response:
    """``script_name``: mounted there (``path`` is then the PATH_INFO below it)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": _wsgi_path(script_name),
        "PATH_INFO": _wsgi_path(path),
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": None,
    }
    if raw_path is not None:
        environ["REQUEST_URI"] = raw_path
    if not file_wrapper:
        environ.pop("wsgi.file_wrapper", None)
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in {"CONTENT_TYPE", "CONTENT_LENGTH"} else "HTTP_" + key] = value
    return run_wsgi(app, environ)


def run_wsgi(app: Any, environ: dict[str, Any]) -> Response:
    """Call a WSGI application with a prepared ``environ``; read and close the body."""
    captured: dict[str, Any] = {}

    def start_response(
        status: str, header_list: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = list(header_list)
        return lambda data: None

    result: Iterable[bytes] = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return Response(captured["status"], captured["headers"], body)


def call_asgi(
    app: Any,
    path: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    query: str = "",
    raw_path: bytes | None = None,
    extensions: Mapping[str, Any] | None = None,
    root_path: str = "",
) -> Response:
    """Call an ASGI app; ``headers`` as a list of pairs may repeat a name, as on the wire.

    ``root_path``: mounted there; ``path`` is the full path, which includes it (ASGI spec)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers or []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": raw_path if raw_path is not None else quote(path).encode("ascii"),
        "root_path": root_path,
        "query_string": query.encode("latin-1"),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in pairs],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 12345),
        "extensions": dict(extensions or {}),
    }
    messages: list[dict[str, Any]] = []
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)  # never disconnects during a test
        return {"type": "http.disconnect"}  # pragma: no cover

    async def send(message: dict[str, Any]) -> None:
        message = dict(message)
        if message["type"] == "http.response.zerocopysend":
            # A server reads the descriptor during send(); the app closes it afterwards.
            count = message.get("count") or 1 << 40
            message["data"] = os.pread(message["file"], count, message.get("offset") or 0)
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    # A 103 Early Hints message may come before the response itself.
    first = next(i for i, m in enumerate(messages) if m["type"] == "http.response.start")
    start = messages[first]
    body = b""
    for message in messages[first + 1 :]:
        if message["type"] == "http.response.body":
            body += message.get("body", b"")
        elif message["type"] == "http.response.pathsend":
            with open(message["path"], "rb") as handle:
                body += handle.read()
        elif message["type"] == "http.response.zerocopysend":
            body += message["data"]
    header_list = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
    return Response(start["status"], header_list, body, messages)


@dataclass
class Server:
    """A servestatic app plus a ``get`` that speaks to it through one adapter."""

    kind: str  # "wsgi" or "asgi"
    app: Any

    def request(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Response:
        if self.kind == "wsgi":
            return call_wsgi(self.app, path, method=method, headers=headers, **kwargs)
        return call_asgi(self.app, path, method=method, headers=headers, **kwargs)

    def get(self, path: str, headers: Mapping[str, str] | None = None, **kwargs: Any) -> Response:
        return self.request("GET", path, headers, **kwargs)

    def head(self, path: str, headers: Mapping[str, str] | None = None, **kwargs: Any) -> Response:
        return self.request("HEAD", path, headers, **kwargs)


def make_server(kind: str, application: Any = None, *args: Any, **kwargs: Any) -> Server:
    cls = ServeStatic if kind == "wsgi" else ServeStaticASGI
    return Server(kind, cls(application, *args, **kwargs))
