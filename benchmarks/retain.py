"""Retained builds (issue 16): what ``--retain`` costs the build, ``gc``, and a request.

``.venv/bin/python -m benchmarks.retain [--files 1000] [--requests 20000]``

1. Build time of a ~1,000-file tree (``--all -e '*.html'``), a fresh build then a rebuild
   with 10% of the files changed, without and with ``--retain 3``.
2. ``servestatic gc`` time on a DEST holding 4 builds, expiring the oldest 3
   (``--retain 0``), and a dry run.
3. In-process per-request cost (WSGI app called directly, best of 5 rounds): the same
   current-build URLs served from a DEST holding only the current build, and from a DEST
   holding the current build and 3 retained ones.

Stdlib and servestatic only; prints a table. ``--per-request DEST`` prints only the
per-request cost over DEST's current build, as JSON: :mod:`benchmarks.scale` runs it in a
fresh pinned process per measurement, and imports :func:`write_tree` (stdlib only: the
bench venv has no servestatic, so servestatic is imported where it is used).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any


def _text(seed: int, size: int) -> str:
    rng = random.Random(seed)
    words = ["margin", "color", "padding", "display", "flex", "grid", "none", "auto", "0"]
    return " ".join(rng.choice(words) for _ in range(size // 6))


def write_tree(src: Path, files: int, version: int, changed: float = 0.0) -> None:
    """``files`` files: CSS, JS, SVG and some HTML; ``changed`` of them depend on
    ``version`` (the rest keep their bytes across versions)."""
    rng = random.Random(7)
    for number in range(files):
        kind = ("css", "js", "svg", "html")[number % 4 if number % 20 else 3]
        folder = f"d{number % 25}"
        bump = version if rng.random() < changed else 0
        body = f"/* {number} v{bump} */\n" + _text(number, 800 + (number % 7) * 400)
        path = src / folder / f"f{number}.{kind}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def build(src: Path, dest: Path, *flags: str) -> None:
    from servestatic.cli import run

    assert run([str(src), str(dest), "--all", "-q", "-e", "*.html", *flags]) == 0


def measure_builds(tmp: Path, files: int) -> dict[str, float]:
    results = {}
    for label, flags in (("plain", ()), ("--retain 3", ("--retain", "3"))):
        src, dest = tmp / f"src-{label}", tmp / f"dest-{label}"
        write_tree(src, files, 1)
        results[f"fresh build, {label}"] = timed(partial(build, src, dest, *flags))
        write_tree(src, files, 2, changed=0.1)
        results[f"rebuild (10% changed), {label}"] = timed(partial(build, src, dest, *flags))
    return results


def dest_with_builds(tmp: Path, files: int, builds: int, name: str) -> Path:
    src, dest = tmp / f"src-{name}", tmp / name
    for version in range(1, builds + 1):
        write_tree(src, files, version, changed=0.1 if version > 1 else 0.0)
        build(src, dest, "--retain", str(builds))
    return dest


def measure_gc(tmp: Path, files: int) -> dict[str, float]:
    from servestatic.cli import run

    dest = dest_with_builds(tmp, files, 4, "gc")
    copy = tmp / "gc-dry"
    shutil.copytree(dest, copy)
    with contextlib.redirect_stdout(io.StringIO()):  # the reports are long
        dry = timed(lambda: run(["gc", str(copy), "--retain", "0", "--dry-run", "--json"]))
        removed = sum(1 for _ in dest.rglob("*"))
        seconds = timed(lambda: run(["gc", str(dest), "--retain", "0", "--json"]))
    removed -= sum(1 for _ in dest.rglob("*"))
    return {"gc --dry-run (4 builds → 1)": dry, f"gc (4 builds → 1, {removed} files)": seconds}


def current_urls(dest: Path) -> list[str]:
    """The URLs of DEST's current build (its manifest's hashed names)."""
    paths = json.loads((dest / "staticfiles.json").read_text())["paths"]
    return sorted("/" + name for name in paths.values())


def _per_request(root: Path, urls: list[str], requests: int) -> float:
    from benchmarks.watch import request_cost, wsgi_environ
    from servestatic import ServeStatic, Settings

    app = ServeStatic(None, settings=Settings(root=root, etag="content"))
    environs = [wsgi_environ(url) for url in urls]
    return min(request_cost(app, environs, requests) for _ in range(5))


def measure_requests(tmp: Path, files: int, requests: int) -> dict[str, float]:
    single = dest_with_builds(tmp, files, 1, "one")
    several = dest_with_builds(tmp, files, 4, "four")  # current + 3 retained
    urls, urls_several = current_urls(single), current_urls(several)
    return {
        "per request, current build only (µs)": _per_request(single, urls, requests) * 1e6,
        "per request, + 3 retained builds (µs)": _per_request(several, urls_several, requests)
        * 1e6,
        "files in DEST, current only": float(sum(1 for p in single.rglob("*") if p.is_file())),
        "files in DEST, + 3 retained": float(sum(1 for p in several.rglob("*") if p.is_file())),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.retain")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument(
        "--per-request",
        type=Path,
        metavar="DEST",
        help="only time requests for DEST's current build; print JSON",
    )
    args = parser.parse_args()
    if args.per_request is not None:
        urls = current_urls(args.per_request)
        seconds = _per_request(args.per_request, urls, args.requests)
        print(json.dumps({"us_per_request": seconds * 1e6, "urls": len(urls)}))
        return 0
    with tempfile.TemporaryDirectory() as temporary:
        tmp = Path(temporary)
        results = {
            **measure_builds(tmp, args.files),
            **measure_gc(tmp, args.files),
            **measure_requests(tmp, args.files, args.requests),
        }
    width = max(len(label) for label in results)
    for label, value in results.items():
        print(f"{label:<{width}}  {value:10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
