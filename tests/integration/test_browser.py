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


CSP_PAGE = (
    "<!doctype html>\r\n<html><head><meta charset='utf-8'>\r\n"
    "<style>\r\n#report { color: rgb(1, 2, 3); }\r\n</style>\r\n</head><body>\r\n"
    '<p id="report">waiting</p>\r\n'
    # CR LF inside the script: the browser hashes the text after newline normalisation,
    # which is what the build must hash too.
    "<script>\r\n  const report = document.getElementById('report');\r\n"
    "  report.dataset.color = getComputedStyle(report).color;\r\n"
    "  report.textContent = 'inline ran';\r\n</script>\r\n</body></html>\r\n"
)


def _dump(chromium: str, url: str, profile: Path) -> str:
    browser = subprocess.run(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert browser.returncode == 0, browser.stderr[-2000:]
    return browser.stdout


@pytest.mark.servers
def test_an_inline_script_runs_because_its_hash_is_allowed(tmp_path: Path) -> None:
    """Issue 18: `servestatic SRC DEST --csp-hashes` records the hashes of the page's inline
    script and style; the server merges them into the policy a rule sets
    (`script-src 'self'; style-src 'self'`). The same page built without the hashes, under
    the same policy, is blocked: the hash is the only reason the script runs."""
    chromium = _chromium()
    source = tmp_path / "src"
    write(source / "index.html", CSP_PAGE)
    builds = {}
    for name, flags in (("hashed", ["--csp-hashes"]), ("plain", [])):
        builds[name] = tmp_path / name
        done = subprocess.run(
            [sys.executable, "-m", "servestatic", str(source), str(builds[name]), "--manifest",
             "-q", *flags],
            env=clean_environment(), capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    config = tmp_path / "servestatic.toml"
    config.write_text(
        f"""
[[roots]]
path = "{builds["plain"]}"
prefix = "/plain/"

[[rules]]
match = "/**"
headers = {{ "Content-Security-Policy" = "script-src 'self'; style-src 'self'" }}
""",
        encoding="utf-8",
    )
    server, port = start_serve(builds["hashed"], "--config", str(config), cwd=tmp_path)
    try:
        allowed = _dump(chromium, f"http://127.0.0.1:{port}/", tmp_path / "profile-a")
        blocked = _dump(chromium, f"http://127.0.0.1:{port}/plain/", tmp_path / "profile-b")
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=20)
    report = re.search(r'<p id="report"([^>]*)>([^<]*)</p>', allowed)
    assert report is not None, allowed[-2000:]
    assert report.group(2) == "inline ran"
    assert 'data-color="rgb(1, 2, 3)"' in report.group(1)  # the inline style applied too
    assert re.search(r'<p id="report">waiting</p>', blocked), blocked[-2000:]
