"""The build on real npm packages (issue 19 item 5): ``servestatic SRC DEST`` against
ServeStatic 4.4's own CLI.

``PYTHONPATH=. benchmarks/.venvs/bench/bin/python -m benchmarks.npmbuild [--quick]``
(``benchmarks/setup.sh`` first: it fetches the pinned packages of :mod:`benchmarks.npm`).

Per package, three builders, each a fresh process pinned to the same cores, run in turns
(ours, ours on ServeStatic's encodings, ServeStatic, then again), so a slow minute of this
shared machine lands on one repeat of each rather than on one builder:

* ``ours``: ``servestatic SRC DEST --all`` (zstd, Brotli and gzip);
* ``ours-same``: the same, restricted to the encodings ServeStatic writes (``--no-zstd`` on
  Python < 3.14, where ServeStatic 4.4 has no zstd): the fair comparison;
* ``servestatic44``: ServeStatic 4.4's ``servestatic SRC DEST --all``.

Measured: wall time of a cold build (DEST removed first; median of 3, quick 1), wall time
of a rebuild after one CSS/JS file of SRC changed (each builder rebuilds its own cold DEST
from its own copy of SRC; median of 3, quick 1), peak RSS (the builder's own ``ru_maxrss``:
each runs under the small launcher of :mod:`benchmarks.peakrss`, since a child of this
driver would inherit the driver's high-water mark; both builders are one process with
threads, so one process's peak is the builder's), CPU time, and what DEST holds: files
and bytes per encoding.
Then :mod:`benchmarks.npmcheck` (in the main ``.venv``) checks that every reference in each
built CSS/JS file resolves, for our output and for ServeStatic's.

Results: ``benchmarks/results/<UTC stamp>-npm/`` (``results.md``, ``results.json``) when run
alone; ``python -m benchmarks`` runs it as its ``npm`` part (``--skip npm`` leaves it out).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import peakrss
from benchmarks.contenders import LIBRARIES, REPO
from benchmarks.npm import BY_NAME, PACKAGES, Package, fetch
from benchmarks.targets import NPM_COLD_MAX, NPM_REBUILD_MAX

RESULTS = Path(__file__).resolve().parent / "results"
WORK = Path(__file__).resolve().parent / ".work" / "npmbuild"
OURS = LIBRARIES["ours"].venv / "bin" / "servestatic"
THEIRS = LIBRARIES["servestatic44"].venv / "bin" / "servestatic"
BUILDERS = ("ours", "ours-same", "servestatic44")
LABELS = {
    "ours": "servestatic --all",
    "ours-same": "servestatic, ServeStatic's encodings",
    "servestatic44": "ServeStatic 4.4 --all",
}
#: File suffix → encoding, for "bytes written per encoding".
_SUFFIXES = {".gz": "gzip", ".br": "br", ".zst": "zstd", ".zstd": "zstd"}
#: What the builds write for themselves, counted apart from the served files.
_OWN = frozenset(
    {
        "staticfiles.json",
        ".servestatic-cache.json",
        ".servestatic-history.json",
        ".servestatic-build.json",
    }
)


def log(message: str) -> None:
    print(f"[npm {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    max_rss_kib: int
    status: int
    stderr: str


def _environment() -> dict[str, str]:
    # No configuration leaks in: our CLI reads SERVESTATIC_* variables and ./servestatic.toml.
    return {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("SERVESTATIC_", "PYTHON", "VIRTUAL_ENV"))
    } | {"PYTHONDONTWRITEBYTECODE": "1"}


def execute(command: list[str], cores: str) -> Run:
    """Run ``command`` pinned to ``cores``: wall time, CPU time and its own peak RSS
    (:mod:`benchmarks.peakrss`: a small launcher forks it, so the driver's size does not
    leak into ``ru_maxrss``)."""
    WORK.mkdir(parents=True, exist_ok=True)
    stderr_path = WORK / "stderr.txt"
    with open(stderr_path, "wb") as stderr:
        # The working directory holds no servestatic.toml or pyproject.toml, and no
        # servestatic/ folder that would shadow ServeStatic 4.4's package.
        usage = peakrss.run(command, cores=cores, cwd=WORK, env=_environment(), stderr=stderr)
    return Run(
        wall=usage.wall,
        cpu=usage.cpu,
        max_rss_kib=usage.max_rss_kib,
        status=usage.status,
        stderr=stderr_path.read_text(errors="replace")[-2000:],
    )


def theirs_has_zstd() -> bool:
    """ServeStatic 4.4 writes ``.zstd`` only where ``compression.zstd`` exists (3.14+)."""
    WORK.mkdir(parents=True, exist_ok=True)
    probe = subprocess.run(
        [str(LIBRARIES["servestatic44"].python), "-c", "import compression.zstd"],
        cwd=WORK,
        env=_environment(),
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def command(builder: str, src: Path, dest: Path, theirs_zstd: bool) -> list[str]:
    if builder == "servestatic44":
        return [str(THEIRS), str(src), str(dest), "--all", "-q"]
    flags = ["--all", "-q"]
    if builder == "ours-same" and not theirs_zstd:
        flags.append("--no-zstd")
    return [str(OURS), str(src), str(dest), *flags]


def contents(dest: Path) -> dict[str, Any]:
    """Files and bytes in DEST per encoding (``identity`` for the files themselves)."""
    files: dict[str, int] = {}
    size: dict[str, int] = {}
    for directory, _, names in os.walk(dest):
        for name in names:
            if name in _OWN:
                kind = "build's own"
            else:
                kind = _SUFFIXES.get(os.path.splitext(name)[1], "identity")
            files[kind] = files.get(kind, 0) + 1
            size[kind] = size.get(kind, 0) + os.path.getsize(os.path.join(directory, name))
    return {"files": files, "bytes": size, "total_files": sum(files.values())}


def references(src: Path, dest: Path) -> dict[str, Any]:
    """:mod:`benchmarks.npmcheck` over DEST, in our environment (it serves DEST too)."""
    probe = subprocess.run(
        [str(LIBRARIES["ours"].python), "-m", "benchmarks.npmcheck", str(src), str(dest)],
        cwd=REPO,
        env=_environment() | {"PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if probe.returncode != 0:
        return {"error": probe.stderr[-2000:]}
    result: dict[str, Any] = json.loads(probe.stdout)
    return result


def _edit(path: Path, round_number: int) -> None:
    """Change one file the way an edit does: new bytes, new mtime."""
    marker = f"\n/* benchmark edit {round_number} */\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(marker)


def _record(run: Run) -> dict[str, Any]:
    return {"wall": run.wall, "cpu": run.cpu, "max_rss_kib": run.max_rss_kib}


def _failed(builder: str, run: Run) -> dict[str, Any]:
    return {"builder": builder, "error": f"exit {run.status}: {run.stderr.strip()[-500:]}"}


def measure(package: Package, repeats: int, cores: str, theirs_zstd: bool) -> dict[str, Any]:
    """Cold builds, rebuilds after one change, DEST contents and the reference check."""
    stamp = fetch(package)
    src = package.root
    base = WORK / package.folder
    record: dict[str, Any] = {
        "package": package.name,
        "version": package.version,
        "integrity": package.integrity,
        "source_files": stamp["files"],
        "source_bytes": stamp["bytes"],
        "changed": package.changed,
        "checks": package.checks,
        "builders": {},
    }
    builders: dict[str, dict[str, Any]] = {name: {"cold": [], "rebuild": []} for name in BUILDERS}
    log(f"{package.name}@{package.version}: cold builds ×{repeats}")
    for _ in range(repeats):
        for name in BUILDERS:
            if "error" in builders[name]:
                continue
            dest = base / f"{name}-cold"
            shutil.rmtree(dest, ignore_errors=True)
            run = execute(command(name, src, dest, theirs_zstd), cores)
            if run.status != 0:
                builders[name] = _failed(name, run)
                continue
            builders[name]["cold"].append(_record(run))
    for name in BUILDERS:
        if "error" in builders[name]:
            continue
        dest = base / f"{name}-cold"
        builders[name]["written"] = contents(dest)
        builders[name]["references"] = references(src, dest)

    log(f"{package.name}: rebuilds after changing {package.changed} ×{repeats}")
    # Each builder's rebuild starts from its last cold DEST, with SRC now a private copy
    # (copy2: the same bytes and mtimes, so DEST is exactly what a build of it leaves).
    copies = {}
    for name in BUILDERS:
        if "error" in builders[name]:
            continue
        copy = base / f"{name}-src"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(src, copy)
        copies[name] = (copy, base / f"{name}-cold")
    for round_number in range(repeats):
        for name, (copy, dest) in copies.items():
            if "error" in builders[name]:
                continue
            _edit(copy / package.changed, round_number)
            run = execute(command(name, copy, dest, theirs_zstd), cores)
            if run.status != 0:
                builders[name] = _failed(name, run)
                continue
            builders[name]["rebuild"].append(_record(run))
    for name, entry in builders.items():
        if "error" not in entry:
            for phase in ("cold", "rebuild"):
                entry[f"{phase}_wall"] = statistics.median(r["wall"] for r in entry[phase])
                entry[f"{phase}_max_rss_kib"] = max(r["max_rss_kib"] for r in entry[phase])
        record["builders"][name] = entry
    record["ratios"] = ratios(record)
    return record


def ratios(record: dict[str, Any]) -> dict[str, Any]:
    """Ours ÷ ServeStatic's for cold and rebuild (wall time; lower is better)."""
    builders = record["builders"]
    theirs = builders.get("servestatic44", {})
    result: dict[str, Any] = {}
    if "error" in theirs:
        return result
    for name in ("ours-same", "ours"):
        ours = builders.get(name, {})
        if "error" in ours:
            continue
        result[name] = {
            phase: ours[f"{phase}_wall"] / theirs[f"{phase}_wall"] for phase in ("cold", "rebuild")
        }
    return result


def run_npm(
    quick: bool, packages: list[str] | None = None, cores: str | None = None
) -> list[dict[str, Any]]:
    """Every package's record (the ``npm`` part of ``python -m benchmarks``)."""
    cores = cores or ",".join(str(core) for core in sorted(os.sched_getaffinity(0)))
    theirs_zstd = theirs_has_zstd()
    repeats = 1 if quick else 3
    chosen = [BY_NAME[name] for name in packages] if packages else list(PACKAGES)
    records = []
    for package in chosen:
        record = measure(package, repeats, cores, theirs_zstd)
        record["cores"] = cores
        record["repeats"] = repeats
        record["servestatic44_zstd"] = theirs_zstd
        records.append(record)
    return records


# ---------------------------------------------------------------------- report


def _mark(value: float, limit: float) -> str:
    return f"{value:.2f}× {'✅' if value <= limit else '❌'} (≤{limit:g}×)"


def _mb(size: int) -> str:
    return f"{size / 1e6:.2f}"


def table(records: list[dict[str, Any]]) -> list[str]:
    """Markdown: the timing table with targets, then what DEST holds, then the checks."""
    if not records:
        return []
    lines = [
        "| package | builder | cold (s) | rebuild, one file changed (s) | peak RSS (MiB) | "
        "CPU cold (s) | cold ÷ ServeStatic | rebuild ÷ ServeStatic |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for record in records:
        package = f"{record['package']} {record['version']}"
        for name in BUILDERS:
            entry = record["builders"][name]
            if "error" in entry:
                lines.append(f"| {package} | {LABELS[name]} | failed: {entry['error']} |||||")
                continue
            ratio = record["ratios"].get(name)
            cold = rebuild = "–"
            if ratio is not None and name == "ours-same":
                cold = _mark(ratio["cold"], NPM_COLD_MAX)
                rebuild = _mark(ratio["rebuild"], NPM_REBUILD_MAX)
            elif ratio is not None:
                cold, rebuild = f"{ratio['cold']:.2f}×", f"{ratio['rebuild']:.2f}×"
            cpu = statistics.median(r["cpu"] for r in entry["cold"])
            rss = max(entry["cold_max_rss_kib"], entry["rebuild_max_rss_kib"]) / 1024
            lines.append(
                f"| {package} | {LABELS[name]} | {entry['cold_wall']:.2f} | "
                f"{entry['rebuild_wall']:.2f} | {rss:.0f} | {cpu:.2f} | {cold} | {rebuild} |"
            )
    lines += [
        "",
        "What the cold build left in DEST: files / MB per encoding (`identity`: the served "
        "files themselves; the manifest and our cache counted apart).",
        "",
        "| package | builder | files | identity | br | gzip | zstd | manifest, cache |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for record in records:
        for name in BUILDERS:
            entry = record["builders"][name]
            if "error" in entry:
                continue
            written = entry["written"]
            cells = [
                f"{written['files'].get(kind, 0)} / {_mb(written['bytes'].get(kind, 0))}"
                for kind in ("identity", "br", "gzip", "zstd", "build's own")
            ]
            lines.append(
                f"| {record['package']} | {LABELS[name]} | {written['total_files']} | "
                + " | ".join(cells)
                + " |"
            )
    lines += [
        "",
        "Every reference resolves (`benchmarks/npmcheck.py`: the references the build "
        "rewrites, in every CSS/JS file of the manifest, resolved from the served name, "
        "each target a file in DEST that servestatic serves with its bytes):",
        "",
        "| package | what is checked | builder | CSS/JS files | references | resolved and "
        "served | broken | already missing in the package |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for record in records:
        for name in BUILDERS:
            entry = record["builders"][name]
            check = entry.get("references")
            if check is None:
                continue
            if "error" in check:
                lines.append(f"| {record['package']} | | {LABELS[name]} | check failed |||||")
                continue
            verdict = ""
            if name != "servestatic44":
                verdict = " ✅" if check["broken"] == 0 else " ❌"
            examples = "; ".join(check["broken_examples"][:2])
            broken = f"{check['broken']}{verdict}" + (f" (e.g. {examples})" if examples else "")
            lines.append(
                f"| {record['package']} | {record['checks']} | {LABELS[name]} | "
                f"{check['documents']} | {check['references']} | {check['served']} | {broken} | "
                f"{check['missing_in_source']} |"
            )
    return lines


def npm_checks(records: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(met, missed): the targets of issue 19 item 5, one line each, for the summaries."""
    met: list[str] = []
    missed: list[str] = []
    for record in records:
        package = record["package"]
        ratio = record["ratios"].get("ours-same")
        if ratio is not None:
            for phase, limit in (("cold", NPM_COLD_MAX), ("rebuild", NPM_REBUILD_MAX)):
                what = "cold build" if phase == "cold" else "rebuild"
                line = f"npm {package} {what} {ratio[phase]:.2f}× (≤{limit:g}×)"
                (met if ratio[phase] <= limit else missed).append(line)
        for name in ("ours", "ours-same"):
            check = record["builders"][name].get("references")
            if check is None or "error" in check:
                continue
            line = f"npm {package} {LABELS[name]}: {check['broken']} broken reference(s)"
            (met if check["broken"] == 0 else missed).append(line)
    return met, missed


def write(records: list[dict[str, Any]], output: Path, command_line: str, quick: bool) -> None:
    output.mkdir(parents=True, exist_ok=True)
    data = {"command": command_line, "quick": quick, "npm": records}
    (output / "results.json").write_text(json.dumps(data, indent=1))
    header = [
        "# The build on real npm packages",
        "",
        f"Command: `{command_line}`. Cores: {records[0]['cores'] if records else '-'}; "
        f"median of {records[0]['repeats'] if records else '-'} per time. ServeStatic 4.4 "
        f"writes zstd: {records[0]['servestatic44_zstd'] if records else '-'}. Targets "
        f"(benchmarks/targets.py) on *servestatic, ServeStatic's encodings*: cold ≤ "
        f"{NPM_COLD_MAX:g}× ServeStatic, rebuild ≤ {NPM_REBUILD_MAX:g}×, no broken reference.",
        "",
    ]
    met, missed = npm_checks(records)
    summary = [f"{len(met)} of {len(met) + len(missed)} targets met."]
    if missed:
        summary.append("Missed: " + "; ".join(missed) + ".")
    lines = [*header, " ".join(summary), "", *table(records)]
    (output / "results.md").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.npmbuild", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="one repeat instead of three")
    parser.add_argument(
        "--packages", help=f"comma list (default all: {', '.join(BY_NAME)})", default=""
    )
    parser.add_argument("--cores", help="core list (0,1) every build is pinned to (default: all)")
    parser.add_argument("--output", type=Path, help="default results/<UTC stamp>-npm")
    args = parser.parse_args(argv)
    packages = [name for name in args.packages.split(",") if name]
    for name in packages:
        if name not in BY_NAME:
            parser.error(f"unknown package {name!r}; one of {', '.join(BY_NAME)}")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    output = args.output or RESULTS / f"{stamp}-npm"
    records = run_npm(args.quick, packages or None, args.cores)
    command_line = "python -m benchmarks.npmbuild " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    write(records, output, command_line.strip(), args.quick)
    print("\n".join(table(records)))
    log(f"wrote {output / 'results.md'}")
    failed = [
        name
        for record in records
        for name, entry in record["builders"].items()
        if "error" in entry or "error" in entry.get("references", {})
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
