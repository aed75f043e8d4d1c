"""The applications under test, built inside each contender's own virtual environment.

Servers import this module by name with ``benchmarks/`` (not the repository root) on
``PYTHONPATH``, so ``import servestatic`` finds whatever the environment has installed:
ServeStatic 4.4.0 in ``.venvs/servestatic44``, ours (editable) in the main ``.venv``.
Stdlib only besides the library under test.

Configured by environment variables (read when a factory runs):

- ``BENCH_LIBRARY``: ``ours``, ``servestatic44``, ``whitenoise`` or ``trivial``;
- ``BENCH_ROOT``: the directory served at ``/static/``;
- ``BENCH_AUTOREFRESH``: ``1`` for autorefresh mode.

Requests that miss fall through to a trivial application answering ``200 app``.
``trivial`` is a bare application that answers every request with the 1 KiB small file from
memory: the ceiling a server allows for any Python application.
"""

from __future__ import annotations

import os
from importlib.metadata import version
from typing import Any

APP_BODY = b"app"
PREFIX = "/static/"


def fallback_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [APP_BODY]


async def fallback_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"3")],
        }
    )
    await send({"type": "http.response.body", "body": APP_BODY})


def library() -> str:
    return os.environ.get("BENCH_LIBRARY", "ours")


def _options() -> tuple[str, dict[str, Any]]:
    root = os.environ["BENCH_ROOT"]
    return root, {"prefix": PREFIX, "autorefresh": os.environ.get("BENCH_AUTOREFRESH") == "1"}


#: The bare application answers any If-None-Match with a 304 carrying the headers
#: servestatic and ServeStatic send for the small file (an ETag of the same length): the
#: server's own floor for a 304, measured in the same run as the libraries.
TRIVIAL_ETAG = '"6553f100-400"'
NOT_MODIFIED = [
    ("Cache-Control", "max-age=60, public"),
    ("Access-Control-Allow-Origin", "*"),
    ("ETag", TRIVIAL_ETAG),
]


#: The slow-reader benchmark's large file: the bare application streams it in new 16 KiB
#: blocks of zeros (allocated per block, as any application sending file contents must,
#: but never read from disk), so what stalled readers cost it is the server's own
#: buffering: the floor for any application on that server.
LARGE = "/static/large.bin"
STREAM_BLOCK = 16 * 1024


def _large_plan(range_value: str | None) -> tuple[int, int, list[tuple[str, str]]] | None:
    """(status, length, headers) for the large file, honouring ``Range: bytes=N-`` only."""
    path = os.path.join(os.environ["BENCH_ROOT"], "large.bin")
    if not os.path.exists(path):
        return None
    size = os.path.getsize(path)
    headers = [("Content-Type", "application/octet-stream")]
    if range_value and range_value.startswith("bytes=") and range_value.endswith("-"):
        first = int(range_value[6:-1])
        headers.append(("Content-Range", f"bytes {first}-{size - 1}/{size}"))
        return 206, size - first, [*headers, ("Content-Length", str(size - first))]
    return 200, size, [*headers, ("Content-Length", str(size))]


def _blocks(length: int) -> Any:
    while length > 0:
        size = min(STREAM_BLOCK, length)
        yield bytes(size)
        length -= size


def _disconnect_watcher(receive: Any) -> Any:
    import asyncio

    async def wait() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    return asyncio.ensure_future(wait())


def _small_body() -> bytes:
    with open(os.path.join(os.environ["BENCH_ROOT"], "small.js"), "rb") as handle:
        return handle.read()


def make_wsgi(application: Any = fallback_wsgi) -> Any:
    name = library()
    if name == "trivial":
        body = _small_body()
        headers = [("Content-Type", "text/javascript"), ("Content-Length", str(len(body)))]

        def trivial(environ: dict[str, Any], start_response: Any) -> Any:
            if environ.get("PATH_INFO") == LARGE:
                large = _large_plan(environ.get("HTTP_RANGE"))
                if large is not None:
                    status, length, large_headers = large
                    line = "200 OK" if status == 200 else "206 Partial Content"
                    start_response(line, large_headers)
                    return _blocks(length)
            if "HTTP_IF_NONE_MATCH" in environ:
                start_response("304 Not Modified", list(NOT_MODIFIED))
                return []
            start_response("200 OK", headers)
            return [body]

        return trivial
    root, options = _options()
    if name == "whitenoise":
        from whitenoise import WhiteNoise

        return WhiteNoise(application, root, **options)
    from servestatic import ServeStatic

    return ServeStatic(application, root, **options)


def make_asgi(application: Any = fallback_asgi) -> Any:
    name = library()
    if name == "trivial":
        body = _small_body()
        headers = [(b"content-type", b"text/javascript"), (b"content-length", b"%d" % len(body))]
        not_modified = [(n.lower().encode(), v.encode()) for n, v in NOT_MODIFIED]

        async def trivial(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await fallback_asgi(scope, receive, send)
                return
            if scope["path"] == LARGE:
                wanted = dict(scope["headers"]).get(b"range")
                large = _large_plan(wanted.decode() if wanted else None)
                if large is not None:
                    status, length, large_headers = large
                    raw = [(n.lower().encode(), v.encode()) for n, v in large_headers]
                    await send({"type": "http.response.start", "status": status, "headers": raw})
                    # Stop when the client leaves, as any well-behaved application does.
                    watcher = _disconnect_watcher(receive)
                    try:
                        for block in _blocks(length):
                            if watcher.done():
                                return
                            await send(
                                {"type": "http.response.body", "body": block, "more_body": True}
                            )
                        await send({"type": "http.response.body", "body": b""})
                    finally:
                        watcher.cancel()
                    return
            for name, _ in scope["headers"]:
                if name == b"if-none-match":
                    start = {"type": "http.response.start", "status": 304, "headers": not_modified}
                    await send(start)
                    await send({"type": "http.response.body", "body": b""})
                    return
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        return trivial
    if name == "whitenoise":
        raise SystemExit("WhiteNoise has no ASGI adapter")
    root, options = _options()
    from servestatic import ServeStaticASGI

    return ServeStaticASGI(application, root, **options)


def identity() -> dict[str, str]:
    """Which library this environment really imports (checked before every run)."""
    name = library()
    if name == "whitenoise":
        import whitenoise as module

        return {"library": name, "version": version("whitenoise"), "file": module.__file__ or ""}
    if name == "trivial":
        return {"library": name, "version": "-", "file": __file__}
    import servestatic as module

    return {"library": name, "version": version("servestatic"), "file": module.__file__ or ""}


if __name__ == "__main__":
    import json

    print(json.dumps(identity()))
