"""A servestatic replica for the CDN tests, with an access log the tests read.

The application is the real servestatic app (``ServeStatic`` or ``ServeStaticASGI``) over
``ORIGIN_ROOT`` with ``etag = "content"``; the wrapper only appends one JSON line per
request to ``ORIGIN_LOG``: which replica, the method, path, the conditional and range
headers the cache sent, and the status the replica answered. That is how the tests see
what reached the origin through Varnish.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from servestatic import ServeStatic, ServeStaticASGI
from servestatic.config import Settings

_SETTINGS = Settings(
    root=Path(os.environ["ORIGIN_ROOT"]),
    etag="content",
    index_file=True,
    max_age=int(os.environ.get("ORIGIN_MAX_AGE", "60")),
)
_NAME = os.environ["ORIGIN_NAME"]
_LOG = os.environ["ORIGIN_LOG"]


def _log(method: str, path: str, headers: dict[str, str], status: int) -> None:
    record = {
        "time": time.time(),
        "replica": _NAME,
        "method": method,
        "path": path,
        "if_none_match": headers.get("if-none-match"),
        "if_modified_since": headers.get("if-modified-since"),
        "range": headers.get("range"),
        "accept_encoding": headers.get("accept-encoding"),
        "status": status,
    }
    with open(_LOG, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


_wsgi_app = ServeStatic(None, settings=_SETTINGS)
_asgi_app = ServeStaticASGI(None, settings=_SETTINGS)


def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }

    def recording(status: str, response_headers: Any, *args: Any) -> Any:
        _log(environ["REQUEST_METHOD"], environ["PATH_INFO"], headers, int(status[:3]))
        return start_response(status, response_headers, *args)

    return _wsgi_app(environ, recording)


async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        await _asgi_app(scope, receive, send)
        return
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }

    async def recording(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            _log(scope["method"], scope["path"], headers, message["status"])
        await send(message)

    await _asgi_app(scope, receive, recording)
