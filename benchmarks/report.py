"""Turn one run's ``results.json`` into ``results.md`` and one PNG chart per scenario.

    benchmarks/.venvs/bench/bin/python -m benchmarks.report benchmarks/results/<stamp>

Charts need matplotlib (bench venv only); without it the Markdown is still written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.contenders import LABELS, PYTHON_SERVERS
from benchmarks.npmbuild import npm_checks
from benchmarks.npmbuild import table as npm_table
from benchmarks.scenarios import SCENARIO_ORDER, SCENARIOS
from benchmarks.slowreaders import (
    FAST_RATIO_MIN,
    PEAK_ABOVE_IDLE_MAX_MIB,
    SLOW_TARGET_READERS,
)
from benchmarks.slowreaders import table as slow_table
from benchmarks.targets import (
    GRANIAN_NGINX_AIM,
    INPROCESS,
    STARTUP_RSS_MAX,
    STARTUP_TIME_MAX,
    load_target,
    trivial_target,
)

COLUMNS = ("ours", "servestatic44", "whitenoise", "trivial")
COLORS = {
    "ours": "#1f77b4",
    "servestatic44": "#ff7f0e",
    "whitenoise": "#2ca02c",
    "trivial": "#9e9e9e",
}


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    if value >= 100:
        text = f"{value:,.0f}"
    elif value >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return text + unit


def _row(cells: list[str] | tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


def _header(*cells: str) -> list[str]:
    return [_row(cells), "|" + "---|" * len(cells)]


def _ratio(ours: float | None, other: float | None) -> float | None:
    if ours is None or not other:
        return None
    return ours / other


def _ratio_cell(ratio: float | None, target: float | None) -> str:
    if ratio is None:
        return "–"
    text = f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.0f}×"
    if target is None:
        return text
    mark = "✅" if ratio >= target else "❌"
    return f"{text} {mark} (≥{target:g}×)"


def _values(data: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(r["server"], r["library"], r["scenario"]): r for r in data["load"]}


def _value(record: dict[str, Any] | None) -> float | None:
    if record is None or "error" in record or "value" not in record:
        return None
    return float(record["value"])


#: Other processes used more than this share of a core during a run: mark the number.
DISTURBED = 0.10


def _cell(record: dict[str, Any] | None) -> str:
    if record is None:
        return "–"
    if "error" in record:
        value = _value(record)
        return f"{_num(value)} ⚠" if value is not None else "failed"
    mark = " †" if record.get("other_cpu_share", 0) > DISTURBED else ""
    return _num(_value(record)) + mark


def _nginx_cell(server: str, scenario: str, ratio: float | None) -> str:
    """ours / nginx, marked against the moonshot aim for granian ASGI's small file."""
    aimed = server == "granian-asgi" and scenario == "small"
    return _ratio_cell(ratio, GRANIAN_NGINX_AIM if aimed else None)


def load_tables(data: dict[str, Any]) -> list[str]:
    values = _values(data)
    lines: list[str] = []
    scenarios = [s for s in SCENARIO_ORDER if any(k[2] == s for k in values)]
    servers = [s for s in PYTHON_SERVERS if any(k[0] == s for k in values)]
    for scenario_name in scenarios:
        scenario = SCENARIOS[scenario_name]
        nginx = _value(values.get(("nginx", "nginx", scenario_name)))
        lines.append(f"### {scenario.title} ({scenario.unit})")
        lines.append("")
        lines.append(f"![{scenario.title}]({scenario_name}.png)")
        lines.append("")
        header = [
            "server",
            *(LABELS[c] for c in COLUMNS),
            "ours / ServeStatic 4.4",
            "ours / trivial (floor)",
            "ours / nginx",
        ]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for server in servers:
            row = [values.get((server, library, scenario_name)) for library in COLUMNS]
            if all(record is None for record in row):
                continue
            ours = _value(row[0])
            ratio_ss = _ratio(ours, _value(row[1]))
            target = load_target(server, scenario_name)
            cells = [
                server,
                *(_cell(record) for record in row),
                _ratio_cell(ratio_ss, target),
                _ratio_cell(_ratio(ours, _value(row[3])), trivial_target(server, scenario_name)),
                _nginx_cell(server, scenario_name, _ratio(ours, nginx)),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append(
            f"| nginx | {_cell(values.get(('nginx', 'nginx', scenario_name)))} (reference) |"
        )
        lines.append("")
    return lines


def note(record: dict[str, Any]) -> str:
    text = " ".join(str(record.get(key, "")) for key in ("error", "warning")).strip()
    return text.replace("|", "/").replace("\n", " ")[:160]


def detail_table(data: dict[str, Any]) -> list[str]:
    lines = [
        "Value: median of the timed runs (all runs in brackets). Server CPU: share of one core "
        "the server used; others: CPU taken meanwhile by processes outside the benchmark "
        "and by the hypervisor (steal time of the two cores; over ~10% means the numbers "
        "were disturbed).",
        "",
        *_header(
            "server", "library", "scenario", "value", "runs", "unit", "p50 ms", "p99 ms",
            "server CPU", "CPU µs/req", "others", "note",
        ),
    ]  # fmt: skip
    for record in data["load"]:
        cpu_share = record.get("server_cpu_share")
        others = record.get("other_cpu_share")
        lines.append(
            "| "
            + " | ".join(
                [
                    record["server"],
                    LABELS.get(record["library"], record["library"]),
                    record["scenario"],
                    _num(_value(record)),
                    ", ".join(_num(v) for v in record.get("values", [])),
                    record.get("unit", ""),
                    _num(record.get("p50_ms")),
                    _num(record.get("p99_ms")),
                    f"{cpu_share:.0%}" if cpu_share is not None else "–",
                    _num(record.get("cpu_us_per_request")),
                    f"{others:.0%}" if others is not None else "–",
                    note(record),
                ]
            )
            + " |"
        )
    return lines


_VARIANT_ORDER = {"-": 0, "plain": 1, "pathsend": 2}


def _inprocess_order(key: tuple[str, str, str]) -> tuple[int, int, int]:
    interface, variant, scenario = key
    return (interface != "wsgi", _VARIANT_ORDER.get(variant, 3), SCENARIO_ORDER.index(scenario))


def inprocess_table(data: dict[str, Any]) -> list[str]:
    records = [r for r in data["inprocess"] if "error" not in r]
    if not records:
        return []
    by_key = {(r["library"], r["interface"], r["variant"], r["scenario"]): r for r in records}
    keys = sorted(
        {(r["interface"], r["variant"], r["scenario"]) for r in records},
        key=_inprocess_order,
    )
    lines = [
        "µs per request, best of the timed batches (lower is better); "
        "speed-up = ServeStatic 4.4 / ours.",
        "",
        "![In-process request path](inprocess.png)",
        "",
        *_header(
            "interface", "extension", "scenario", "servestatic", "ServeStatic 4.4",
            "WhiteNoise 6.12", "trivial app", "speed-up vs ServeStatic",
        ),
    ]  # fmt: skip
    for interface, variant, scenario in keys:
        row = [by_key.get((library, interface, variant, scenario)) for library in INPROCESS_COLUMNS]
        us = [r["us_best"] if r else None for r in row]
        speedup = us[1] / us[0] if us[0] and us[1] else None
        target = INPROCESS.get((interface, variant, scenario))
        lines.append(
            f"| {interface.upper()} | {variant} | {scenario} | "
            + " | ".join(_num(u) for u in us)
            + f" | {_ratio_cell(speedup, target)} |"
        )
    lines.extend(
        f"\n⚠ {error['library']} {error['interface']}: {error['error'][:300]}"
        for error in data["inprocess"]
        if "error" in error
    )
    return lines


INPROCESS_COLUMNS = ("ours", "servestatic44", "whitenoise", "trivial")


def startup_table(data: dict[str, Any]) -> list[str]:
    records = {r["library"]: r for r in data["startup"] if "error" not in r}
    if not records:
        return []
    files = next(iter(records.values())).get("files")
    lines = [
        f"A fresh process constructs the WSGI application over {files:,} files (median of "
        f"{next(iter(records.values())).get('reps')}); RSS from `/proc/self/status`.",
        "",
        *_header(
            "library",
            "construct s",
            "import s",
            "RSS after MiB",
            "RSS added by construction MiB",
            "peak RSS MiB",
            "URLs",
        ),
    ]
    for library in ("ours", "servestatic44", "whitenoise"):
        record = records.get(library)
        if record is None:
            continue
        lines.append(
            f"| {LABELS[library]} | {record['construct_s']:.3f} | {record['import_s']:.3f} | "
            f"{record['rss_after_mib']:.1f} | {record['rss_delta_mib']:.1f} | "
            f"{record['rss_peak_mib']:.1f} | {record['urls']:,} |"
        )
    ours, theirs = records.get("ours"), records.get("servestatic44")
    if ours and theirs:
        time_ratio = ours["construct_s"] / theirs["construct_s"]
        total_ratio = (ours["construct_s"] + ours["import_s"]) / (
            theirs["construct_s"] + theirs["import_s"]
        )
        rss_ratio = ours["rss_after_mib"] / theirs["rss_after_mib"]
        delta_ratio = ours["rss_delta_mib"] / max(theirs["rss_delta_mib"], 1e-9)

        def mark(ratio: float, limit: float) -> str:
            return "✅" if ratio <= limit else "❌"

        lines += [
            "",
            f"- construction time ours / ServeStatic 4.4: **{time_ratio:.2f}** "
            f"{mark(time_ratio, STARTUP_TIME_MAX)} (target ≤ {STARTUP_TIME_MAX:g}); "
            f"with imports: {total_ratio:.2f} {mark(total_ratio, STARTUP_TIME_MAX)}",
            f"- RSS ours / ServeStatic 4.4: **{rss_ratio:.2f}** {mark(rss_ratio, STARTUP_RSS_MAX)} "
            f"(target ≤ {STARTUP_RSS_MAX:g}); memory added by construction: {delta_ratio:.2f} "
            f"{mark(delta_ratio, STARTUP_RSS_MAX)}",
        ]
    return lines


def _cpu_note(ours: dict[str, Any] | None, floor: dict[str, Any] | None) -> str:
    """Where a miss against the trivial app goes: the server's CPU per request, both."""
    mine = (ours or {}).get("cpu_us_per_request")
    base = (floor or {}).get("cpu_us_per_request")
    if mine is None or base is None:
        return ""
    return f", server CPU {mine:.1f} µs per request against the trivial app's {base:.1f}"


def _slow_floor(data: dict[str, Any], record: dict[str, Any]) -> dict[str, Any] | None:
    """The trivial app's slow-reader record for the same server, kind and reader count."""
    for other in data.get("slow", []):
        if (
            other["library"] == "trivial"
            and "error" not in other
            and all(other[key] == record[key] for key in ("server", "kind", "readers"))
        ):
            return other  # type: ignore[no-any-return]
    return None


def targets(data: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """Every gated ratio of the run: (met, missed by servestatic, missed by the server).

    A miss is the server's when the trivial application, which does nothing but answer
    from memory, misses the same target on the same server in the same run: no library can
    reach it there. Every other miss is servestatic's; against the trivial app it comes
    with both server CPU times per request, which is where the time goes."""
    values = _values(data)
    met: list[str] = []
    mine: list[str] = []
    servers: list[str] = []

    def gate(ok: bool, label: str, floor_ok: bool | None = None, floor: str = "") -> None:
        if ok:
            met.append(label)
        elif floor_ok is False:
            servers.append(f"{label}, the trivial app {floor}")
        else:
            mine.append(label)

    def floor_at_least(floor_ratio: float | None, target: float) -> tuple[bool | None, str]:
        """``gate``'s last two arguments for a ratio the trivial app must reach too."""
        return (None if floor_ratio is None else floor_ratio >= target), f"{floor_ratio or 0:.2f}×"

    for (server, library, scenario), record in values.items():
        if library != "ours":
            continue
        ours = _value(record)
        floor_record = values.get((server, "trivial", scenario))
        floor_value = _value(floor_record)
        target = load_target(server, scenario)
        theirs = _value(values.get((server, "servestatic44", scenario)))
        ratio = _ratio(ours, theirs)
        if target is not None and ratio is not None:
            floor_ratio = _ratio(floor_value, theirs)
            gate(
                ratio >= target,
                f"{server} {scenario} {ratio:.2f}× ServeStatic (≥{target:g}×)",
                *floor_at_least(floor_ratio, target),
            )
        limit = trivial_target(server, scenario)
        ratio = _ratio(ours, floor_value)
        if limit is not None and ratio is not None:
            gate(
                ratio >= limit,
                f"{server} {scenario} {ratio:.2f}× trivial (≥{limit:g}×)"
                + _cpu_note(record, floor_record),
            )
        if server == "granian-asgi" and scenario == "small":
            nginx = _value(values.get(("nginx", "nginx", scenario)))
            ratio = _ratio(ours, nginx)
            if ratio is not None:
                floor_ratio = _ratio(floor_value, nginx)
                gate(
                    ratio >= GRANIAN_NGINX_AIM,
                    f"granian-asgi small {ratio:.2f}× nginx (moonshot ≥{GRANIAN_NGINX_AIM:g}×)",
                    *floor_at_least(floor_ratio, GRANIAN_NGINX_AIM),
                )
    by_key = {
        (r["library"], r["interface"], r["variant"], r["scenario"]): r
        for r in data["inprocess"]
        if "error" not in r
    }
    for (interface, variant, scenario), target in INPROCESS.items():
        ours_record, theirs_record = (
            by_key.get(("ours", interface, variant, scenario)),
            by_key.get(("servestatic44", interface, variant, scenario)),
        )
        if ours_record and theirs_record:
            ratio = theirs_record["us_best"] / ours_record["us_best"]
            shown = "" if variant == "-" else f" {variant}"
            label = f"in-process {interface.upper()}{shown} {scenario}"
            gate(ratio >= target, f"{label} {ratio:.1f}× (≥{target:g}×)")
    startup = {r["library"]: r for r in data["startup"] if "error" not in r}
    ours_startup, theirs_startup = startup.get("ours"), startup.get("servestatic44")
    if ours_startup and theirs_startup:
        checks = (
            (
                "start-up construction time",
                ours_startup["construct_s"] / theirs_startup["construct_s"],
                STARTUP_TIME_MAX,
            ),
            (
                "start-up RSS",
                ours_startup["rss_after_mib"] / theirs_startup["rss_after_mib"],
                STARTUP_RSS_MAX,
            ),
        )
        for label, ratio, most in checks:
            gate(ratio <= most, f"{label} {ratio:.2f}× (≤{most:g}×)")
    for record in data.get("slow", []):
        if record["library"] != "ours" or "error" in record:
            continue
        label = f"{record['server']} {record['readers']:,} stalled readers ({record['kind']})"
        floor_record = _slow_floor(data, record)
        if record["readers"] >= SLOW_TARGET_READERS:
            above = (record["stalled_rss"] - record["idle_rss"]) / 2**20
            floor_above = (
                None
                if floor_record is None
                else (floor_record["stalled_rss"] - floor_record["idle_rss"]) / 2**20
            )
            gate(
                above <= PEAK_ABOVE_IDLE_MAX_MIB,
                f"{label}: +{above:.0f} MiB (≤{PEAK_ABOVE_IDLE_MAX_MIB:g})",
                None if floor_above is None else floor_above <= PEAK_ABOVE_IDLE_MAX_MIB,
                f"+{floor_above or 0:.0f} MiB",
            )
        ratio = record.get("fast_ratio")
        if ratio is not None:
            floor_ratio = None if floor_record is None else floor_record.get("fast_ratio")
            gate(
                ratio >= FAST_RATIO_MIN,
                f"{label}: fast clients {ratio:.2f}× (≥{FAST_RATIO_MIN:g}×)",
                *floor_at_least(floor_ratio, FAST_RATIO_MIN),
            )
    npm_met, npm_missed = npm_checks(data.get("npm", []))
    return met + npm_met, mine + npm_missed, servers


def summary(data: dict[str, Any]) -> str:
    """One paragraph: how many targets are met, and each miss, the library's apart from
    those no application reaches on that server (:func:`targets`)."""
    met, mine, servers = targets(data)
    failed = [
        r
        for r in data["load"] + data["inprocess"] + data["startup"] + data.get("slow", [])
        if "error" in r
    ]
    total = len(met) + len(mine) + len(servers)
    text = f"{len(met)} of {total} gated ratios meet their target in this run" + (
        " (a `--quick` run: short, noisy measurements)." if data.get("quick") else "."
    )
    if mine:
        text += " Missed by servestatic: " + "; ".join(sorted(mine)) + "."
    if servers:
        text += (
            " Missed by every application on that server (the trivial app, which answers"
            " from memory, misses it too in this run): " + "; ".join(sorted(servers)) + "."
        )
    if failed:
        text += f" {len(failed)} measurement(s) failed or reported errors (see the detail table)."
    return text


def write_report(data: dict[str, Any], output: Path) -> None:
    machine, versions = data["machine"], data["versions"]
    plan = data["plan"]
    lines = [
        f"# Benchmark results {data['started']}",
        "",
        f"Command: `{data['command']}`" + (" (quick)" if data.get("quick") else ""),
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"{machine['os']}, Linux {machine['kernel']}. "
        f"Server pinned to core {machine['server_core']}, wrk ({machine['wrk']}, "
        f"{machine['wrk_threads']} thread, {machine['connections']} connections) "
        f"to core {machine['load_core']}; "
        f"{plan['warmup']:g} s of warm-up, median of {plan.get('repeats', 1)} timed run(s) of "
        f"{plan['duration']:g} s. Load average {data['loadavg_start']:.2f} before the run.",
        "",
    ]
    source, source_end = data.get("source", "?"), data.get("source_end", "?")
    lines += [
        f"servestatic measured at commit `{source}`"
        + (
            f" (the tree changed during the run: `{source_end}` at the end)"
            if source_end != source
            else ""
        )
        + ".",
        "",
    ]
    if data.get("note"):
        lines += [f"Note: {data['note']}", ""]
    lines += ["Versions:", ""]
    for name, identity in versions.items():
        servers = ", ".join(f"{k} {v}" for k, v in identity.get("servers", {}).items())
        label = LABELS.get(name, name)
        python = identity.get("python")
        lines.append(f"- {label} {identity['version']} (Python {python}; {servers})")
    lines.append(
        f"- nginx {machine['nginx']} "
        "(one worker, sendfile, open_file_cache, gzip_static, brotli_static)"
    )
    lines += ["", "## Summary", "", summary(data), ""]
    if data["load"]:
        lines += [
            "## Under real servers",
            "",
            "Higher is better. ✅/❌: the target for that ratio (issues 6 and 19). *trivial*: "
            "each server's floor, an application answering every scenario from what it "
            "prepared at start-up (`benchmarks/contender/floor.py`): its rate is the most any "
            "library can reach on that server. ⚠: errors (see the detail table); †: other "
            "processes or the hypervisor (steal) took over 10% of a core during the run.",
            "",
        ]
        lines += load_tables(data)
    if data["inprocess"]:
        lines += ["## In-process request path", ""]
        lines += inprocess_table(data)
        lines.append("")
    if data["startup"]:
        lines += ["## Start-up and memory", ""]
        lines += startup_table(data)
        lines.append("")
    if data.get("slow"):
        lines += ["## Slow readers", ""]
        lines += slow_table(data["slow"])
        lines.append("")
    if data.get("scale"):
        scale = Path(data["scale"]["results"])
        lines += [
            "## Scale with the number of files",
            "",
            f"A separate report: `{scale.name}/results.md` beside this one"
            + (
                f" ({data['scale']['failed']} measurement(s) failed)."
                if data["scale"]["failed"]
                else "."
            ),
            "",
        ]
    if data.get("npm"):
        lines += ["## The build on real npm packages", ""]
        lines += npm_table(data["npm"])
        lines.append("")
    if data["load"]:
        lines += ["## Every measurement", ""]
        lines += detail_table(data)
        lines.append("")
    (output / "results.md").write_text("\n".join(lines))
    try:
        charts(data, output)
    except ImportError:
        print("matplotlib not available: no charts (use the bench venv)", file=sys.stderr)


def charts(data: dict[str, Any], output: Path) -> None:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    values = _values(data)
    for scenario_name in SCENARIO_ORDER:
        scenario = SCENARIOS[scenario_name]
        servers = [
            s for s in PYTHON_SERVERS if any(k[0] == s and k[2] == scenario_name for k in values)
        ]
        if not servers:
            continue
        libraries = [c for c in COLUMNS if any((s, c, scenario_name) in values for s in servers)]
        fig, axis = plt.subplots(figsize=(9, 4.8), dpi=110)
        width = 0.8 / max(1, len(libraries))
        for index, library in enumerate(libraries):
            xs, heights = [], []
            for position, server in enumerate(servers):
                value = _value(values.get((server, library, scenario_name)))
                if value:
                    xs.append(position + (index - (len(libraries) - 1) / 2) * width)
                    heights.append(value)
            bars = axis.bar(xs, heights, width, label=LABELS[library], color=COLORS[library])
            axis.bar_label(
                bars, labels=[_num(h) for h in heights], fontsize=7, rotation=90, padding=2
            )
        nginx = _value(values.get(("nginx", "nginx", scenario_name)))
        if nginx:
            axis.axhline(
                nginx,
                color="#d62728",
                linestyle="--",
                linewidth=1.2,
                label=f"nginx ({_num(nginx)})",
            )
        axis.set_yscale("log")
        axis.set_xticks(range(len(servers)), servers)
        axis.set_ylabel(f"{scenario.unit} (log scale, higher is better)")
        axis.set_title(
            f"{scenario.title} — {data['started']}" + (" (quick)" if data.get("quick") else "")
        )
        axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        axis.margins(y=0.25)
        fig.tight_layout()
        fig.savefig(output / f"{scenario_name}.png")
        plt.close(fig)
    _inprocess_chart(data, output, plt)


def _inprocess_chart(data: dict[str, Any], output: Path, plt: Any) -> None:
    records = [r for r in data["inprocess"] if "error" not in r]
    if not records:
        return
    keys = sorted(
        {(r["interface"], r["variant"], r["scenario"]) for r in records},
        key=_inprocess_order,
    )
    by_key = {(r["library"], r["interface"], r["variant"], r["scenario"]): r for r in records}
    fig, axis = plt.subplots(figsize=(11, 4.8), dpi=110)
    width = 0.8 / len(INPROCESS_COLUMNS)
    for index, library in enumerate(INPROCESS_COLUMNS):
        xs, heights = [], []
        for position, key in enumerate(keys):
            record = by_key.get((library, *key))
            if record:
                xs.append(position + (index - (len(INPROCESS_COLUMNS) - 1) / 2) * width)
                heights.append(record["us_best"])
        if xs:
            bars = axis.bar(xs, heights, width, label=LABELS[library], color=COLORS[library])
            axis.bar_label(
                bars, labels=[_num(h) for h in heights], fontsize=6, rotation=90, padding=2
            )
    labels = [f"{i.upper()}\n{v if v != '-' else ''}\n{s}" for i, v, s in keys]
    axis.set_xticks(range(len(keys)), labels, fontsize=7)
    axis.set_yscale("log")
    axis.set_ylabel("µs per request (log scale, lower is better)")
    axis.set_title(f"In-process request path — {data['started']}")
    axis.legend(fontsize=8)
    axis.margins(y=0.25)
    fig.tight_layout()
    fig.savefig(output / "inprocess.png")
    plt.close(fig)


def compact_table(data: dict[str, Any]) -> list[str]:
    """All load scenarios in one table (for docs/performance.md)."""
    values = _values(data)
    lines = _header(
        "scenario", "server", "servestatic", "ServeStatic 4.4", "WhiteNoise 6.12",
        "trivial app", "ours / ServeStatic", "ours / trivial", "ours / nginx",
    )  # fmt: skip
    for scenario_name in SCENARIO_ORDER:
        scenario = SCENARIOS[scenario_name]
        nginx_record = values.get(("nginx", "nginx", scenario_name))
        nginx = _value(nginx_record)
        for server in PYTHON_SERVERS:
            row = [values.get((server, library, scenario_name)) for library in COLUMNS]
            if row[0] is None:
                continue
            ours = _value(row[0])
            target = load_target(server, scenario_name)
            cells = [
                f"{scenario_name} ({scenario.unit})",
                server,
                *(_cell(record) for record in row),
                _ratio_cell(_ratio(ours, _value(row[1])), target),
                _ratio_cell(_ratio(ours, _value(row[3])), trivial_target(server, scenario_name)),
                _nginx_cell(server, scenario_name, _ratio(ours, nginx)),
            ]
            lines.append(_row(cells))
        if nginx_record is not None:
            lines.append(_row([f"{scenario_name} ({scenario.unit})", "nginx", _cell(nginx_record)]))
    return lines


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    compact = "--compact" in args
    args = [arg for arg in args if arg != "--compact"]
    if len(args) != 1:
        print("usage: python -m benchmarks.report [--compact] RESULTS_DIR", file=sys.stderr)
        return 2
    output = Path(args[0])
    data = json.loads((output / "results.json").read_text())
    if compact:
        print("\n".join(compact_table(data)))
        return 0
    write_report(data, output)
    print(output / "results.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
