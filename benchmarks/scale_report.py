"""``results.md`` and the PNG curves of one scale run (:mod:`benchmarks.scale`).

    benchmarks/.venvs/bench/bin/python -m benchmarks.scale_report benchmarks/results/<stamp>-scale

Charts need matplotlib (bench venv only); without it the Markdown is still written.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.targets import (
    RETAIN_MARGINAL_MAX,
    RETAIN_REQUEST_MAX,
    SCALE_COLD_MAX,
    SCALE_MEMORY_PER_FILE_MAX,
    SCALE_STARTUP_FLOOR_MAX,
    SCALE_THROUGHPUT_MIN,
)

LABELS = {
    "floor": "floor (scandir + stat)",
    "ours": "servestatic",
    "servestatic44": "ServeStatic 4.4",
}
COLORS = {"floor": "#9e9e9e", "ours": "#1f77b4", "servestatic44": "#ff7f0e"}


@dataclass(frozen=True)
class Check:
    label: str
    ratio: float
    limit: float
    at_most: bool  # the ratio must stay at or below the limit (else at or above)

    @property
    def met(self) -> bool:
        return self.ratio <= self.limit if self.at_most else self.ratio >= self.limit

    def text(self) -> str:
        sign = "≤" if self.at_most else "≥"
        mark = "✅" if self.met else "❌"
        # A third digit where two would show a miss as the limit itself (0.9496 as 0.95).
        digits = 3 if f"{self.ratio:.2f}" == f"{self.limit:.2f}" else 2
        return f"{self.label}: **{self.ratio:.{digits}f}×** {mark} ({sign}{self.limit:.2f}×)"


def startup_by(data: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(r["library"], r["files"]): r for r in data["startup"] if "error" not in r}


def load_by(data: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(r["library"], r["files"]): r for r in data["load"] if "error" not in r}


def marginal_ratio(steps: list[dict[str, Any]], value: Any) -> float | None:
    """What each file added after the first build costs over what each file of the first
    build cost (``value(step)``): 1 for linear growth, above 1 when it bends upwards."""
    if len(steps) < 2:
        return None
    first, last = steps[0], steps[-1]
    added = last["distinct"] - first["distinct"]
    base = value(first)
    if added <= 0 or base is None or base <= 0:
        return None
    end = value(last)
    if end is None:
        return None
    return ((end - base) / added) / (base / first["distinct"])


def _construct(name: str) -> Any:
    def value(step: dict[str, Any]) -> float | None:
        record = step.get(name, {})
        return None if "error" in record else record.get("construct_s")

    return value


def _rss_added(step: dict[str, Any]) -> float | None:
    record = step.get("ours", {})
    return None if "error" in record else record.get("rss_delta_mib")


def checks(data: dict[str, Any]) -> list[Check]:
    """Every target this run can decide (a part or size not measured decides none)."""
    found: list[Check] = []
    startup = startup_by(data)
    sizes = sorted({files for _, files in startup})
    if sizes:
        small, large = sizes[0], sizes[-1]
        ours, floor = startup.get(("ours", large)), startup.get(("floor", large))
        theirs = startup.get(("servestatic44", large))
        if ours and floor and floor["construct_s"] > 0:
            found.append(
                Check(
                    f"start-up at {large:,} files, servestatic / floor",
                    ours["construct_s"] / floor["construct_s"],
                    SCALE_STARTUP_FLOOR_MAX,
                    at_most=True,
                )
            )
        if ours and theirs and theirs["kib_per_file"] > 0:
            found.append(
                Check(
                    f"index memory per file at {large:,} files, servestatic / ServeStatic 4.4",
                    ours["kib_per_file"] / theirs["kib_per_file"],
                    SCALE_MEMORY_PER_FILE_MAX,
                    at_most=True,
                )
            )
        ours, theirs = startup.get(("ours", small)), startup.get(("servestatic44", small))
        if ours and theirs:
            found.append(
                Check(
                    f"cold start at {small:,} files, servestatic / ServeStatic 4.4",
                    ours["cold_s"] / theirs["cold_s"],
                    SCALE_COLD_MAX,
                    at_most=True,
                )
            )
    load = load_by(data)
    rated = sorted(files for library, files in load if library == "ours")
    if len(rated) >= 2 and load[("ours", rated[0])]["rps"] > 0:
        found.append(
            Check(
                f"throughput at {rated[-1]:,} / at {rated[0]:,} files, servestatic",
                load[("ours", rated[-1])]["rps"] / load[("ours", rated[0])]["rps"],
                SCALE_THROUGHPUT_MIN,
                at_most=False,
            )
        )
    for record in data.get("retain", []):
        if "error" in record:
            continue
        files = record["files"]
        for what, value in (("start-up", _construct("ours")), ("RSS", _rss_added)):
            ratio = marginal_ratio(record["steps"], value)
            if ratio is not None:
                found.append(
                    Check(
                        f"retained builds over {files:,} files: {what} per added file / "
                        "per file of one build",
                        ratio,
                        RETAIN_MARGINAL_MAX,
                        at_most=True,
                    )
                )
        if record["us_none"] > 0:
            found.append(
                Check(
                    f"retained builds over {files:,} files: request cost with 5 / with none",
                    record["us_retained"] / record["us_none"],
                    RETAIN_REQUEST_MAX,
                    at_most=True,
                )
            )
    return found


# ---------------------------------------------------------------------- Markdown


def _header(*cells: str) -> list[str]:
    return ["| " + " | ".join(cells) + " |", "|" + "---|" * len(cells)]


def _failures(records: list[dict[str, Any]]) -> list[str]:
    return [
        f"- {r.get('library', '')} at {r.get('files', '?'):,} files: {r['error'][:300]}"
        for r in records
        if "error" in r
    ]


def startup_table(data: dict[str, Any]) -> list[str]:
    startup = startup_by(data)
    lines = _header(
        "files", "entries", "", "import s", "construct s", "cold s", "RSS before MiB",
        "RSS after MiB", "added MiB", "peak MiB", "KiB per file", "URLs",
    )  # fmt: skip
    for files in sorted({f for _, f in startup}):
        for name, label in LABELS.items():
            r = startup.get((name, files))
            if r is None:
                continue
            lines.append(
                f"| {files:,} | {r['entries']:,} | {label} | {r['import_s']:.3f} | "
                f"{r['construct_s']:.3f} | {r['cold_s']:.3f} | {r['rss_before_mib']:.1f} | "
                f"{r['rss_after_mib']:.1f} | {r['rss_delta_mib']:.1f} | "
                f"{r['rss_peak_mib']:.1f} | {r['kib_per_file']:.2f} | {r['urls']:,} |"
            )
    lines += ["", *_header("files", "ours / floor (construct)", "ours / ServeStatic (cold)",
                           "ours / ServeStatic (KiB per file)")]  # fmt: skip
    for files in sorted({f for _, f in startup}):
        ours, floor = startup.get(("ours", files)), startup.get(("floor", files))
        theirs = startup.get(("servestatic44", files))
        cells = [f"{files:,}"]
        cells.append(
            f"{ours['construct_s'] / floor['construct_s']:.2f}×" if ours and floor else "–"
        )
        if ours and theirs:
            cells.append(f"{ours['cold_s'] / theirs['cold_s']:.2f}×")
            per_file = theirs["kib_per_file"]
            cells.append(f"{ours['kib_per_file'] / per_file:.2f}×" if per_file > 0 else "–")
        else:
            cells += ["–", "–"]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, "", *_failures(data["startup"])]


def load_table(data: dict[str, Any]) -> list[str]:
    load = load_by(data)
    sizes = sorted({f for _, f in load})
    lines = _header(
        "files", "servestatic req/s", "ServeStatic 4.4 req/s", "ours / ServeStatic",
        "ours / ours at the smallest", "server CPU (ours)", "others' CPU",
    )  # fmt: skip
    base = load.get(("ours", sizes[0])) if sizes else None
    for files in sizes:
        ours, theirs = load.get(("ours", files)), load.get(("servestatic44", files))
        others = max(r["other_cpu_share"] for (_, f), r in load.items() if f == files)
        cells = [
            f"{files:,}",
            f"{ours['rps']:,.0f}" if ours else "–",
            f"{theirs['rps']:,.0f}" if theirs else "–",
            f"{ours['rps'] / theirs['rps']:.2f}×" if ours and theirs else "–",
            f"{ours['rps'] / base['rps']:.2f}×" if ours and base else "–",
            f"{ours['server_cpu_share']:.0%}" if ours else "–",
            f"{others:.0%}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, "", *_failures(data["load"])]


def retain_tables(data: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for record in data["retain"]:
        if "error" in record:
            lines += [f"- over {record['files']:,} files: {record['error'][:300]}", ""]
            continue
        lines += [
            f"Over {record['files']:,} files (`write_tree`, 10% changed per build):",
            "",
            *_header(
                "build", "retained", "distinct files", "build s", "floor walk s",
                "servestatic construct s", "µs per file", "RSS added MiB", "KiB per file",
            ),
        ]  # fmt: skip
        for step in record["steps"]:
            ours, floor = step["ours"], step["floor"]
            if "error" in ours or "error" in floor:
                lines.append(f"| {step['build']} | {step['retained']} | failed |")
                continue
            distinct = step["distinct"]
            lines.append(
                f"| {step['build']} | {step['retained']} | {distinct:,} | "
                f"{step['build_s']:.1f} | {floor['construct_s']:.3f} | "
                f"{ours['construct_s']:.3f} | {ours['construct_s'] / distinct * 1e6:.1f} | "
                f"{ours['rss_delta_mib']:.1f} | {ours['rss_delta_mib'] * 1024 / distinct:.2f} |"
            )
        lines += [
            "",
            f"In-process request cost over the current build's "
            f"{record['distinct_alone']:,} URLs (the best of "
            f"{len(record['us_samples']['none'])} fresh pinned processes taken in turns, each "
            "the best of 5 rounds): "
            f"**{record['us_none']:.2f} µs** with no retained build, "
            f"**{record['us_retained']:.2f} µs** with 5.",
            "",
        ]
    return lines


def write_report(data: dict[str, Any], output: Path) -> None:
    machine, plan = data["machine"], data["plan"]
    found = checks(data)
    met = sum(check.met for check in found)
    lines = [
        f"# Scale benchmark {data['started']}",
        "",
        f"Command: `{data['command']}`" + (" (quick)" if data.get("quick") else ""),
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"{machine['os']}, Linux {machine['kernel']}; load average {data['loadavg_start']:.2f} "
        f"before, {data['loadavg_end']:.2f} after. servestatic at commit `{data['source']}`"
        + (f" (`{data['source_end']}` at the end)" if data["source_end"] != data["source"] else "")
        + ".",
        "",
    ]
    if data.get("note"):
        lines += [f"Note: {data['note']}", ""]
    lines += [
        "## Targets",
        "",
        f"{met} of {len(found)} met"
        + (" (a `--quick` run: one sample each, no waiting)." if data.get("quick") else "."),
        "",
        *(f"- {check.text()}" for check in found),
        "",
    ]  # fmt: skip
    if data["startup"]:
        lines += [
            "## Start-up and memory",
            "",
            f"Fresh processes pinned to core {machine['server_core']}, median of {plan['reps']}. "
            "*floor*: a bare `os.scandir` walk with one `stat` per entry (no index kept). "
            "*cold* = import + construction. *added*: RSS after construction minus before; "
            "*KiB per file*: added / files (originals, not counting their siblings). "
            "*URLs*: what the application reports it serves (the floor: entries walked).",
            "",
            *startup_table(data),
            "![start-up](startup.png)",
            "",
            "![RSS](rss.png)",
            "",
        ]
    if data["load"]:
        lines += [
            "## Throughput",
            "",
            f"{data['server']}, one worker pinned to core {machine['server_core']}; wrk "
            f"({machine['wrk_threads']} thread, {machine['connections']} connections) on core "
            f"{machine['load_core']} cycling through 1,000 URLs of the tree (one file of each "
            "size profile, spread over the whole tree: the same kinds and sizes at every "
            "size), `Accept-Encoding: br, gzip`; "
            f"{plan['warmup']:g} s warm-up, median of {plan['repeats']} run(s) of "
            f"{plan['duration']:g} s; every server up at once, the timed runs taken in turns "
            "over all of them.",
            "",
            *load_table(data),
            "![throughput](rps.png)",
            "",
        ]
    if data.get("retain"):
        lines += [
            "## Retained builds",
            "",
            "Six builds with the real CLI (`servestatic SRC DEST --all --no-brotli --no-zstd "
            "-e '*.html' --retain 5`); after each, fresh-process start-up over DEST (median of "
            f"{plan['reps']}). *distinct files*: what a request can name (no variants).",
            "",
            *retain_tables(data),
            "![retained builds](retain.png)",
            "",
        ]
    (output / "results.md").write_text("\n".join(lines))
    try:
        charts(data, output)
    except ImportError:
        print("matplotlib not available: no charts (use the bench venv)", file=sys.stderr)


# ---------------------------------------------------------------------- charts


def charts(data: dict[str, Any], output: Path) -> None:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    title = f" — {data['started']}" + (" (quick)" if data.get("quick") else "")
    startup = startup_by(data)
    series = {
        "startup.png": (
            "seconds (log scale, lower is better)",
            [("construct_s", "construction", "-"), ("cold_s", "cold (+ import)", "--")],
            True,
        ),
        "rss.png": (
            "MiB (log scale, lower is better)",
            [("rss_after_mib", "RSS after construction", "-"), ("rss_delta_mib", "added", "--")],
            True,
        ),
    }
    for name, (ylabel, keys, log_y) in series.items():
        if not startup:
            break
        fig, axis = plt.subplots(figsize=(8, 4.8), dpi=110)
        for library, label in LABELS.items():
            points = sorted((f, r) for (lib, f), r in startup.items() if lib == library)
            for key, what, style in keys:
                if library == "floor" and key in {"cold_s", "rss_delta_mib"}:
                    continue  # the floor imports nothing and keeps nothing
                xs, ys = [f for f, _ in points], [r[key] for _, r in points]
                if xs:
                    axis.plot(
                        xs, ys, style, marker="o", color=COLORS[library], label=f"{label}, {what}"
                    )
        _axes(
            axis, plt, ylabel, log_y, f"{'Start-up' if name == 'startup.png' else 'Memory'}{title}"
        )
        fig.savefig(output / name)
        plt.close(fig)
    load = load_by(data)
    if load:
        fig, axis = plt.subplots(figsize=(8, 4.8), dpi=110)
        for library in ("ours", "servestatic44"):
            points = sorted((f, r["rps"]) for (lib, f), r in load.items() if lib == library)
            if points:
                axis.plot(
                    *zip(*points, strict=True),
                    marker="o",
                    color=COLORS[library],
                    label=LABELS[library],
                )
        axis.set_ylim(bottom=0)
        _axes(
            axis,
            plt,
            f"req/s under {data['server']} (higher is better)",
            False,
            f"Throughput{title}",
        )
        fig.savefig(output / "rps.png")
        plt.close(fig)
    _retain_chart(data, output, plt, title)


def _axes(axis: Any, plt: Any, ylabel: str, log_y: bool, title: str) -> None:
    axis.set_xscale("log")
    if log_y:
        axis.set_yscale("log")
    axis.set_xlabel("files in the tree (log scale)")
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    plt.tight_layout()


def _retain_chart(data: dict[str, Any], output: Path, plt: Any, title: str) -> None:
    records = [r for r in data.get("retain", []) if "error" not in r]
    if not records:
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8), dpi=110)
    for record in records:
        steps = [
            s for s in record["steps"] if "error" not in s["ours"] and "error" not in s["floor"]
        ]
        xs = [s["distinct"] for s in steps]
        label = f"{record['files']:,} files"
        left.plot(
            xs,
            [s["ours"]["construct_s"] for s in steps],
            "-",
            marker="o",
            color=COLORS["ours"],
            label=f"servestatic, {label}",
        )
        left.plot(
            xs,
            [s["floor"]["construct_s"] for s in steps],
            "--",
            marker="o",
            color=COLORS["floor"],
            label=f"floor, {label}",
        )
        right.plot(
            xs,
            [s["ours"]["rss_delta_mib"] for s in steps],
            "-",
            marker="o",
            color=COLORS["ours"],
            label=f"servestatic, {label}",
        )
    for axis, ylabel in ((left, "start-up seconds"), (right, "RSS added by construction, MiB")):
        # Linear axes: growth over six builds spans less than a factor of two, and a
        # straight line is what "linear in the number of files" looks like.
        axis.set_xlabel("distinct files in DEST, builds 1 to 6")
        axis.set_ylim(bottom=0)
        axis.set_ylabel(ylabel)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    fig.suptitle(f"Retained builds{title}")
    fig.tight_layout()
    fig.savefig(output / "retain.png")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m benchmarks.scale_report RESULTS_DIR", file=sys.stderr)
        return 2
    output = Path(args[0])
    write_report(json.loads((output / "results.json").read_text()), output)
    print(output / "results.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
