"""How fast can a *correct* WSGI 304 be? A hand-inlined floor, beside ours and ServeStatic.

Issue 6 asks for the in-process WSGI 304 to be 2x ServeStatic 4.4's. ServeStatic answers a
304 from one ``environ`` read and one string comparison: it does not look at ``If-Match``,
``If-Unmodified-Since``, ``Accept-Encoding`` or an encoded separator in the raw path. A
correct answer (RFC 9110 §13.2.2 order, the ETag of the negotiated representation, a raw
``%2F`` treated as a miss) has to read those values. This script measures the leanest such
path we could write, every check inlined into one function (the structure servestatic's
shared core rules out), against servestatic's real path and ServeStatic's, with the
in-process harness, alternating the three several times::

    PYTHONPATH=. .venv/bin/python -m benchmarks.minimal304 [--rounds 5]

It prints the best µs per request of each and the ratios to ServeStatic. Not part of the
suite's report: it is the evidence for one target's ceiling (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from typing import Any

from benchmarks.fixtures import STATIC, build_site

HERE = os.path.dirname(os.path.abspath(__file__))
CONTENDER = os.path.join(HERE, "contender")
SERVESTATIC44 = os.path.join(HERE, ".venvs", "servestatic44", "bin", "python")
PREFIX = "/static/"

StartResponse = Callable[..., Any]
WSGI = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def minimal_app(root: str, fallback: WSGI) -> WSGI:
    """servestatic's table and plans, with the 304 decision inlined into the callable."""
    from servestatic import ServeStatic
    from servestatic.http.negotiation import choose_ranked
    from servestatic.http.records import FileEntry
    from servestatic.http.respond import _plans

    full = ServeStatic(fallback, root, prefix=PREFIX)
    files = full.engine.files

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        get = environ.get
        path = get("PATH_INFO", "")
        entry = files.get(path) if path.isascii() else None
        if_none_match = get("HTTP_IF_NONE_MATCH")
        if type(entry) is FileEntry and if_none_match is not None and entry.status == 200:
            method = environ["REQUEST_METHOD"]
            raw = get("RAW_URI") or get("REQUEST_URI") or ""
            if (
                (method == "GET" or method == "HEAD")  # noqa: PLR1714
                and get("HTTP_IF_MATCH") is None
                and get("HTTP_IF_UNMODIFIED_SINCE") is None
                and "%" not in raw
                and not entry.cors_origins
            ):
                position = choose_ranked(get("HTTP_ACCEPT_ENCODING"), entry.ranking)
                if position is not None:
                    representation = entry.representations[entry.ranked[position]]
                    if if_none_match == representation.etag:
                        plan = _plans(representation)[2]
                        start_response("304 Not Modified", list(plan.headers.pairs))
                        return []
        return full(environ, start_response)

    return application


def _inprocess(python: str, library: str, root: str) -> float:
    script = os.path.join(CONTENDER, "inprocess.py")
    command = ["taskset", "-c", "0", python, script, "--library", library]
    command += ["--interface", "wsgi", "--root", root, "--scenarios", "not-modified"]
    output = subprocess.run(
        command,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": CONTENDER},
    ).stdout
    return float(json.loads(output.splitlines()[0])["us_best"])


def _minimal(root: str) -> float:
    sys.path.insert(0, CONTENDER)
    import inprocess
    import serve_apps

    os.environ["BENCH_ROOT"] = root
    app = minimal_app(root, serve_apps.fallback_wsgi)
    (result,) = inprocess.run_wsgi(app, root, 7, ["not-modified"])
    return float(result["us_best"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--minimal-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    build_site()
    root = str(STATIC)
    if args.minimal_only:
        print(_minimal(root))
        return 0
    best = {"minimal": float("inf"), "ours": float("inf"), "servestatic44": float("inf")}
    for _ in range(args.rounds):
        minimal = subprocess.run(
            ["taskset", "-c", "0", sys.executable, "-m", "benchmarks.minimal304", "--minimal-only"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        best["minimal"] = min(best["minimal"], float(minimal))
        best["ours"] = min(best["ours"], _inprocess(sys.executable, "ours", root))
        theirs = _inprocess(SERVESTATIC44, "servestatic44", root)
        best["servestatic44"] = min(best["servestatic44"], theirs)
    theirs = best["servestatic44"]
    for name, micros in best.items():
        print(f"{name:14} {micros:5.2f} µs   ServeStatic / this: {theirs / micros:4.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
