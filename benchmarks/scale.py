"""Cost as the number of files grows (issue 19 items 2 and 3): start-up, memory, throughput,
and retained builds.

    PYTHONPATH=. benchmarks/.venvs/bench/bin/python -m benchmarks.scale [--quick]
        [--sizes 1000,10000,100000] [--parts startup,load,retain]
    benchmarks/run.sh --skip load,inprocess,startup,slow     # the same, inside the suite

For every tree size (:mod:`benchmarks.scale_tree`: a front-end build's mix with
precompressed siblings):

1. **startup**: fresh processes pinned to the server core (``contender/startup.py``, median
   of ``--reps``) for the floor (a bare ``os.scandir`` walk, one ``stat`` per entry),
   servestatic and ServeStatic 4.4: import and construction time, cold start (their sum),
   RSS before and after construction, peak, index memory per file (RSS added / files);
2. **load**: servestatic and ServeStatic 4.4 under granian's WSGI server (one worker,
   pinned), one server per library and size, all up at once, each verified on a few URLs,
   then wrk cycling through the same 1,000-file sample of the tree (one file per profile:
   the same kinds and sizes at every size) with ``Accept-Encoding: br, gzip``; timed runs
   taken in turns over every server; req/s, and the ratio of the largest tree's rate to
   the smallest's;
3. **retain**: the real CLI (``servestatic SRC DEST --all --no-brotli --no-zstd --retain
   5``: gzip only, so six builds of 10,000 files take a minute, not an hour) over six
   builds of :func:`benchmarks.retain.write_tree`'s tree with 10% of the files changed
   each time; after each build the floor's and servestatic's start-up over DEST against
   the number of distinct files it holds; then the in-process request cost
   (``python -m benchmarks.retain --per-request``, the best of 3 fresh pinned processes
   taken in turns) over the current build's URLs of a DEST with 5 retained builds and of
   one with none. 1,000 and 10,000 files (quick: 1,000); 100,000 is left out by default
   (``--retain-sizes``): six builds of it take about half an hour here.

``--quick``: one sample each, no waiting for a quiet machine, our throughput only.

Writes ``results/<UTC stamp>-scale/``: ``results.json``, ``results.md`` (targets of
:mod:`benchmarks.targets` marked) and ``startup.png``, ``rss.png``, ``rps.png``,
``retain.png`` (files on a log axis). ``python -m benchmarks.scale_report DIR`` redraws.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.contenders import LIBRARIES, REPO, SERVER_CORE
from benchmarks.fixtures import WORK
from benchmarks.load import LoadError, LoadResult, run_wrk
from benchmarks.retain import write_tree
from benchmarks.run import (
    DISTURBED,
    RESULTS,
    identities,
    loadavg,
    log,
    machine,
    measure_startup,
    source_state,
    wait_quiet,
)
from benchmarks.scale_tree import PROFILES, build_tree, expected, sample
from benchmarks.servers import ServerError, other_cpu_seconds, serve

SIZES = (1_000, 10_000, 100_000)
STARTUP_NAMES = ("floor", "ours", "servestatic44")
LOAD_NAMES = ("ours", "servestatic44")
#: granian's WSGI server: the suite drives it, and there the two libraries are close (under
#: uvicorn ServeStatic 4.4 hands every file to a thread), so a drop with size shows.
SERVER = "granian-wsgi"
PARTS = ("startup", "load", "retain")
ACCEPT = {"Accept-Encoding": "br, gzip"}
RETAIN_BUILDS = 6  # the current build and 5 retained
RETAIN_FLAGS = ("--all", "--no-brotli", "--no-zstd", "-e", "*.html", "-q")
VERIFIED_URLS = 20
PER_REQUEST_PROCESSES = 3
VARIANT_SUFFIXES = (".gz", ".br", ".zst")

#: wrk: cycle through the URL paths listed in the file given after ``--``. Requests are
#: formatted once in ``init()``, so each ``request()`` only returns a string: the same
#: small cost per request at every size (the same script for every size).
CYCLE_LUA = """\
local requests = {}
local count = 0
local position = 0
init = function(args)
  for line in io.lines(args[1]) do
    count = count + 1
    requests[count] = wrk.format(nil, line)
  end
end
request = function()
  position = position % count + 1
  return requests[position]
end
"""


@dataclass
class ScalePlan:
    sizes: list[int]
    parts: list[str]
    reps: int
    retries: int
    max_wait: float
    duration: float
    warmup: float
    repeats: int
    retain_sizes: list[int]
    requests: int
    load_libraries: list[str]


# ---------------------------------------------------------------------- start-up


def run_startup(plan: ScalePlan) -> list[dict[str, Any]]:
    records = []
    for size in plan.sizes:
        log(f"tree of {size:,} files")
        tree = build_tree(size)
        for name in STARTUP_NAMES:
            record = measure_startup(
                name, tree.root, reps=plan.reps, retries=plan.retries, max_wait=plan.max_wait
            )
            record |= {"files": size, "entries": tree.entries}
            if "error" not in record:
                record["kib_per_file"] = record["rss_delta_mib"] * 1024 / size
            records.append(record)
    return records


# ---------------------------------------------------------------------- throughput


def url_list(size: int) -> tuple[Path, list[int]]:
    """The sample's URL paths, one a line, for the Lua script; the file indices."""
    indices = sample(size)
    path = WORK / f"scale-urls-{size}.txt"
    path.write_text("".join(f"/static/{expected(index)[0]}\n" for index in indices))
    return path, indices


def verify_sample(port: int, indices: list[int]) -> None:
    """Status, length and coding of a few sampled URLs, as the timed requests will ask."""
    step = max(1, len(indices) // VERIFIED_URLS)
    for index in indices[::step]:
        path, length, coding = expected(index)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", f"/static/{path}", headers=ACCEPT)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        found = (response.status, len(body), response.getheader("Content-Encoding"))
        if found != (200, length, coding):
            raise LoadError(f"/static/{path}: got {found}, expected {(200, length, coding)}")


def _timed(running: Any, urls: Path, plan: ScalePlan) -> dict[str, Any]:
    pids = running.pids()
    waited = wait_quiet(pids, plan.max_wait)
    other_before = other_cpu_seconds(pids)
    cpu_before = running.cpu_seconds()
    result = _wrk(running, urls, plan.duration)
    cpu = running.cpu_seconds() - cpu_before
    other = other_cpu_seconds(pids) - other_before
    seconds = result.seconds or 1.0
    return result.as_dict() | {
        "server_cpu_share": cpu / seconds,
        "other_cpu_share": other / seconds,
        "waited_s": waited,
    }


def _wrk(running: Any, urls: Path, seconds: float) -> LoadResult:
    return run_wrk(running.base + "/", ACCEPT, seconds, lua=CYCLE_LUA, script_args=(str(urls),))


@dataclass
class _Contender:
    identity: dict[str, Any]
    running: Any
    urls: Path
    runs: list[dict[str, Any]]
    attempts: int = 0
    failed: bool = False


def run_load(plan: ScalePlan) -> list[dict[str, Any]]:
    """Every (library, size) server up at once (idle ones cost nothing on the pinned core),
    then the timed runs in turns, as run.py does: a slow minute of the shared machine
    lands on every size alike, and the ratio between sizes compares like with like."""
    records: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        contenders: list[_Contender] = []
        for size in plan.sizes:
            tree = build_tree(size)
            urls, indices = url_list(size)
            for name in plan.load_libraries:
                identity = {"library": name, "server": SERVER, "files": size}
                log(f"starting {name} under {SERVER} over {size:,} files")
                try:
                    # ServeStatic 4.4 needs minutes to index 100,000 files on a busy machine.
                    running = stack.enter_context(serve(name, SERVER, root=tree.root, timeout=600))
                    verify_sample(running.port, indices)
                    if plan.warmup > 0:
                        _wrk(running, urls, plan.warmup)
                except (ServerError, LoadError, OSError) as error:
                    log(f"  {name} at {size:,} files: {error}")
                    records.append(identity | {"error": str(error)[:2000]})
                    continue
                contenders.append(_Contender(identity, running, urls, []))
        while any(not c.failed and len(c.runs) < plan.repeats for c in contenders):
            for contender in contenders:
                if contender.failed or len(contender.runs) >= plan.repeats:
                    continue
                try:
                    run = _timed(contender.running, contender.urls, plan)
                except LoadError as error:
                    log(f"  {contender.running.library}: {error}")
                    records.append(contender.identity | {"error": str(error)[:2000]})
                    contender.failed = True
                    continue
                contender.attempts += 1
                share = run["other_cpu_share"]
                if share > DISTURBED and contender.attempts < plan.repeats + plan.retries:
                    log(f"    {contender.identity}: disturbed run ({share:.0%} of a core): again")
                    continue
                contender.runs.append(run)
        records += [_load_record(c.identity, c.running, c.runs) for c in contenders if not c.failed]
    return records


def _load_record(
    identity: dict[str, Any], running: Any, runs: list[dict[str, Any]]
) -> dict[str, Any]:
    record = dict(identity)
    if running.process.poll() is not None:
        return record | {"error": f"server died: {running.output()}"}
    if not runs:
        return record | {"error": "no timed run"}
    middle = sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]
    record |= middle
    record["values"] = [run["rps"] for run in runs]
    record["other_cpu_share"] = max(run["other_cpu_share"] for run in runs)
    errors = {key: sum(run["errors"][key] for run in runs) for key in middle["errors"]}
    if sum(errors.values()):
        record["error"] = f"wrk errors {errors}"
    spread = ", ".join(f"{value:,.0f}" for value in record["values"])
    log(
        f"  {record['library']:<13} {record['files']:>7,} files {record['rps']:>9,.0f} req/s "
        f"[{spread}] server CPU {record['server_cpu_share']:.0%}, "
        f"others {record['other_cpu_share']:.0%}"
    )
    return record


# ---------------------------------------------------------------------- retained builds


def _cli_build(src: Path, dest: Path, *flags: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(LIBRARIES["ours"].venv / "bin" / "servestatic"), str(src), str(dest), *flags],
        check=True,
        cwd=WORK,
    )
    return time.perf_counter() - started


def distinct_files(dest: Path) -> int:
    """Files a request can name: everything but variants and the build's dotfiles."""
    return sum(
        1
        for path in dest.rglob("*")
        if path.is_file()
        and not path.name.startswith(".")
        and not path.name.endswith(VARIANT_SUFFIXES)
    )


def per_request(dest: Path, requests: int) -> float:
    """µs per in-process request over DEST's current build, in a fresh pinned process."""
    command = [
        "taskset", "-c", SERVER_CORE,
        str(LIBRARIES["ours"].python), "-m", "benchmarks.retain",
        "--per-request", str(dest), "--requests", str(requests),
    ]  # fmt: skip
    finished = subprocess.run(
        command,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
    )
    value: float = json.loads(finished.stdout.splitlines()[-1])["us_per_request"]
    return value


def _retained(plan: ScalePlan, files: int) -> dict[str, Any]:
    base = WORK / f"scale-retain-{files}"
    shutil.rmtree(base, ignore_errors=True)
    src, dest, alone = base / "src", base / "dest", base / "dest-alone"
    steps = []
    for build in range(1, RETAIN_BUILDS + 1):
        write_tree(src, files, build, changed=0.1 if build > 1 else 0.0)
        seconds = _cli_build(src, dest, *RETAIN_FLAGS, "--retain", str(RETAIN_BUILDS - 1))
        step: dict[str, Any] = {
            "build": build,
            "retained": build - 1,
            "distinct": distinct_files(dest),
            "build_s": seconds,
        }
        for name in ("floor", "ours"):
            step[name] = measure_startup(
                name, dest, reps=plan.reps, retries=plan.retries, max_wait=plan.max_wait
            )
        log(
            f"  build {build}: {step['distinct']:,} distinct files, built in {seconds:.1f} s, "
            f"start-up {step['ours'].get('construct_s', float('nan')):.3f} s"
        )
        steps.append(step)
    # The same last build alone: the same current URLs, no retained files.
    _cli_build(src, alone, *RETAIN_FLAGS)
    # Processes in turns, the best of each kind: a CPU-bound loop is only ever slowed down
    # by others (a quick run on a busy machine saw 6.5 µs against 12.2 µs in single runs).
    costs: dict[str, list[float]] = {"none": [], "retained": []}
    for _ in range(max(PER_REQUEST_PROCESSES, plan.reps)):
        wait_quiet(set(), plan.max_wait)
        costs["none"].append(per_request(alone, plan.requests))
        costs["retained"].append(per_request(dest, plan.requests))
    none, retained = (min(costs[key]) for key in ("none", "retained"))
    log(f"  per request: {none:.2f} µs with no retained build, {retained:.2f} µs with 5")
    return {
        "files": files,
        "steps": steps,
        "us_none": none,
        "us_retained": retained,
        "us_samples": costs,
        "distinct_alone": distinct_files(alone),
    }


def run_retain(plan: ScalePlan) -> list[dict[str, Any]]:
    records = []
    for files in plan.retain_sizes:
        log(f"retained builds over {files:,} files")
        try:
            records.append(_retained(plan, files))
        except (subprocess.CalledProcessError, RuntimeError, ValueError) as error:
            log(f"  {error}")
            records.append({"files": files, "error": str(error)[:2000]})
    return records


# ---------------------------------------------------------------------- main


def parse(argv: list[str] | None) -> tuple[ScalePlan, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scale", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="one run each, no waiting")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="tree sizes")
    parser.add_argument("--parts", default=",".join(PARTS), help="of: " + ", ".join(PARTS))
    parser.add_argument("--reps", type=int, help="start-up processes per number (3; quick 1)")
    parser.add_argument("--retries", type=int, help="extra runs for disturbed ones (2; quick 0)")
    parser.add_argument("--max-wait", type=float, help="wait for a quiet machine (30 s; quick 0)")
    parser.add_argument("--duration", type=float, help="seconds per timed wrk run (5; quick 3)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up load (2; quick 1)")
    parser.add_argument("--repeats", type=int, help="timed wrk runs, median (3; quick 1)")
    parser.add_argument(
        "--retain-sizes", help="tree sizes of the retained-build part (1000,10000; quick 1000)"
    )
    parser.add_argument(
        "--load-libraries",
        help="libraries of the throughput part (ours,servestatic44; quick: ours, since "
        "ServeStatic 4.4 takes minutes to index 100,000 files on a busy machine)",
    )
    parser.add_argument("--requests", type=int, default=20_000, help="per in-process round")
    parser.add_argument("--output", type=Path, help="default: results/<UTC stamp>-scale")
    parser.add_argument("--note", default="", help="a remark printed in the report")
    args = parser.parse_args(argv)
    quick = args.quick

    def sizes(text: str) -> list[int]:
        try:
            found = [int(size) for size in text.split(",") if size]
        except ValueError:
            parser.error(f"sizes are comma-separated integers, got {text!r}")
        if not found or min(found) < PROFILES:
            parser.error(f"every size must be at least {PROFILES:,} (the sample), got {text!r}")
        return sorted(set(found))

    parts = [part for part in args.parts.split(",") if part]
    for part in parts:
        if part not in PARTS:
            parser.error(f"unknown part {part!r}; of {', '.join(PARTS)}")
    plan = ScalePlan(
        sizes=sizes(args.sizes),
        parts=parts,
        reps=args.reps or (1 if quick else 3),
        retries=args.retries if args.retries is not None else (0 if quick else 2),
        max_wait=args.max_wait if args.max_wait is not None else (0.0 if quick else 30.0),
        duration=args.duration or (3.0 if quick else 5.0),
        warmup=args.warmup if args.warmup is not None else (1.0 if quick else 2.0),
        repeats=args.repeats or (1 if quick else 3),
        retain_sizes=sizes(args.retain_sizes or ("1000" if quick else "1000,10000")),
        requests=args.requests,
        load_libraries=[
            name
            for name in (args.load_libraries or ("ours" if quick else ",".join(LOAD_NAMES))).split(
                ","
            )
            if name
        ],
    )
    for name in plan.load_libraries:
        if name not in LOAD_NAMES:
            parser.error(f"unknown library {name!r}; of {', '.join(LOAD_NAMES)}")
    return plan, args


def run_scale(plan: ScalePlan, output: Path, *, quick: bool, note: str, command: str) -> int:
    """Measure, write ``output``; the number of failed measurements."""
    output.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
        "command": command,
        "quick": quick,
        "note": note,
        "plan": asdict(plan),
        "server": SERVER,
        "machine": machine(),
        "versions": identities(list(LOAD_NAMES)),
        "loadavg_start": loadavg(),
        "source": source_state(),
        "startup": run_startup(plan) if "startup" in plan.parts else [],
        "load": run_load(plan) if "load" in plan.parts else [],
        "retain": run_retain(plan) if "retain" in plan.parts else [],
    }
    data["loadavg_end"] = loadavg()
    data["source_end"] = source_state()
    data["finished"] = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (output / "results.json").write_text(json.dumps(data, separators=(",", ":")))
    from benchmarks.scale_report import write_report

    write_report(data, output)
    log(f"wrote {output / 'results.md'}")
    failed = [r for r in data["startup"] + data["load"] + data["retain"] if "error" in r]
    if failed:
        log(f"{len(failed)} scale measurement(s) failed; see results.md")
    return len(failed)


def main(argv: list[str] | None = None) -> int:
    plan, args = parse(argv)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    output: Path = args.output or RESULTS / f"{stamp}-scale"
    arguments = argv if argv is not None else sys.argv[1:]
    command = " ".join(["python -m benchmarks.scale", *arguments])
    failed = run_scale(plan, output, quick=args.quick, note=args.note, command=command)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
