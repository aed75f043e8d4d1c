"""What the per-request check of a held range descriptor costs under a real server.

Issue 19, item 1 asks where the time of a range goes when servestatic stays below the
trivial application (each server's floor). A range of a big file is read with one
``pread`` from a descriptor held per file; after it, servestatic checks that descriptor
is still the indexed file (``serve.files._still_named``: an ``fstat`` of the held file on
every request, a ``stat`` of its name at most once a second). The trivial application
checks nothing. This script runs four contenders side by side on each server:

- ``ours``: servestatic as shipped;
- ``ours-unchecked``: the same, with the check replaced by ``True`` (a ``sitecustomize``
  in ``benchmarks/contender/unchecked/``, found first on the server's path). An
  experiment only: no setting does this, and it would let a file rewritten in place send
  new bytes under its old headers;
- ``ours-syscall``: the check replaced by one bare system call (``getppid``: it keeps the
  GIL and builds no object; ``benchmarks/contender/syscall/``), which splits the check's
  cost into entering the kernel and ``os.fstat``'s own Python work;
- ``trivial``: the floor;
- ``trivial-checked``: the floor with the same ``fstat`` after each ``pread``
  (``benchmarks/contender/floorchecked/``): what the check costs the floor itself, so
  ours ÷ this is the most a shorter range path that keeps the check could gain.

The 1 KiB range scenario of the suite is loaded with wrk in turns, each contender once per
round. The order turns by one place each round, so no contender always runs first or
last; each ratio is the median over the rounds of that round's own ratio (paired, so a
burst of load on the machine that slows a whole round cancels out)::

    benchmarks/.venvs/bench/bin/python -m benchmarks.checkcost [--servers uvicorn,granian-wsgi]
        [--rounds 5] [--seconds 4]

Writes ``checkcost.md`` and ``checkcost.json`` into ``benchmarks/results/<stamp>-checkcost/``.
Not part of the suite's report: evidence for one target (docs/performance.md).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import statistics
from pathlib import Path

from benchmarks.contenders import CONTENDER
from benchmarks.fixtures import build_site
from benchmarks.load import run_wrk
from benchmarks.run import RESULTS, log
from benchmarks.scenarios import SCENARIOS, verify
from benchmarks.servers import serve

UNCHECKED = CONTENDER / "unchecked"
SYSCALL = CONTENDER / "syscall"
FLOOR_CHECKED = CONTENDER / "floorchecked"
#: contender → (library, extra path put first on the server's PYTHONPATH)
CONTENDERS: dict[str, tuple[str, Path | None]] = {
    "ours": ("ours", None),
    "ours-unchecked": ("ours", UNCHECKED),
    "ours-syscall": ("ours", SYSCALL),
    "trivial": ("trivial", None),
    "trivial-checked": ("trivial", FLOOR_CHECKED),
}


def round_order(names: list[str], number: int) -> list[str]:
    """Round ``number``'s order: the contenders turned by one place per round."""
    shift = number % len(names)
    return names[shift:] + names[:shift]


def paired(rates: dict[str, list[float]], name: str, base: str) -> float:
    """The median over the rounds of ``name``'s rate divided by ``base``'s in that round."""
    return statistics.median(a / b for a, b in zip(rates[name], rates[base], strict=True))


def measure(server: str, rounds: int, seconds: float) -> dict[str, list[float]]:
    """req/s of each contender per round on ``server``, loaded in turns."""
    fixtures = build_site()
    scenario = SCENARIOS["range"]
    rates: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    with contextlib.ExitStack() as stack:
        running = {
            name: stack.enter_context(serve(library, server, extra_path=extra))
            for name, (library, extra) in CONTENDERS.items()
        }
        headers = {}
        for name, process in running.items():
            headers[name] = verify(scenario, process.port, fixtures)
            run_wrk(f"http://127.0.0.1:{process.port}{scenario.path}", headers[name], 2)
        for number in range(rounds):
            for name in round_order(list(running), number):
                process = running[name]
                url = f"http://127.0.0.1:{process.port}{scenario.path}"
                result = run_wrk(url, headers[name], seconds)
                if any(result.errors.values()):
                    raise SystemExit(f"{server} {name}: errors {result.errors}")
                rates[name].append(result.rps)
            log(
                f"{server} round {number + 1}: "
                + ", ".join(f"{name} {values[-1]:,.0f}" for name, values in rates.items())
            )
    return rates


def report(results: dict[str, dict[str, list[float]]], command: str) -> str:
    lines = [
        "# The held-descriptor check under real servers",
        "",
        f"Command: `{command}`",
        "",
        "req/s of the 1 KiB range of the 10 MiB file, median of the rounds (all rounds in",
        "brackets, in the order they ran). Ratios are paired: the median over the rounds of",
        "each round's own ratio. The costs are µs per request, from the paired ratios and",
        "the trivial application's median: the check (ours against unchecked), and of it a",
        "bare system call (syscall against unchecked). *trivial, checked*: the floor with",
        "the same `fstat` after its `pread`.",
        "",
        "| server | ours | check removed | bare system call | trivial | trivial, checked "
        "| ours ÷ trivial | unchecked ÷ trivial | syscall ÷ trivial | checked ÷ trivial "
        "| ours ÷ checked floor | check, µs | system call, µs |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for server, rates in results.items():
        ratio = {name: paired(rates, name, "trivial") for name in rates}
        floor = 1e6 / statistics.median(rates["trivial"])  # µs per request
        cost = floor / ratio["ours"] - floor / ratio["ours-unchecked"]
        syscall = floor / ratio["ours-syscall"] - floor / ratio["ours-unchecked"]
        cells = [
            f"{statistics.median(rates[name]):,.0f} [{', '.join(f'{v:,.0f}' for v in rates[name])}]"
            for name in CONTENDERS
        ]
        against_checked = paired(rates, "ours", "trivial-checked")
        lines.append(
            f"| {server} | {' | '.join(cells)} | {ratio['ours']:.2f} "
            f"| {ratio['ours-unchecked']:.2f} | {ratio['ours-syscall']:.2f} "
            f"| {ratio['trivial-checked']:.2f} | {against_checked:.2f} "
            f"| {cost:.1f} | {syscall:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.checkcost")
    parser.add_argument("--servers", default="uvicorn,granian-wsgi")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args(argv)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    results = {
        server: measure(server, args.rounds, args.seconds) for server in args.servers.split(",")
    }
    command = (
        "python -m benchmarks.checkcost "
        f"--servers {args.servers} --rounds {args.rounds} --seconds {args.seconds:g}"
    )
    output = RESULTS / f"{stamp}-checkcost"
    output.mkdir(parents=True, exist_ok=True)
    (output / "checkcost.md").write_text(report(results, command))
    (output / "checkcost.json").write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {output / 'checkcost.md'}")
    print(report(results, command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
