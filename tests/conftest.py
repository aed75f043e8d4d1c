"""Shared fixtures: a clean configuration environment, fixture trees, and the ``serve`` factory."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import brotli
import pytest
import zstandard

from servestatic.base import ServeStaticOptions
from servestatic.config import Settings
from tests.client import Server, make_server


@pytest.fixture(autouse=True)
def _isolated_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test sees the developer's SERVESTATIC_* variables or a stray servestatic.toml."""
    for name in list(os.environ):
        if name.upper().startswith("SERVESTATIC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


JS = b"function hello() { return 'hello world'; }\n" * 40
CSS = b"body { color: red; margin: 0 auto; }\n" * 30


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A small site with precompressed variants, an index directory and odd names."""
    root = tmp_path / "site"
    write(root / "app.js", JS)
    write(root / "app.js.gz", gzip.compress(JS, mtime=0))
    write(root / "app.js.br", brotli.compress(JS))
    write(root / "app.js.zst", zstandard.ZstdCompressor(level=19).compress(JS))
    write(root / "style.css", CSS)
    write(root / "style.css.gz", gzip.compress(CSS, mtime=0))
    write(root / "app.db8f2edc0c8a.js", "immutable();")
    write(root / "docs" / "index.html", "<h1>docs</h1>")
    write(root / "index.html", "<h1>home</h1>")
    write(root / "empty.txt", b"")
    write(root / "data.bin", bytes(range(256)) * 40)
    write(root / "naïve café.txt", "unicode name")
    write(root / "with space.txt", "space")
    write(root / "orphan.txt.gz", gzip.compress(b"orphan", mtime=0))
    write(root / ".hidden", "dotfile")
    write(root / ".well-known" / "security.txt", "Contact: mailto:security@example.com")
    return root


Serve = Callable[..., Server]


@pytest.fixture(params=["wsgi", "asgi"])
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["static", "autorefresh"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def serve(adapter: str, mode: str) -> Serve:
    """``serve(root, **options)`` → a :class:`Server` for every adapter × index mode."""

    def factory(root: Any = None, application: Any = None, **options: Any) -> Server:
        if mode == "autorefresh":
            options.setdefault("autorefresh", True)
        if set(options) - set(ServeStaticOptions.__annotations__):
            # servestatic's own groups (rules, cors, ...) come through a Settings object.
            return make_server(adapter, application, settings=Settings(root=root, **options))
        return make_server(adapter, application, root, **options)

    return factory


class FakeClock:
    """``time.monotonic`` for one module (its ``time`` name replaced), moved by hand:
    ``clock.now += seconds``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any) -> None:
        self.now = 1000.0
        fake = type("FakeTime", (), {"monotonic": staticmethod(lambda: self.now)})
        monkeypatch.setattr(module, "time", fake)
