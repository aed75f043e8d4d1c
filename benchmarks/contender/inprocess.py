"""In-process microbenchmark: call the WSGI or ASGI application directly, no sockets.

Runs inside a contender's virtual environment (stdlib only, plus ``serve_apps``)::

    .venvs/servestatic44/bin/python benchmarks/inprocess.py --library servestatic44 \\
        --interface asgi --root benchmarks/.work/site/static

Prints one JSON object per (interface variant, scenario) with microseconds per request:
the best and the median of several timed batches (each batch auto-sized to ~0.1 s). Every
response is checked once (status and body bytes) before it is timed.

WSGI: a fresh ``environ`` per call, the body iterated and closed (``wsgi.file_wrapper`` is
``wsgiref``'s, which reads the file in Python like a server without sendfile would).
ASGI: a fresh ``scope`` per call on one event loop (uvloop when installed), a ``send`` that
keeps the messages, a ``receive`` that blocks after the request like a server's; variant
``plain`` offers no extension (uvicorn), ``pathsend`` offers ``http.response.pathsend``
(granian).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any
from wsgiref.util import FileWrapper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import serve_apps

RANGE = (1024 * 1024, 1024 * 1024 + 1023)
BASE_HEADERS = [
    ("Host", "127.0.0.1:8000"),
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) bench"),
    ("Accept", "*/*"),
    ("Accept-Language", "en-GB,en;q=0.9"),
    ("Connection", "keep-alive"),
]
SCENARIOS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "small": ("/static/small.js", []),
    "compressed": ("/static/app.css", [("Accept-Encoding", "gzip, deflate, br")]),
    "not-modified": ("/static/small.js", []),  # If-None-Match added from a first response
    "range": ("/static/big.bin", [("Range", f"bytes={RANGE[0]}-{RANGE[1]}")]),
    "miss": ("/static/missing.js", []),
}


def expected(root: str, scenario: str) -> tuple[int, bytes]:
    def read(name: str) -> bytes:
        with open(os.path.join(root, name), "rb") as handle:
            return handle.read()

    if scenario == "small":
        return 200, read("small.js")
    if scenario == "compressed":
        return 200, read("app.css.br")
    if scenario == "not-modified":
        return 304, b""
    if scenario == "range":
        return 206, read("big.bin")[RANGE[0] : RANGE[1] + 1]
    return 200, serve_apps.APP_BODY


# ---------------------------------------------------------------------- timing


#: ``--loop SECONDS``: run each scenario for that long without timing (for a profiler).
LOOP_SECONDS = 0.0


def measure(batch: Callable[[int], None], reps: int, target: float = 0.1) -> dict[str, Any]:
    """Size a batch to ``target`` seconds, then time ``reps`` batches."""
    if LOOP_SECONDS:
        started = time.perf_counter()
        deadline = started + LOOP_SECONDS
        count = 0
        while time.perf_counter() < deadline:
            batch(200)
            count += 200
        elapsed = time.perf_counter() - started
        mean = elapsed / count * 1e6
        return {"us_best": mean, "us_median": mean, "n": count, "reps": 0, "seconds": elapsed}
    count = 1
    while True:
        started = time.perf_counter()
        batch(count)
        elapsed = time.perf_counter() - started
        if elapsed >= target / 4 or count >= 1 << 20:
            break
        count *= 4
    count = max(1, int(count * target / max(elapsed, 1e-9)))
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        batch(count)
        samples.append((time.perf_counter() - started) / count * 1e6)
    return {
        "us_best": min(samples),
        "us_median": statistics.median(samples),
        "n": count,
        "reps": reps,
    }


# ---------------------------------------------------------------------- WSGI


def wsgi_environ(path: str, headers: list[tuple[str, str]]) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "RAW_URI": path,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": FileWrapper,
    }
    for name, value in [*BASE_HEADERS, *headers]:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def run_wsgi(app: Any, root: str, reps: int, scenarios: list[str]) -> list[dict[str, Any]]:
    results = []
    captured: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured[:] = [status, headers]

    def call(environ: dict[str, Any]) -> bytes:
        body = app(dict(environ), start_response)
        try:
            return b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    for scenario in scenarios:
        path, headers = SCENARIOS[scenario]
        if scenario == "not-modified":
            call(wsgi_environ(path, []))
            etag = next(v for n, v in captured[1] if n.lower() == "etag")
            headers = [("If-None-Match", etag)]
        environ = wsgi_environ(path, headers)
        status, body = expected(root, scenario)
        got = call(environ)
        if int(captured[0].split()[0]) != status or got != body:
            raise SystemExit(f"WSGI {scenario}: got {captured[0]} {got[:60]!r}")

        def batch(count: int, environ: dict[str, Any] = environ) -> None:
            for _ in range(count):
                body = app(dict(environ), start_response)
                for _chunk in body:
                    pass
                close = getattr(body, "close", None)
                if close is not None:
                    close()

        results.append(
            {"interface": "wsgi", "variant": "-", "scenario": scenario, **measure(batch, reps)}
        )
    return results


# ---------------------------------------------------------------------- ASGI


def asgi_scope(path: str, headers: list[tuple[str, str]], pathsend: bool) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in [*BASE_HEADERS, *headers]
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    if pathsend:
        scope["extensions"] = {"http.response.pathsend": {}}
    return scope


_REQUEST = {"type": "http.request", "body": b"", "more_body": False}


def run_asgi(
    app: Any, root: str, reps: int, scenarios: list[str], pathsend: bool
) -> list[dict[str, Any]]:
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    never = asyncio.Event()  # a server's receive() blocks after the request body
    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    def make_receive() -> Callable[[], Any]:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return _REQUEST
            await never.wait()
            return {"type": "http.disconnect"}

        return receive

    async def call(scope: dict[str, Any]) -> tuple[int, bytes]:
        messages.clear()
        await app(dict(scope), make_receive(), send)
        status = messages[0]["status"]
        body = b""
        for message in messages[1:]:
            if message["type"] == "http.response.pathsend":
                with open(message["path"], "rb") as handle:
                    body += handle.read()
            elif message["type"] == "http.response.zerocopysend":
                raise SystemExit("zerocopysend was not offered")
            else:
                body += message.get("body", b"")
        return status, body

    results = []
    variant = "pathsend" if pathsend else "plain"
    for scenario in scenarios:
        path, headers = SCENARIOS[scenario]
        if scenario == "not-modified":
            loop.run_until_complete(call(asgi_scope(path, [], pathsend)))
            etag = next(v for n, v in messages[0]["headers"] if n.lower() == b"etag")
            headers = [("If-None-Match", etag.decode("latin-1"))]
        scope = asgi_scope(path, headers, pathsend)
        status, body = expected(root, scenario)
        got = loop.run_until_complete(call(scope))
        if got != (status, body):
            raise SystemExit(f"ASGI {variant} {scenario}: got {got[0]} {got[1][:60]!r}")

        async def many(count: int, scope: dict[str, Any] = scope) -> None:
            for _ in range(count):
                messages.clear()
                await app(dict(scope), make_receive(), send)

        def batch(count: int, many: Callable[[int], Any] = many) -> None:
            loop.run_until_complete(many(count))

        results.append(
            {"interface": "asgi", "variant": variant, "scenario": scenario, **measure(batch, reps)}
        )
    loop.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True)
    parser.add_argument("--interface", choices=["wsgi", "asgi"], required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--variants", default="plain,pathsend", help="ASGI: plain, pathsend")
    parser.add_argument("--loop", type=float, default=0.0, help="profile mode: loop, no timing")
    args = parser.parse_args(argv)
    global LOOP_SECONDS  # noqa: PLW0603 - a script-wide mode switch
    LOOP_SECONDS = args.loop
    os.environ["BENCH_LIBRARY"] = args.library
    os.environ["BENCH_ROOT"] = args.root
    os.environ["BENCH_AUTOREFRESH"] = "0"
    scenarios = args.scenarios.split(",")
    identity = serve_apps.identity()
    if args.interface == "wsgi":
        app = serve_apps.make_wsgi()
        results = run_wsgi(app, args.root, args.reps, scenarios)
    else:
        app = serve_apps.make_asgi()
        results = []
        for variant in args.variants.split(","):
            results += run_asgi(
                app, args.root, args.reps, scenarios, pathsend=variant == "pathsend"
            )
    for result in results:
        print(json.dumps({**identity, **result}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
