"""Start-up time and memory: construct one application over a big tree in a fresh process.

Runs inside a contender's virtual environment (stdlib only, plus ``serve_apps``)::

    .venvs/whitenoise/bin/python benchmarks/startup.py --library whitenoise --root DIR

``--library floor`` imports nothing and "constructs" a bare ``os.scandir`` walk with one
``stat`` per entry over the same tree: the file system's floor for any start-up index
(issue 19 item 2).

Prints JSON: seconds to import the library and to construct the application, the resident
set size before and after construction (``VmRSS``) and the peak (``VmHWM``), in MiB, and
how many URLs the application serves (a sanity check that it indexed the tree).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _count(app: Any) -> int:
    files = getattr(app, "files", None)
    return len(files) if files is not None else -1


def _walk(root: str) -> int:
    """Every entry under ``root`` stat-ed once (no index kept); the number of files."""
    files = 0
    pending = [root]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                entry.stat()
                if entry.is_dir():
                    pending.append(entry.path)
                else:
                    files += 1
    return files


def _floor(root: str, rss_start: float) -> dict[str, Any]:
    gc.collect()
    rss_before = _status_mib("VmRSS")
    started = time.perf_counter()
    files = _walk(root)
    walked = time.perf_counter()
    gc.collect()
    rss_after = _status_mib("VmRSS")
    return {
        "library": "floor",
        "version": "-",
        "file": "",
        "import_s": 0.0,
        "construct_s": walked - started,
        "rss_start_mib": rss_start,
        "rss_before_mib": rss_before,
        "rss_after_mib": rss_after,
        "rss_delta_mib": rss_after - rss_before,
        "rss_peak_mib": _status_mib("VmHWM"),
        "urls": files,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True)
    parser.add_argument("--interface", choices=["wsgi", "asgi"], default="wsgi")
    parser.add_argument("--root", required=True)
    args = parser.parse_args(argv)
    os.environ["BENCH_LIBRARY"] = args.library
    os.environ["BENCH_ROOT"] = args.root
    os.environ["BENCH_AUTOREFRESH"] = "0"
    rss_start = _status_mib("VmRSS")
    if args.library == "floor":
        print(json.dumps(_floor(args.root, rss_start)))
        return 0
    started = time.perf_counter()
    import serve_apps

    if args.library == "whitenoise":
        import whitenoise  # noqa: F401
    else:
        import servestatic
        import servestatic.asgi
        import servestatic.wsgi  # noqa: F401
    imported = time.perf_counter()
    gc.collect()
    rss_before = _status_mib("VmRSS")
    built = time.perf_counter()
    app = serve_apps.make_wsgi() if args.interface == "wsgi" else serve_apps.make_asgi()
    constructed = time.perf_counter()
    gc.collect()
    rss_after = _status_mib("VmRSS")
    print(
        json.dumps(
            {
                **serve_apps.identity(),
                "import_s": imported - started,
                "construct_s": constructed - built,
                "rss_start_mib": rss_start,
                "rss_before_mib": rss_before,
                "rss_after_mib": rss_after,
                "rss_delta_mib": rss_after - rss_before,
                "rss_peak_mib": _status_mib("VmHWM"),
                "urls": _count(app),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
