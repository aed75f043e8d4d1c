"""CPU per request under load, split by where it runs: kernel, the server's native code,
the Python interpreter (the application, the library and the server's Python part), libc.

    PYTHONPATH=. benchmarks/.venvs/bench/bin/python -m benchmarks.cpusplit \\
        granian-asgi:small@ours granian-asgi:small@trivial nginx:small@nginx

py-spy (``benchmarks.profiling``) sees Python frames only and charges native time to the
frame that called it; ``perf`` (``cpu-clock``, every thread of the server's process tree,
with call graphs) sees the kernel and native libraries too. Each case: start the server
pinned to the server core, check its answer, load it with wrk on the load core, record
``perf`` for ``--seconds`` in the middle of the load; CPU per request = samples / rate /
requests in the window. Comparing ``@ours`` with ``@trivial`` (each server's floor,
``contender/floor.py``) and nginx says how much of the time is the server, the library and
the kernel (issue 19 item 6). Needs ``perf`` and permission to use it (root, or
``kernel.perf_event_paranoid`` ≤ 1).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.fixtures import WORK, build_site
from benchmarks.load import run_wrk
from benchmarks.scenarios import SCENARIOS, verify
from benchmarks.servers import serve

#: Shared-object name prefix → where its time is reported (first match wins).
WHERE = (
    ("[kernel", "kernel"),
    ("libpython", "Python interpreter"),
    ("python3", "Python interpreter"),
    ("_asyncio", "Python interpreter"),
    ("_granian", "server native code"),
    ("nginx", "server native code"),
    ("ngx_", "server native code"),
    ("loop.cpython", "server native code"),  # uvloop
    ("parser.cpython", "server native code"),  # httptools
    ("libc", "libc and loader"),
    ("ld-linux", "libc and loader"),
)
LOAD_SECONDS_EXTRA = 3.0


def where(dso: str) -> str:
    for prefix, name in WHERE:
        if dso.startswith(prefix):
            return name
    return "other"


def _tree(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    pids = [pid]
    for child in found.stdout.split():
        pids += _tree(int(child))
    return pids


def record(case: str, seconds: float, frequency: int) -> dict[str, Any]:
    """Load one ``server:scenario@library`` case and split its CPU per request."""
    spec, _, library = case.partition("@")
    server, _, scenario_name = spec.partition(":")
    scenario = SCENARIOS[scenario_name]
    data = WORK / f"perf-{server}-{library}-{scenario_name}.data"
    fixtures = build_site()
    result: dict[str, Any] = {}
    with serve(library or "ours", server) as running:
        headers = verify(scenario, running.port, fixtures)
        url = running.base + scenario.path
        run_wrk(url, headers, 1)
        pids = ",".join(str(pid) for pid in _tree(running.process.pid))
        load = threading.Thread(
            target=lambda: result.update(wrk=run_wrk(url, headers, seconds + LOAD_SECONDS_EXTRA))
        )
        load.start()
        time.sleep(LOAD_SECONDS_EXTRA / 2)
        perf = ["perf", "record", "-q", "-e", "cpu-clock", "-F", str(frequency), "-g"]
        subprocess.run(
            [*perf, "-o", str(data), "-p", pids, "--", "sleep", str(seconds)],
            capture_output=True,
            check=True,
        )
        load.join()
    show = ["perf", "report", "-i", str(data), "--no-children", "--sort", "dso", "--stdio"]
    report = subprocess.run(
        [*show, "-q", "-n", "-g", "none"], capture_output=True, text=True, check=True
    ).stdout
    requests = result["wrk"].rps * seconds
    by_dso: dict[str, int] = {}
    for line in report.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0].endswith("%"):
            by_dso[parts[2]] = by_dso.get(parts[2], 0) + int(parts[1])
    total = sum(by_dso.values())
    split: dict[str, float] = {}
    for dso, samples in by_dso.items():
        split[where(dso)] = split.get(where(dso), 0.0) + samples / frequency / requests * 1e6
    return {
        "case": case,
        "rps": result["wrk"].rps,
        "cpu_share": total / frequency / seconds,
        "us_per_request": total / frequency / requests * 1e6,
        "split": split,
    }


def table(records: list[dict[str, Any]]) -> list[str]:
    columns = list(dict.fromkeys([*(name for _, name in WHERE), "other"]))
    lines = [
        "| case | req/s | server CPU | µs CPU/request | " + " | ".join(columns) + " |",
        "|---|---|---|---|" + "---|" * len(columns),
    ]
    for record in records:
        cells = [f"{record['split'].get(column, 0.0):.1f}" for column in columns]
        lines.append(
            f"| {record['case']} | {record['rps']:,.0f} | {record['cpu_share']:.0%} | "
            f"{record['us_per_request']:.1f} | " + " | ".join(cells) + " |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.cpusplit", description=__doc__.splitlines()[0]
    )
    parser.add_argument("cases", nargs="+", help="server:scenario@library (nginx: @nginx)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--frequency", type=int, default=2000, help="perf samples per second")
    parser.add_argument("--rounds", type=int, default=1, help="cases in turns, this many times")
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    if shutil.which("perf") is None:
        parser.error("perf is not installed (linux-perf / linux-tools)")
    records = []
    for _ in range(args.rounds):
        for case in args.cases:
            found = record(case, args.seconds, args.frequency)
            print(f"{case}: {found['rps']:,.0f} req/s, {found['us_per_request']:.1f} µs/req")
            records.append(found)
    lines = table(records)
    print("\n".join(lines))
    if args.output is not None:
        args.output.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
