"""A real browser loads a site built by ``servestatic SRC DEST`` and served by
``servestatic serve`` (uvicorn): the page renders, the stylesheet applies, a JavaScript
module and its import run, and the browser receives (and decodes) compressed variants.

Chromium runs headless with ``--dump-dom``: the DOM is printed after the load event, so
whatever the page's script wrote into it is what the browser actually executed.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write
from tests.live import clean_environment, start_serve

INDEX = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>browser check</title>
  <link rel="stylesheet" href="/assets/site.css">
  <script type="module" src="/assets/app.js"></script>
</head>
<body>
  <h1>It works</h1>
  <p id="report">waiting</p>
</body>
</html>
"""
# Comments make the files big enough for compression to be worth it.
FILLER = "/* " + "a stylesheet long enough to be worth compressing " * 60 + "*/\n"
CSS = FILLER + "h1 { color: rgb(12, 34, 56); }\n"
ANSWER = FILLER + "export const answer = 42;\n"
APP = (
    FILLER
    + """import { answer } from "./answer.js";
const report = document.getElementById("report");
const h1 = document.querySelector("h1");
const compressed = performance
  .getEntriesByType("resource")
  .filter((entry) => entry.encodedBodySize > 0 && entry.encodedBodySize < entry.decodedBodySize)
  .map((entry) => new URL(entry.name).pathname)
  .sort();
report.dataset.answer = String(answer);
report.dataset.color = getComputedStyle(h1).color;
report.dataset.compressed = compressed.join(",");
report.textContent = "ran";
"""
)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no Chromium on PATH: scripts/install installs Debian's chromium package")


@pytest.mark.servers
def test_browser_renders_a_built_site(tmp_path: Path) -> None:
    chromium = _chromium()
    source, built = tmp_path / "src", tmp_path / "dist"
    write(source / "index.html", INDEX)
    write(source / "assets" / "site.css", CSS)
    write(source / "assets" / "app.js", APP)
    write(source / "assets" / "answer.js", ANSWER)
    build = subprocess.run(
        [sys.executable, "-m", "servestatic", str(source), str(built), "--compress", "-q"],
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    assert (built / "assets" / "app.js.gz").is_file()

    server, port = start_serve(built, cwd=tmp_path)
    try:
        browser = subprocess.run(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--virtual-time-budget=10000",
                "--dump-dom",
                f"http://127.0.0.1:{port}/",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=20)
    assert browser.returncode == 0, browser.stderr[-2000:]
    report = re.search(r'<p id="report"([^>]*)>([^<]*)</p>', browser.stdout)
    assert report is not None, browser.stdout[-2000:]
    attributes = dict(re.findall(r'data-(\w+)="([^"]*)"', report.group(1)))
    assert report.group(2) == "ran"  # the module and its import executed
    assert attributes["answer"] == "42"
    assert attributes["color"] == "rgb(12, 34, 56)"  # the stylesheet applied
    # Every asset crossed the wire compressed and was decoded by the browser.
    assert attributes["compressed"].split(",") == [
        "/assets/answer.js",
        "/assets/app.js",
        "/assets/site.css",
    ]
