"""Function calls per request: a noise-free proxy for the cost of the request path.

On a busy machine the in-process timings move by 2-3x between runs; the number of Python
and C function calls one request makes (``sys.setprofile``) does not. Compare this
checkout with another one (``git archive REV | tar -x -C /tmp/rev``)::

    .venv/bin/python -m benchmarks.callcount
    .venv/bin/python -m benchmarks.callcount /tmp/rev

Uses the in-process benchmark's site (``benchmarks/fixtures.py``) and apps. Each count is
shown beside the trivial app's (``contender/floor.py``, each server's floor): the ASGI
counts include the event loop's own calls, which the floor makes too.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from types import FrameType
from typing import Any

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    if argv:
        sys.path.insert(0, os.path.abspath(argv[0]))  # that checkout's servestatic
    sys.path.insert(0, str(HERE / "contender"))
    from benchmarks.fixtures import STATIC, build_site

    build_site()
    os.environ["BENCH_ROOT"] = str(STATIC)
    os.environ["BENCH_LIBRARY"] = "ours"
    import serve_apps  # type: ignore[import-not-found]

    import servestatic

    wsgi, asgi = serve_apps.make_wsgi(), serve_apps.make_asgi()
    os.environ["BENCH_LIBRARY"] = "trivial"
    floor_wsgi, floor_asgi = serve_apps.make_wsgi(), serve_apps.make_asgi()
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
        seen.update(headers)

    def environ(path: str, headers: list[tuple[str, str]]) -> dict[str, Any]:
        values = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.url_scheme": "http"}
        values.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers})
        return values

    def scope(path: str, headers: list[tuple[str, str]]) -> dict[str, Any]:
        raw = [(k.lower().encode(), v.encode()) for k, v in headers]
        return {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
                "root_path": "", "query_string": b"", "headers": raw, "extensions": {}}  # fmt: skip

    list(wsgi(environ("/static/small.js", []), start_response))
    cases = {
        "small": ("/static/small.js", []),
        "compressed": ("/static/app.css", [("Accept-Encoding", "gzip, br")]),
        "not-modified": ("/static/small.js", [("If-None-Match", seen["ETag"])]),
        "range": ("/static/big.bin", [("Range", "bytes=1048576-1049599")]),
        "10 MiB": ("/static/big.bin", []),
        "miss": ("/static/missing.js", []),
    }
    calls = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event in {"call", "c_call"}:
            calls += 1

    def receiver() -> Any:
        # Like a server: the (empty) request body, then nothing until the client leaves.
        # A receive() answering at once every time would make the disconnect watcher spin,
        # and the count vary with how long the worker threads take.
        messages = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        return receive

    async def send(message: dict[str, Any]) -> None:
        return None

    loop = asyncio.new_event_loop()
    print(f"servestatic from {Path(servestatic.__file__).parent}")
    for name, (path, headers) in cases.items():
        counts = []
        request, connection = environ(path, headers), scope(path, headers)
        for wsgi_app, asgi_app in ((wsgi, asgi), (floor_wsgi, floor_asgi)):
            for run in (
                lambda app=wsgi_app, request=request: list(app(dict(request), start_response)),
                lambda app=asgi_app, connection=connection: loop.run_until_complete(
                    app(dict(connection), receiver(), send)
                ),
            ):
                run()  # warm: memory cache, lazily built header blocks
                calls = 0
                sys.setprofile(profile)
                run()
                sys.setprofile(None)
                counts.append(calls)
        print(
            f"{name:13} wsgi {counts[0]:4} calls (floor {counts[2]:4})   "
            f"asgi {counts[1]:4} calls (floor {counts[3]:4})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
