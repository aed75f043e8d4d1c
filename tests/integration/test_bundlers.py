"""Real bundlers (issue 18): the Vite and webpack apps under ``tests/fixtures/apps`` are
installed from their lockfiles (``npm ci``) and built into a temporary directory once per
session, then served as they are and through ``servestatic SRC DEST --all``.

These need Node.js and npm (the machine's Node 20) and the npm registry; they fail, never
skip, when either is missing: a green run must mean the real output was served.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from servestatic.cli import main
from tests.client import make_server

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
IMMUTABLE = "max-age=315360000, public, immutable"


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed: the bundler tests need Node.js 18+ and npm")
    return npm


@pytest.fixture(scope="session")
def built_apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """app name → its bundler's output directory (built once per session)."""
    npm = _npm()
    outputs = {}
    for app in ("vite-app", "webpack-app"):
        work = tmp_path_factory.mktemp(app)
        source = work / "source"
        shutil.copytree(APPS / app, source, ignore=shutil.ignore_patterns("node_modules", "dist"))
        environment = {**os.environ, "OUT_DIR": str(work / "out")}
        for command in (
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            [npm, "run", "build", "--silent"],
        ):
            done = subprocess.run(
                command,
                cwd=source,
                env=environment,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if done.returncode != 0:
                pytest.fail(f"{' '.join(command)} in {app} failed:\n{done.stdout}\n{done.stderr}")
        outputs[app] = work / "out"
    return outputs


def _references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/[^"]+)"', html)


@pytest.mark.parametrize(("app", "preset"), [("vite-app", "vite"), ("webpack-app", "webpack")])
@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_the_bundlers_output_is_served_right_with_zero_rules(
    built_apps: dict[str, Path], app: str, preset: str, kind: str
) -> None:
    out = built_apps[app]
    server = make_server(kind, None, str(out), index_file=True)
    assert [found.name for found in server.app.engine.presets] == [preset]
    home = server.get("/")
    assert home.status == 200
    assert home.header("cache-control") == "no-cache"
    references = _references(home.text)
    hashed = [url for url in references if not url.startswith("/fonts/")]
    assert len(hashed) >= 2  # the entry script and the stylesheet
    for url in hashed:
        response = server.get(url)
        assert response.status == 200, url
        assert response.header("cache-control") == IMMUTABLE, url


@pytest.mark.parametrize("app", ["vite-app", "webpack-app"])
def test_servestatic_build_does_not_hash_the_bundlers_names_again(
    built_apps: dict[str, Path], app: str, tmp_path: Path
) -> None:
    out = built_apps[app]
    dest = tmp_path / "dist"
    assert main([str(out), str(dest), "--all", "-q"]) == 0
    document = json.loads((dest / "staticfiles.json").read_text())
    paths = document["paths"]
    chunks = [
        name for name in paths if name.endswith((".js", ".css")) and not name.endswith("sw.js")
    ]
    assert len(chunks) >= 3  # entry, lazy chunk, stylesheet
    for name in chunks:
        assert paths[name] == name
        assert (dest / name).read_bytes() == (out / name).read_bytes()
    # The page keeps its name, and its references still resolve, immutable.
    server = make_server("asgi", None, str(dest), index_file=True)
    home = server.get("/")
    assert home.status == 200
    for url in _references(home.text):
        response = server.get(url)
        assert response.status == 200, url
        if not url.startswith("/fonts/"):
            assert response.header("cache-control") == IMMUTABLE, url
    # The build read the page: its Link header names the entry chunk and the stylesheet.
    link = home.header("link") or ""
    for url in _references(home.text):
        if url.endswith((".js", ".css")):
            assert f"<{url}>" in link
    assert document["pages"]["index.html"]["links"]
