"""Request-time code never touches the pydantic settings: start-up compiles them to plain
values. Once built, the engine's settings are replaced by an object that fails on any use,
and every kind of request is still answered (autorefresh lookups, the SPA fallback, the 404
page, a redirect, a file changed since start-up)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from servestatic.config import Settings
from tests.client import make_server
from tests.conftest import write


class _Untouchable:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"settings.{name} read at request time")


@pytest.mark.parametrize("adapter", ["wsgi", "asgi"])
@pytest.mark.parametrize("autorefresh", [False, True])
def test_requests_do_not_read_the_settings(adapter: str, autorefresh: bool, tmp_path: Path) -> None:
    write(tmp_path / "index.html", "<h1>app</h1>")
    write(tmp_path / "404.html", "missing")
    write(tmp_path / "app.js", "x" * 100)
    settings = Settings.model_validate(
        {
            "root": tmp_path,
            "autorefresh": autorefresh,
            "index_file": True,
            "spa": {"fallback": "/index.html", "exclude": ["/**/*.js"]},
            "errors": {"not_found": "/404.html"},
            "redirects": [{"from": "/old/*", "to": "/:splat"}],
            "rules": [{"match": "/**/*.js", "immutable": True}],
            "memory_cache": {"max_file_size": 0},  # read the file per request
        }
    )
    server = make_server(adapter, None, settings=settings)
    server.app.engine.settings = _Untouchable()
    assert server.get("/app.js").status == 200
    assert server.get("/client/route").body == b"<h1>app</h1>"  # SPA fallback
    assert server.get("/missing.js").status == 404  # the 404 page
    assert server.get("/missing.js").body == b"missing"
    assert server.get("/old/app.js").status == 301
    assert server.get("/", headers={"Accept-Encoding": "gzip"}).status == 200
    # Changed on disk after start-up: the entry is rebuilt from the disk.
    write(tmp_path / "app.js", "y" * 50)
    os.utime(tmp_path / "app.js", (2_000_000_000, 2_000_000_000))
    assert server.get("/app.js").body == b"y" * 50


@pytest.mark.parametrize("adapter", ["wsgi", "asgi"])
@pytest.mark.parametrize("autorefresh", [False, True])
def test_framework_requests_do_not_read_the_settings(
    adapter: str, autorefresh: bool, tmp_path: Path
) -> None:
    """Issue 18's request-time paths: clean URLs and their redirects, a manifest's original
    name, a preset's headers, the memory cache's Cache-Status."""
    write(tmp_path / "about.html", "<h1>about</h1>")
    write(tmp_path / "assets" / "index-BxY3kQ_9.js", "vite();")
    write(tmp_path / "style.0123456789ab.css", "body{}")
    write(tmp_path / "staticfiles.json", '{"paths": {"style.css": "style.0123456789ab.css"}}')
    settings = Settings.model_validate(
        {
            "root": tmp_path,
            "autorefresh": autorefresh,
            "index_file": True,
            "clean_urls": True,
            "trailing_slash": "add",
            # The 7-byte script is held in memory, the pages are read per request.
            "memory_cache": {"cache_status": True, "max_file_size": 10},
        }
    )
    server = make_server(adapter, None, settings=settings)
    server.app.engine.settings = _Untouchable()
    assert server.get("/about/").body == b"<h1>about</h1>"
    assert server.get("/about").status == 308
    assert server.get("/about.html").status == 308
    assert server.get("/style.css").body == b"body{}"
    assert server.get("/style.css").header("cache-control") == "max-age=60, public"
    hashed = server.get("/assets/index-BxY3kQ_9.js")
    assert hashed.header("cache-control") == "max-age=315360000, public, immutable"
    assert server.get("/assets/index-BxY3kQ_9.js").header("cache-status") == "servestatic; hit"
    write(tmp_path / "about.html", "<h1>changed</h1>")
    os.utime(tmp_path / "about.html", (2_000_000_000, 2_000_000_000))
    assert server.get("/about/").body == b"<h1>changed</h1>"
