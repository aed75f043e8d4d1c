"""Real applications wrapped by servestatic, imported by servers in integration tests.

The static root comes from ``TEST_STATIC_ROOT`` so one module serves any fixture tree.
"""

from __future__ import annotations

import os
from typing import Any

from servestatic import ServeStatic, ServeStaticASGI

ROOT = os.environ.get("TEST_STATIC_ROOT", ".")


def flask_app() -> Any:
    from flask import Flask

    app = Flask(__name__)

    @app.route("/api/hello")
    def hello() -> dict[str, str]:
        return {"hello": "flask"}

    app.wsgi_app = ServeStatic(app.wsgi_app, root=ROOT, prefix="/static/")  # type: ignore[method-assign]
    return app


def fastapi_app() -> Any:
    from fastapi import FastAPI

    api = FastAPI()

    @api.get("/api/hello")
    def hello() -> dict[str, str]:
        return {"hello": "fastapi"}

    return ServeStaticASGI(api, root=ROOT, prefix="/static/")


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request: Any) -> PlainTextResponse:
        return PlainTextResponse("starlette")

    return ServeStaticASGI(
        Starlette(routes=[Route("/api/hello", hello)]), root=ROOT, prefix="/static/"
    )
