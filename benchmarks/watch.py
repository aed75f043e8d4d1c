"""Watching instead of walking (issue 16 item 4): event-to-served latency and request cost.

``.venv/bin/python -m benchmarks.watch [--events 1000] [--burst 10000] [--requests 20000]``

1. Event-to-served latency: ``--events`` files created one after another under a watched
   root (1,000 files already indexed); for each, the time from the end of the write to
   the first moment the in-process WSGI app answers 200 (polled every 0.2 ms). Median,
   95th percentile and worst.
2. A burst: ``--burst`` files (100 per directory) written at once, as a ``git checkout``
   does: time from the last write to the whole burst being served, the number of
   ``apply_changes`` calls, the longest one, and the worst latency of a request for an
   unchanged file made meanwhile (requests are never blocked for a whole burst).
3. Per-request cost (WSGI app called directly, best of 5 rounds, 1,000-file tree): the
   plain start-up index, ``watch = true``, and ``autorefresh = true``.

Stdlib and servestatic only; prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from servestatic import ServeStatic, Settings


def wsgi_environ(url: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": url,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_ACCEPT_ENCODING": "br, gzip",
        "wsgi.url_scheme": "http",
    }


def _status(app: Any, url: str) -> str:
    found: list[str] = []

    def start_response(status: str, headers: Any, *args: Any) -> None:
        found.append(status)

    body = app(wsgi_environ(url), start_response)
    close = getattr(body, "close", None)
    if close is not None:
        close()
    return found[0]


def _tree(root: Path, files: int) -> list[str]:
    urls = []
    for number in range(files):
        folder = root / f"d{number // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{number}.css").write_text(f"body {{ order: {number}; }}\n" * 8)
        urls.append(f"/d{number // 100}/f{number}.css")
    return urls


def _watched(root: Path) -> Any:
    app = ServeStatic(None, settings=Settings(root=root, watch=True))
    assert app.engine.watcher is not None
    app.engine.watcher.ready.wait(10)
    return app


def measure_latency(tmp: Path, events: int) -> dict[str, float]:
    root = tmp / "latency"
    _tree(root, 1000)
    app = _watched(root)
    samples = []
    try:
        for number in range(events):
            url = f"/new/n{number}.txt"
            path = root / "new" / f"n{number}.txt"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(b"new file\n")
            written = time.perf_counter()
            while _status(app, url) != "200 OK":
                time.sleep(0.0002)
            samples.append(time.perf_counter() - written)
    finally:
        app.engine.watcher.stop()
    samples.sort()
    return {
        "median": statistics.median(samples),
        "p95": samples[int(len(samples) * 0.95) - 1],
        "worst": samples[-1],
    }


def measure_burst(tmp: Path, burst: int) -> dict[str, float]:
    root = tmp / "burst"
    (root / "steady").mkdir(parents=True)
    (root / "steady" / "a.txt").write_bytes(b"steady")
    app = _watched(root)
    watcher = app.engine.watcher
    worst = [0.0]
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            started = time.perf_counter()
            assert _status(app, "/steady/a.txt") == "200 OK"
            worst[0] = max(worst[0], time.perf_counter() - started)
            time.sleep(0.001)

    thread = threading.Thread(target=probe)
    thread.start()
    try:
        urls = _tree(root / "checkout", burst)
        written = time.perf_counter()
        last = "/checkout" + urls[-1]
        first = "/checkout" + urls[0]
        files = app.engine.files
        while not all(url in files for url in (first, last)) or (
            sum(1 for url in list(files) if url.startswith("/checkout/")) < burst
        ):
            time.sleep(0.005)
        elapsed = time.perf_counter() - written
    finally:
        done.set()
        thread.join()
        watcher.stop()
    return {
        "served": elapsed,
        "batches": watcher.batches,
        "longest": watcher.longest,
        "probe_worst": worst[0],
    }


#: Issue 19 item 3: a request with ``watch = true`` costs the plain index's, at least
#: this ratio (index time / watch time).
WATCH_REQUEST_MIN = 0.95
#: Rounds per application; each round calls the three applications in a turned order.
ROUNDS = 7


def request_cost(app: Any, environs: list[dict[str, Any]], requests: int) -> float:
    """Seconds per request over one round of ``requests`` calls."""

    def start_response(status: str, headers: Any, *args: Any) -> None:
        pass

    started = time.perf_counter()
    for number in range(requests):
        body = app(environs[number % len(environs)], start_response)
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return (time.perf_counter() - started) / requests


def measure_requests(tmp: Path, requests: int, rounds: int = ROUNDS) -> dict[str, float]:
    """Best seconds per request of the plain index, ``watch`` and ``autorefresh``, the
    three applications built once and measured in turns (their order turned by one place
    every round), so a slow minute of the machine lands on every one of them."""
    root = tmp / "requests"
    urls = _tree(root, 1000)
    environs = [wsgi_environ(url) for url in urls]
    apps = {
        "index": ServeStatic(None, settings=Settings(root=root)),
        "watch": _watched(root),
        "autorefresh": ServeStatic(None, settings=Settings(root=root, autorefresh=True)),
    }
    names = list(apps)
    best = dict.fromkeys(names, float("inf"))
    try:
        for _ in range(2):  # warm-up: every entry looked up once by each application
            for app in apps.values():
                request_cost(app, environs, len(environs))
        for number in range(rounds):
            for name in names[number % len(names) :] + names[: number % len(names)]:
                best[name] = min(best[name], request_cost(apps[name], environs, requests))
    finally:
        apps["watch"].engine.watcher.stop()
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        latency = measure_latency(tmp, args.events)
        burst = measure_burst(tmp, args.burst)
        costs = measure_requests(tmp, args.requests)
    ms = 1000
    print(f"event → served over {args.events} creates (ms)")
    print(
        f"  median {latency['median'] * ms:.1f}  p95 {latency['p95'] * ms:.1f}  "
        f"worst {latency['worst'] * ms:.1f}"
    )
    print(f"burst of {args.burst:,} files")
    print(
        f"  all served {burst['served'] * ms:.0f} ms after the last write; "
        f"{burst['batches']:.0f} apply_changes calls, longest {burst['longest'] * ms:.0f} ms; "
        f"slowest request meanwhile {burst['probe_worst'] * ms:.1f} ms"
    )
    print(f"per request, in process (µs, best of {ROUNDS} rounds taken in turns)")
    for name, seconds in costs.items():
        print(f"  {name:<12} {seconds * 1e6:8.2f}")
    ratio = costs["index"] / costs["watch"]
    mark = "met" if ratio >= WATCH_REQUEST_MIN else "MISSED"
    print(
        f"  watch costs the plain index's: {ratio:.2f}x ({mark}: at least {WATCH_REQUEST_MIN:g}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
