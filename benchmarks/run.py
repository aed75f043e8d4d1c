"""Run the benchmark suite and write ``benchmarks/results/<timestamp>/``.

    benchmarks/run.sh [--quick] [options]        # setup.sh, then this module
    benchmarks/.venvs/bench/bin/python -m benchmarks [--quick] [options]

For every server × library pair: start it pinned to core 0, verify every scenario's
response (status, essential headers, exact bytes), warm up, load it with wrk pinned to core
1, record req/s and the server's CPU time, stop it. Then the in-process microbenchmark and
start-up time/RSS over 10,000 files, each in fresh subprocesses of each library's own
environment, the slow readers, and the scale part (:mod:`benchmarks.scale`, with its own
report in ``<results>-scale/``). Ratios in the report only ever compare numbers from the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.contenders import (
    CONTENDER,
    HERE,
    LIBRARIES,
    LOAD_CORE,
    PYTHON_SERVERS,
    REPO,
    SERVER_CORE,
    SERVERS,
    nginx_binary,
)
from benchmarks.fixtures import MANY_FILES, STATIC, WORK, build_many, build_site
from benchmarks.load import CONNECTIONS, THREADS, LoadError, run_wrk, wrk_binary
from benchmarks.npmbuild import run_npm
from benchmarks.scenarios import (
    SCENARIO_ORDER,
    SCENARIOS,
    VerificationError,
    verify,
)
from benchmarks.servers import ServerError, contender_env, other_cpu_seconds, serve
from benchmarks.slowreaders import SLOW_LIBRARIES, SLOW_SERVERS, SlowPlan, run_slow

RESULTS = HERE / "results"
LOAD_LIBRARIES = ("ours", "servestatic44", "whitenoise", "trivial")
INPROCESS_LIBRARIES = ("ours", "servestatic44", "whitenoise", "trivial")
STARTUP_LIBRARIES = ("ours", "servestatic44", "whitenoise")


@dataclass
class Plan:
    duration: float
    warmup: float
    repeats: int
    max_wait: float
    retries: int
    servers: list[str]
    libraries: list[str]
    scenarios: list[str]
    startup_files: int
    startup_reps: int
    inprocess_reps: int
    load: bool
    inprocess: bool
    startup: bool
    slow: bool
    slow_plan: SlowPlan
    scale: bool
    #: The build on real npm packages (benchmarks/npmbuild.py).
    npm: bool = True


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------- environment


def _run_json(
    command: list[str], env: dict[str, str], timeout: float = 600
) -> list[dict[str, Any]]:
    finished = subprocess.run(
        command, cwd=WORK, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{finished.stderr[-3000:]}")
    return [json.loads(line) for line in finished.stdout.splitlines() if line.startswith("{")]


def identities(libraries: list[str]) -> dict[str, dict[str, Any]]:
    """Which library and server versions each environment really imports."""
    found = {}
    probe = (
        "import json, serve_apps; from importlib.metadata import version as v; "
        "i = serve_apps.identity(); i['servers'] = {n: v(n) for n in "
        "('uvicorn', 'uvloop', 'httptools', 'granian', 'gunicorn')}; "
        "import sys; i['python'] = sys.version.split()[0]; print(json.dumps(i))"
    )
    for name in libraries:
        library = LIBRARIES[name]
        if not library.python.exists():
            raise SystemExit(f"missing {library.venv}: run benchmarks/setup.sh")
        env = contender_env(name)
        (identity,) = _run_json([str(library.python), "-P", "-c", probe], env)
        file = identity["file"]
        if name == "servestatic44" and str(library.venv) not in file:
            raise SystemExit(f"ServeStatic 4.4 environment imports {file}")
        if name == "ours" and not file.startswith(str(HERE.parent)):
            raise SystemExit(f"our environment imports servestatic from {file}")
        found[name] = identity
    return found


def source_state() -> str:
    """The commit servestatic is measured at (``+dirty`` with uncommitted changes)."""
    repo = str(HERE.parent)
    try:
        commit = subprocess.run(
            ["git", "-C", repo, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", repo, "status", "--porcelain", "--", "servestatic"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def machine() -> dict[str, Any]:
    def cmd(*args: str) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    model = ""
    for line in cmd("lscpu").splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    nginx = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True, check=False)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "os": cmd("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
        "python": platform.python_version(),
        "nginx": nginx.stderr.strip().removeprefix("nginx version: "),
        "wrk": (cmd(wrk_binary(), "-v").split() or ["", "?"])[1],
        "server_core": SERVER_CORE,
        "load_core": LOAD_CORE,
        "wrk_threads": THREADS,
        "connections": CONNECTIONS,
    }


#: Other processes may use this share of a core during a run before it counts as disturbed.
DISTURBED = 0.10


def wait_quiet(exclude: set[int], max_wait: float) -> float:
    """Wait (at most ``max_wait`` s) until other processes leave the cores alone; the wait."""
    started = time.monotonic()
    while time.monotonic() - started < max_wait:
        before = other_cpu_seconds(exclude)
        time.sleep(0.5)
        if (other_cpu_seconds(exclude) - before) / 0.5 <= DISTURBED:
            break
    return time.monotonic() - started


def loadavg() -> float:
    """One-minute load average (the benchmark itself adds about 2 while it runs)."""
    return os.getloadavg()[0]


# ---------------------------------------------------------------------- load tests


def _prepare(
    running: Any, scenario_name: str, fixtures: Any, plan: Plan
) -> tuple[str, dict[str, str]] | dict[str, Any]:
    """Verify the contender's answer and warm it up: (url, headers), or an error record."""
    scenario = SCENARIOS[scenario_name]
    try:
        headers = verify(scenario, running.port, fixtures)
        url = running.base + scenario.path
        if plan.warmup > 0:
            run_wrk(url, headers, plan.warmup)
    except (VerificationError, OSError, LoadError) as error:
        record = _identity(running, scenario_name)
        record["error"] = f"verification failed: {error}"
        log(f"  {running.library} {scenario_name}: {record['error']}")
        return record
    return url, headers


def _identity(running: Any, scenario_name: str) -> dict[str, Any]:
    return {"server": running.server, "library": running.library, "scenario": scenario_name}


def _timed_run(
    running: Any, scenario_name: str, url: str, headers: dict[str, str], plan: Plan
) -> dict[str, Any]:
    """One timed run with the server's CPU and what other processes used meanwhile."""
    server_pids = running.pids()
    waited = wait_quiet(server_pids, plan.max_wait)
    other_before = other_cpu_seconds(server_pids)
    cpu_before = running.cpu_seconds()
    result = run_wrk(url, headers, plan.duration)
    cpu = running.cpu_seconds() - cpu_before
    other = other_cpu_seconds(server_pids) - other_before
    # MB/s from the bytes wrk read, not completed requests: with a slow server, 32
    # concurrent 10 MiB responses may not finish within one run.
    mbps = result.bytes / result.seconds / 1e6 if result.seconds else 0.0
    return result.as_dict() | {
        "value": mbps if SCENARIOS[scenario_name].unit == "MB/s" else result.rps,
        "server_cpu_s": cpu,
        "server_cpu_share": cpu / result.seconds if result.seconds else 0.0,
        "other_cpu_share": other / result.seconds if result.seconds else 0.0,
        "waited_s": waited,
        "cpu_us_per_request": cpu / result.requests * 1e6 if result.requests else None,
    }


def _record(
    running: Any, scenario_name: str, headers: dict[str, str], runs: list[dict[str, Any]]
) -> dict[str, Any]:
    """The contender's record for one scenario: the median run, with all of them."""
    scenario = SCENARIOS[scenario_name]
    record = _identity(running, scenario_name)
    if running.process.poll() is not None:
        record["error"] = f"server died: {running.output()}"
        return record
    middle = sorted(runs, key=lambda run: run["value"])[len(runs) // 2]
    record.update(middle)
    record["runs"] = runs
    record["values"] = [run["value"] for run in runs]
    record["other_cpu_share"] = max(run["other_cpu_share"] for run in runs)
    record["headers"] = headers
    record["unit"] = scenario.unit
    errors = {key: sum(run["errors"][key] for run in runs) for key in middle["errors"]}
    if sum(errors.values()):
        record["error"] = f"wrk errors {errors}"
    if scenario.unit == "req/s" and sum(run["requests"] for run in runs) < 10 * len(runs):
        record["warning"] = f"only {sum(run['requests'] for run in runs)} requests completed"
    spread = ", ".join(f"{run['value']:,.0f}" for run in runs)
    log(
        f"  {running.library:<13} {scenario_name:<13} {record['value']:>10,.0f} "
        f"{scenario.unit:<5} [{spread}] p50 {record['p50_ms']:.2f} ms, "
        f"server CPU {record['server_cpu_share']:.0%}, others {record['other_cpu_share']:.0%}"
        + (f"  ERROR {record['error']}" if "error" in record else "")
    )
    return record


def _measure_interleaved(
    runnings: list[Any], scenario_name: str, fixtures: Any, plan: Plan
) -> list[dict[str, Any]]:
    """Every contender's timed runs of one scenario, taken in turns.

    The machine's speed drifts over minutes (a shared VM: other tenants, frequency), which
    no process list shows. Measured one contender after another, a slow minute lands on one
    of them and shows up as a ratio; in turns, each repeat sees every contender in the
    same minute, and the medians compare like with like.
    """
    records: list[dict[str, Any]] = []
    prepared: dict[int, tuple[str, dict[str, str]]] = {}
    for index, running in enumerate(runnings):
        found = _prepare(running, scenario_name, fixtures, plan)
        if isinstance(found, dict):
            records.append(found)
        else:
            prepared[index] = found
    runs: dict[int, list[dict[str, Any]]] = {index: [] for index in prepared}
    attempts = dict.fromkeys(prepared, 0)
    failed: set[int] = set()
    while any(len(runs[i]) < plan.repeats for i in prepared if i not in failed):
        for index, (url, headers) in prepared.items():
            if index in failed or len(runs[index]) >= plan.repeats:
                continue
            running = runnings[index]
            try:
                run = _timed_run(running, scenario_name, url, headers, plan)
            except LoadError as error:
                record = _identity(running, scenario_name)
                record["error"] = str(error)
                log(f"  {running.library} {scenario_name}: {error}")
                records.append(record)
                failed.add(index)
                continue
            attempts[index] += 1
            share = run["other_cpu_share"]
            if share > DISTURBED and attempts[index] < plan.repeats + plan.retries:
                log(f"    {running.library}: disturbed run ({share:.0%} of a core): again")
                continue
            runs[index].append(run)
    for index, (_, headers) in prepared.items():
        if index not in failed:
            records.append(_record(runnings[index], scenario_name, headers, runs[index]))
    return records


def run_load(plan: Plan, fixtures: Any) -> list[dict[str, Any]]:
    """Per server (and mode), start every contender at once (idle ones cost nothing on the
    pinned core), then measure each scenario with their timed runs in turns."""
    records: list[dict[str, Any]] = []
    for server in plan.servers:
        if server == "nginx":
            libraries = ["nginx"]
        else:
            interface = SERVERS[server].interface
            libraries = [
                library
                for library in plan.libraries
                if library != "nginx" and interface in LIBRARIES[library].interfaces
            ]
        for autorefresh in (False, True):
            names = [s for s in plan.scenarios if SCENARIOS[s].autorefresh == autorefresh]
            # Autorefresh needs other application objects: a second set of servers.
            # The trivial app runs every scenario too (it is each one's floor; autorefresh
            # changes nothing for it).
            if not names:
                continue
            mode = " (autorefresh)" if autorefresh else ""
            log(f"{server}{mode}: {', '.join(libraries)}")
            with contextlib.ExitStack() as stack:
                runnings = []
                for library in libraries:
                    try:
                        runnings.append(
                            stack.enter_context(serve(library, server, autorefresh=autorefresh))
                        )
                    except ServerError as error:
                        log(f"  {error}")
                        records.extend(
                            {"server": server, "library": library, "scenario": name}
                            | {"error": str(error)}
                            for name in names
                        )
                for name in names:
                    records.extend(_measure_interleaved(runnings, name, fixtures, plan))
    return records


# ---------------------------------------------------------------------- subprocess benchmarks


def run_inprocess(plan: Plan) -> list[dict[str, Any]]:
    records = []
    script = str(CONTENDER / "inprocess.py")
    for name in [lib for lib in plan.libraries if lib in INPROCESS_LIBRARIES]:
        library = LIBRARIES[name]
        for interface in sorted(library.interfaces, reverse=True):
            wait_quiet(set(), plan.max_wait)
            log(f"in-process {name} {interface}")
            command = [
                "taskset", "-c", SERVER_CORE,
                str(library.python), "-P", script,
                "--library", name,
                "--interface", interface,
                "--root", str(STATIC),
                "--reps", str(plan.inprocess_reps),
            ]  # fmt: skip
            best: dict[tuple[str, str], dict[str, Any]] = {}
            failed = None
            for attempt in range(1 + plan.retries):
                before = other_cpu_seconds(set())
                started = time.monotonic()
                try:
                    found = _run_json(command, contender_env(name))
                except RuntimeError as error:
                    failed = str(error)
                    break
                others = (other_cpu_seconds(set()) - before) / (time.monotonic() - started)
                # Keep each case's best batch over the attempts; retry while disturbed.
                for record in found:
                    key = (record["variant"], record["scenario"])
                    record["other_cpu_share"] = others
                    if key not in best or record["us_best"] < best[key]["us_best"]:
                        best[key] = record
                if others <= DISTURBED:
                    break
                if attempt < plan.retries:
                    log(f"  disturbed ({others:.0%} of a core used by others): again")
                    wait_quiet(set(), plan.max_wait)
            if failed is not None:
                log(f"  {failed}")
                records.append({"library": name, "interface": interface, "error": failed})
                continue
            for record in best.values():
                log(
                    f"  {record['variant']:<8} {record['scenario']:<13} "
                    f"{record['us_best']:9.2f} µs (median {record['us_median']:.2f})"
                )
            records.extend(best.values())
    return records


def run_startup(plan: Plan) -> list[dict[str, Any]]:
    root = build_many(plan.startup_files)
    records = []
    for name in [lib for lib in plan.libraries if lib in STARTUP_LIBRARIES]:
        record = measure_startup(
            name, root, reps=plan.startup_reps, retries=plan.retries, max_wait=plan.max_wait
        )
        if "error" not in record:
            record["files"] = plan.startup_files
        records.append(record)
    return records


def measure_startup(
    name: str, root: Path, *, reps: int, retries: int, max_wait: float
) -> dict[str, Any]:
    """Median of ``reps`` fresh processes constructing ``name``'s application over ``root``
    (``contender/startup.py``, pinned to the server core); ``floor`` is the bare walk.

    Also used by :mod:`benchmarks.scale` for every tree size.
    """
    library = LIBRARIES["ours" if name == "floor" else name]
    if name == "ours":
        # pip wrote bytecode for the installed contenders; our editable checkout has
        # none when PYTHONDONTWRITEBYTECODE is set, and compiling 30 modules from
        # source at each start would be counted as import time (~50 ms here).
        subprocess.run(
            [str(library.python), "-m", "compileall", "-q", str(REPO / "servestatic")],
            check=True,
        )
    samples: list[dict[str, Any]] = []
    disturbed: list[dict[str, Any]] = []
    command = [
        "taskset", "-c", SERVER_CORE,
        str(library.python), "-P", str(CONTENDER / "startup.py"),
        "--library", name, "--root", str(root),
    ]  # fmt: skip
    for _ in range(reps + retries):
        if len(samples) >= reps:
            break
        wait_quiet(set(), max_wait)
        before = other_cpu_seconds(set())
        started = time.monotonic()
        try:
            found = _run_json(command, contender_env(name, root=root))
        except RuntimeError as error:
            log(f"  {error}")
            break
        others = (other_cpu_seconds(set()) - before) / (time.monotonic() - started)
        for sample in found:
            sample["other_cpu_share"] = others
            # Per sample: the median of sums is not the sum of medians.
            sample["cold_s"] = sample["import_s"] + sample["construct_s"]
        (samples if others <= DISTURBED else disturbed).extend(found)
    samples += disturbed[: max(0, reps - len(samples))]
    if not samples:
        return {"library": name, "error": "start-up failed"}
    record = dict(samples[0])
    for key in (
        "import_s",
        "construct_s",
        "cold_s",
        "rss_before_mib",
        "rss_after_mib",
        "rss_delta_mib",
        "rss_peak_mib",
    ):
        record[key] = statistics.median(sample[key] for sample in samples)
    record["other_cpu_share"] = max(sample["other_cpu_share"] for sample in samples)
    record["reps"] = len(samples)
    log(
        f"start-up {name}: construct {record['construct_s']:.3f} s, "
        f"import {record['import_s']:.3f} s, "
        f"RSS {record['rss_after_mib']:.1f} MiB (+{record['rss_delta_mib']:.1f}), "
        f"{record['urls']} URLs"
    )
    return record


# ---------------------------------------------------------------------- main


def parse(argv: list[str] | None) -> tuple[Plan, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="short runs for development")
    parser.add_argument("--duration", type=float, help="seconds per timed run (5; quick 3)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up load (2; quick 1)")
    parser.add_argument(
        "--repeats", type=int, help="timed runs per measurement, median reported (3; quick 1)"
    )
    parser.add_argument("--servers", default=",".join([*PYTHON_SERVERS, "nginx"]))
    parser.add_argument("--libraries", default=",".join(LOAD_LIBRARIES))
    parser.add_argument("--scenarios", default=",".join(SCENARIO_ORDER))
    parser.add_argument(
        "--max-wait",
        type=float,
        help="before each timed run, wait up to this many seconds for other processes to "
        "go quiet (60; quick 0)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        help="extra runs allowed per measurement to replace disturbed ones (3; quick 0)",
    )
    parser.add_argument("--startup-files", type=int, default=MANY_FILES)
    parser.add_argument(
        "--skip", default="", help="comma list of: load, inprocess, startup, slow, scale, npm"
    )
    parser.add_argument(
        "--slow-servers",
        help="servers of the slow-reader part, benchmarks/slowreaders.py (all five; "
        "quick: uvicorn, granian-asgi)",
    )
    parser.add_argument(
        "--slow-readers", help="stalled readers per slow-reader measurement (100,1000; quick 100)"
    )
    parser.add_argument(
        "--output", type=Path, help="results directory (default: results/<timestamp>)"
    )
    parser.add_argument("--note", default="", help="a remark printed in the report (machine state)")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    plan = Plan(
        duration=args.duration or (3.0 if args.quick else 5.0),
        warmup=args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0),
        repeats=args.repeats or (1 if args.quick else 3),
        max_wait=args.max_wait if args.max_wait is not None else (0.0 if args.quick else 60.0),
        retries=args.retries if args.retries is not None else (0 if args.quick else 3),
        servers=[s for s in args.servers.split(",") if s],
        libraries=[s for s in args.libraries.split(",") if s],
        scenarios=[s for s in args.scenarios.split(",") if s],
        startup_files=args.startup_files,
        startup_reps=1 if args.quick else 3,
        inprocess_reps=3 if args.quick else 7,
        load="load" not in skip,
        inprocess="inprocess" not in skip,
        startup="startup" not in skip,
        slow="slow" not in skip,
        scale="scale" not in skip,
        npm="npm" not in skip,
        slow_plan=SlowPlan(
            servers=[
                s
                for s in (
                    args.slow_servers
                    or ("uvicorn,granian-asgi" if args.quick else ",".join(SLOW_SERVERS))
                ).split(",")
                if s
            ],
            libraries=list(SLOW_LIBRARIES),
            kinds=["whole", "range"],
            readers=[
                int(n)
                for n in (args.slow_readers or ("100" if args.quick else "100,1000")).split(",")
            ],
            fast_seconds=2.0 if args.quick else 3.0,
            fast_repeats=1 if args.quick else 2,
        ),
    )
    for server in plan.servers:
        if server not in SERVERS:
            parser.error(f"unknown server {server!r}; one of {', '.join(SERVERS)}")
    for library in plan.libraries:
        if library not in LIBRARIES:
            parser.error(f"unknown library {library!r}; one of {', '.join(LIBRARIES)}")
    for scenario in plan.scenarios:
        if scenario not in SCENARIOS:
            parser.error(f"unknown scenario {scenario!r}; one of {', '.join(SCENARIOS)}")
    return plan, args


def main(argv: list[str] | None = None) -> int:
    plan, args = parse(argv)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    output: Path = args.output or RESULTS / stamp
    output.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    log(f"preparing fixtures in {WORK}")
    fixtures = build_site()
    versions = identities([lib for lib in plan.libraries if lib in LIBRARIES])
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    data: dict[str, Any] = {
        "started": stamp,
        "command": command.strip(),
        "quick": args.quick,
        "note": args.note,
        "plan": plan.__dict__ | {"slow_plan": dataclasses.asdict(plan.slow_plan)},
        "machine": machine(),
        "versions": versions,
        "loadavg_start": loadavg(),
        "source": source_state(),
        "load": [],
        "inprocess": [],
        "startup": [],
        "slow": [],
        "npm": [],
    }
    if plan.startup:
        data["startup"] = run_startup(plan)
    if plan.inprocess:
        data["inprocess"] = run_inprocess(plan)
    if plan.load:
        data["load"] = run_load(plan, fixtures)
    if plan.slow:
        log("slow readers")
        data["slow"] = run_slow(plan.slow_plan)
    if plan.scale:
        data["scale"] = run_scale_part(args, output)
    if plan.npm:
        log("the build on real npm packages")
        data["npm"] = run_npm(args.quick)
    data["loadavg_end"] = loadavg()
    data["source_end"] = source_state()
    data["finished"] = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (output / "results.json").write_text(json.dumps(data, separators=(",", ":")))
    from benchmarks.report import write_report

    write_report(data, output)
    log(f"wrote {output / 'results.md'}")
    failures = [
        r for r in data["load"] + data["inprocess"] + data["startup"] + data["slow"] if "error" in r
    ] + [
        builder
        for record in data["npm"]
        for builder in record["builders"].values()
        if "error" in builder
    ]
    if failures:
        log(f"{len(failures)} measurement(s) failed; see results.md")
    return 1 if failures or data.get("scale", {}).get("failed") else 0


def run_scale_part(args: argparse.Namespace, output: Path) -> dict[str, Any]:
    """The scale benchmark (:mod:`benchmarks.scale`) with this run's settings, written
    beside this run's results (``<output>-scale``)."""
    from benchmarks.scale import parse as parse_scale
    from benchmarks.scale import run_scale

    argv = ["--quick"] if args.quick else []
    if args.max_wait is not None:
        argv += ["--max-wait", str(args.max_wait)]
    if args.retries is not None:
        argv += ["--retries", str(args.retries)]
    scale_plan, _ = parse_scale(argv)
    target = output.with_name(output.name + "-scale")
    log(f"scale with the number of files → {target}")
    command = " ".join(["python -m benchmarks.scale", *argv])
    failed = run_scale(scale_plan, target, quick=args.quick, note=args.note, command=command)
    return {"results": str(target), "failed": failed}


if __name__ == "__main__":
    raise SystemExit(main())
