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
``trivial`` is each server's floor (``floor.py``): every scenario answered from what it
prepared at start-up, the most any library can reach on that server.
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


def make_wsgi(application: Any = fallback_wsgi) -> Any:
    name = library()
    if name == "trivial":
        import floor

        return floor.make_wsgi(application, os.environ["BENCH_ROOT"])
    root, options = _options()
    if name == "whitenoise":
        from whitenoise import WhiteNoise

        return WhiteNoise(application, root, **options)
    from servestatic import ServeStatic

    return ServeStatic(application, root, **options)


def make_asgi(application: Any = fallback_asgi) -> Any:
    name = library()
    if name == "trivial":
        import floor

        return floor.make_asgi(application, os.environ["BENCH_ROOT"])
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
