"""Profile servestatic's request path with py-spy and say where the time goes.

    benchmarks/.venvs/bench/bin/python -m benchmarks.profiling [--seconds 6] [--cases ...]

Two kinds of case:

- ``inprocess:<wsgi|asgi-plain|asgi-pathsend>:<scenario>``: the in-process loop of
  ``contender/inprocess.py`` (no sockets), pinned to core 0, recorded by py-spy;
- ``<server>:<scenario>``: a real server pinned to core 0 under wrk load on core 1, recorded
  by py-spy (``--nonblocking``: the server is never paused) on core 1.

py-spy samples Python stacks of running threads only (idle threads are dropped), so the
share of samples is the share of the process's CPU. Time in C code (uvloop, httptools, the
kernel's send) is attributed to the innermost Python frame that called it: under granian,
whose ``send`` is native, the time of the server's send shows up in the frame of
servestatic that awaited it (compare with the ``@trivial`` cases, a bare application). Each
sample is put in one category by its innermost frame; the share of samples with any
servestatic frame on the stack is the time spent in our code and what it calls. Shares are
turned into µs per request with the server's measured CPU time per request.

Writes ``profile.md`` into ``--output`` (default ``benchmarks/results/<stamp>-profile``) and
the collapsed stacks into ``benchmarks/results/raw/<stamp>-profile/`` (gitignored).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.contenders import CONTENDER, LIBRARIES, LOAD_CORE, SERVER_CORE, VENVS
from benchmarks.fixtures import STATIC, WORK, build_site
from benchmarks.load import _LUA, CONNECTIONS, run_wrk, wrk_binary
from benchmarks.run import RESULTS, log
from benchmarks.scenarios import SCENARIOS, verify
from benchmarks.servers import contender_env, serve

PY_SPY = VENVS / "bench" / "bin" / "py-spy"
#: Servers that run the application in several Python threads.
THREADED = frozenset({"granian-wsgi", "gunicorn-gthread"})
DEFAULT_CASES = (
    "inprocess:wsgi:small",
    "inprocess:wsgi:compressed",
    "inprocess:wsgi:not-modified",
    "inprocess:wsgi:range",
    "inprocess:wsgi:miss",
    "inprocess:asgi-plain:small",
    "inprocess:asgi-plain:not-modified",
    "inprocess:asgi-plain:range",
    "inprocess:asgi-pathsend:small",
    "uvicorn:small",
    "uvicorn:compressed",
    "uvicorn:not-modified",
    "uvicorn:range",
    "uvicorn:big",
    "uvicorn:miss",
    "uvicorn:small@trivial",
    "granian-asgi:small",
    "granian-asgi:small@trivial",
    "granian-asgi:range",
    "granian-asgi:big",
    "gunicorn-gthread:small",
    "granian-wsgi:small",
)

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]*)(?::(?P<line>\d+))?\)$")
#: innermost-frame file prefix → category (first match wins).
CATEGORIES = (
    ("servestatic/", "servestatic"),
    ("whitenoise/", "library (WhiteNoise)"),
    ("serve_apps.py", "benchmark app"),
    ("inprocess.py", "benchmark harness"),
    ("uvicorn/", "server (Python part)"),
    ("granian/", "server (Python part)"),
    ("gunicorn/", "server (Python part)"),
    ("asyncio/", "event loop + C (uvloop, parser, socket)"),
    ("concurrent/futures/", "thread pool"),
    ("threading.py", "thread pool"),
    ("asgiref/", "asgiref"),
    ("selectors.py", "server (Python part)"),
    ("socket.py", "socket I/O"),
)


@dataclass
class Profile:
    samples: int = 0
    categories: collections.Counter[str] = field(default_factory=collections.Counter)
    leaves: collections.Counter[str] = field(default_factory=collections.Counter)
    ours_inclusive: collections.Counter[str] = field(default_factory=collections.Counter)
    #: samples with servestatic on the stack, by the innermost frame's category: time in our
    #: own code ("servestatic") and in what it calls (the server's send, threads, stdlib).
    under_ours: collections.Counter[str] = field(default_factory=collections.Counter)
    in_ours: int = 0

    def share(self, count: int) -> float:
        return count / self.samples if self.samples else 0.0


def _short(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame)
    if match is None:
        return frame, ""
    return match["func"], match["file"]


#: Innermost Python frames that only stand for C code below them (the event loop's).
_LOOP_CALLERS = {"batch", "run_asgi.<locals>.batch", "Runner.run", "run_until_complete"}


def categorise(path: str, func: str = "") -> str:
    if func in _LOOP_CALLERS:
        return "event loop + C (uvloop, parser, socket)"
    for prefix, category in CATEGORIES:
        if prefix in path:
            return category
    if path.endswith(".py") and "/" not in path:
        return "stdlib / other Python"
    return "stdlib / other Python" if path else "native / unknown"


def analyse(raw: str, *, within: str | None = None) -> Profile:
    """Aggregate py-spy's collapsed stacks; ``within``: keep samples with that frame only
    (the timed loop of the in-process benchmark, not its imports and set-up)."""
    profile = Profile()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if not frame.startswith("process ")]
        if not frames or (within is not None and not any(within in f for f in frames)):
            continue
        profile.samples += count
        func, path = _short(frames[-1])
        leaf_category = categorise(path, func)
        profile.categories[leaf_category] += count
        profile.leaves[f"{func} ({path})"] += count
        seen = set()
        for frame in frames:
            func, path = _short(frame)
            if path.startswith("servestatic/") or "/servestatic/" in path:
                seen.add(f"{func} ({path.rsplit('/', 1)[-1]})")
        if seen:
            profile.in_ours += count
            profile.under_ours[leaf_category] += count
            for name in seen:
                profile.ours_inclusive[name] += count
    return profile


# ---------------------------------------------------------------------- recording


def _py_spy(args: list[str], output: Path, rate: int) -> None:
    command = [
        "taskset", "-c", LOAD_CORE, str(PY_SPY), "record", "--nonblocking",
        "-r", str(rate), "-f", "raw", "-o", str(output), *args,
    ]  # fmt: skip
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if not output.exists():
        raise RuntimeError(f"py-spy failed: {finished.stderr[-2000:]}")


def record_inprocess(
    library: str, interface: str, scenario: str, seconds: float, rate: int, raw_dir: Path
) -> tuple[Path, dict[str, Any]]:
    variant = interface.removeprefix("asgi-") if interface.startswith("asgi") else "plain"
    output = raw_dir / f"inprocess-{library}-{interface}-{scenario}.txt"
    python = LIBRARIES[library].python
    loop_output = WORK / "profile-loop.json"
    command = [
        "taskset", "-c", SERVER_CORE, str(python), "-P", str(CONTENDER / "inprocess.py"),
        "--library", library, "--interface", interface.partition("-")[0], "--root", str(STATIC),
        "--scenarios", scenario, "--variants", variant, "--loop", str(seconds),
    ]  # fmt: skip
    env = contender_env(library)
    script = (
        "import subprocess, sys, os\n"
        f"out = subprocess.run({command!r}, env={env!r}, cwd={str(WORK)!r}, "
        "capture_output=True, text=True)\n"
        f"open({str(loop_output)!r}, 'w').write(out.stdout)\n"
        "sys.exit(out.returncode)\n"
    )
    # py-spy follows the wrapper's child (--subprocesses); the wrapper itself sleeps.
    _py_spy(["--subprocesses", "--", "python3", "-c", script], output, rate)
    result = json.loads(loop_output.read_text().splitlines()[-1])
    return output, {"us_per_request": result["us_best"], "requests": result["n"]}


def record_server(
    library: str, server: str, scenario_name: str, seconds: float, rate: int, raw_dir: Path
) -> tuple[Path, dict[str, Any]]:
    scenario = SCENARIOS[scenario_name]
    output = raw_dir / f"{server}-{library}-{scenario_name}.txt"
    fixtures = build_site()
    with serve(library, server) as running:
        headers = verify(scenario, running.port, fixtures)
        url = running.base + scenario.path
        run_wrk(url, headers, 1)
        script = WORK / "summary.lua"
        script.write_text(_LUA)
        command = [
            "taskset", "-c", LOAD_CORE, wrk_binary(), "-t", "1", "-c", str(CONNECTIONS),
            "-d", f"{round(seconds + 2)}s", "--timeout", "30s", "-s", str(script),
        ]  # fmt: skip
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        load = subprocess.Popen([*command, url], stdout=subprocess.PIPE, text=True)
        time.sleep(0.7)
        cpu_before = running.cpu_seconds()
        started = time.perf_counter()
        pid = str(running.process.pid)
        spy = ["--subprocesses", "--pid", pid, "-d", str(round(seconds))]
        if server in THREADED:
            # Several Python threads share the GIL: sample only the one holding it, or
            # threads waiting for it are charged to wherever they were switched out.
            spy.append("--gil")
        _py_spy(spy, output, rate)
        elapsed = time.perf_counter() - started
        cpu = running.cpu_seconds() - cpu_before
        stdout, _ = load.communicate()
    line = next(line for line in stdout.splitlines() if line.startswith("WRKJSON "))
    summary = json.loads(line.removeprefix("WRKJSON "))
    rps = summary["requests"] / (summary["duration_us"] / 1e6)
    requests_in_window = rps * elapsed
    return output, {
        "rps": rps,
        "cpu_share": cpu / elapsed,
        "us_per_request": cpu / requests_in_window * 1e6 if requests_in_window else 0.0,
    }


# ---------------------------------------------------------------------- report


def _table(profile: Profile, counter: collections.Counter[str], us: float, limit: int) -> list[str]:
    lines = ["| share | µs/request | where |", "|---|---|---|"]
    for name, count in counter.most_common(limit):
        share = profile.share(count)
        lines.append(f"| {share:.1%} | {share * us:.2f} | `{name}` |")
    return lines


def section(case: str, profile: Profile, info: dict[str, Any]) -> list[str]:
    us = info["us_per_request"]
    head = f"### {case}\n\n"
    if "rps" in info:
        head += (
            f"{info['rps']:,.0f} req/s under profiling, server CPU {info['cpu_share']:.0%} of a "
            f"core, **{us:.1f} µs CPU per request**; "
        )
    else:
        head += f"**{us:.2f} µs per request** (in-process loop, under the profiler); "
    own = profile.share(profile.categories["servestatic"])
    under = profile.share(profile.in_ours)
    head += (
        f"{profile.samples:,} samples; **servestatic's own code {own:.0%} "
        f"(≈ {own * us:.2f} µs/request)**; with what it calls (the server's send, threads, "
        f"stdlib) {under:.0%} (≈ {under * us:.2f} µs)."
    )
    lines = [head, "", "All samples, by the innermost frame:", ""]
    lines += _table(profile, profile.categories, us, 12)
    lines += ["", "Samples under a servestatic frame, by the innermost frame:", ""]
    lines += _table(profile, profile.under_ours, us, 12)
    lines += ["", "servestatic functions (inclusive: on the stack):", ""]
    lines += _table(profile, profile.ours_inclusive, us, 12)
    lines += ["", "Hottest innermost frames (self time):", ""]
    lines += _table(profile, profile.leaves, us, 12)
    lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.profiling", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rate", type=int, default=1000, help="py-spy samples per second")
    parser.add_argument("--library", default="ours")
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES))
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    output: Path = args.output or RESULTS / f"{stamp}-profile"
    raw_dir = RESULTS / "raw" / f"{stamp}-profile"
    output.mkdir(parents=True, exist_ok=True)
    raw_dir.mkdir(parents=True, exist_ok=True)
    build_site()
    lines = [
        f"# Where the time goes: {LIBRARIES[args.library].label}, {stamp}",
        "",
        f"py-spy {args.rate} Hz, {args.seconds:g} s per case, `--nonblocking`, Python frames only "
        "(C time is charged to the calling Python frame). Command: "
        f"`python -m benchmarks.profiling {' '.join(argv or [])}`".rstrip(),
        "",
    ]
    summary = [
        "| case | µs/request | servestatic's own code | with what it calls | hottest servestatic "
        "function below the adapter |",
        "|---|---|---|---|---|",
    ]
    body: list[str] = []
    for case in [c for c in args.cases.split(",") if c]:
        log(f"profiling {case}")
        spec, _, library = case.partition("@")
        library = library or args.library
        parts = spec.split(":")
        seconds, rate = args.seconds, args.rate
        try:
            if parts[0] == "inprocess":
                raw, info = record_inprocess(library, parts[1], parts[2], seconds, rate, raw_dir)
                within: str | None = "measure (inprocess.py"
            else:
                raw, info = record_server(library, parts[0], parts[1], seconds, rate, raw_dir)
                within = None
        except Exception as error:  # one failed case must not stop the rest
            log(f"  failed: {error}")
            body += [f"### {case}", "", f"failed: {error}", ""]
            continue
        profile = analyse(raw.read_text(), within=within)
        us = info["us_per_request"]
        own = profile.share(profile.categories["servestatic"])
        under = profile.share(profile.in_ours)
        adapters = ("__call__", "_send", "_send_file", "_app")
        below = [
            (name, count)
            for name, count in profile.ours_inclusive.most_common()
            if name.split(" ")[0].rsplit(".", 1)[-1] not in adapters
        ][:2]
        named = ", ".join(f"`{name}` {profile.share(count):.0%}" for name, count in below)
        summary.append(
            f"| {case} | {us:.2f} | {own:.0%} ({own * us:.2f} µs) | "
            f"{under:.0%} ({under * us:.2f} µs) | {named} |"
        )
        log(f"  {us:.2f} µs/request, own code {own:.0%}, with callees {under:.0%}")
        body += section(case, profile, info)
    lines += ["## Summary", "", *summary, "", "## Cases", "", *body]
    (output / "profile.md").write_text("\n".join(lines))
    log(f"wrote {output / 'profile.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
