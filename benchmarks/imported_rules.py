"""Per-request cost of header rules read from ``_headers`` against the same rules in TOML.

Issue 17 item 3: rules imported from a Netlify / Cloudflare Pages ``_headers`` file compile
into the same rule table as ``[[rules]]``, so a request should cost the same. This builds
one site of 200 files twice, once with 100 ``[[rules]]`` in ``servestatic.toml`` and once
with the same 100 blocks in ``site/_headers`` (each sets two headers on one file), checks
that both answer with the same headers, then times the engine's request path
(``Engine.handle`` on a prepared request record: no sockets, no server) for a file a rule
matches and a file none matches, alternating the two sites round by round so that the
load of a shared machine falls on both alike::

    PYTHONPATH=. .venv/bin/python -m benchmarks.imported_rules [--rounds 5] [--number 100000]

It prints each site's rule count (the ``_headers`` site has one more: the rule that keeps
the file itself from being served), its best start-up time (loading the settings and
indexing) and the best µs per request of each case; docs/migration.md quotes a run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import timeit
from functools import partial
from pathlib import Path

from servestatic.config import load_settings
from servestatic.http.records import Plan, Request
from servestatic.serve.engine import Engine

FILES = 200
RULES = 100
#: A file the 58th rule matches, and one no rule matches.
CASES = {"matched": "/f57.js", "unmatched": "/f150.js"}
SITES = ("toml", "_headers")


def build(base: Path, kind: str) -> Path:
    """A project directory: ``site/`` with the files, the rules in ``kind``'s form."""
    root = base / kind / "site"
    root.mkdir(parents=True)
    for number in range(FILES):
        (root / f"f{number}.js").write_text("x" * 100, encoding="utf-8")
    toml = ['root = "site"\n']
    blocks = []
    for number in range(RULES):
        cache = f"public, max-age={number}"
        toml.append(
            f'[[rules]]\nmatch = "/f{number}.js"\n'
            f'headers = {{ "X-Rule-{number}" = "{number}", "Cache-Control" = "{cache}" }}\n'
        )
        blocks.append(f"/f{number}.js\n  X-Rule-{number}: {number}\n  Cache-Control: {cache}\n")
    config = base / kind / "servestatic.toml"
    if kind == "toml":
        # import = []: the rules come from this file alone.
        config.write_text("import = []\n" + "".join(toml), encoding="utf-8")
    else:
        config.write_text(toml[0], encoding="utf-8")
        (root / "_headers").write_text("".join(blocks), encoding="utf-8")
    return config


def start(config: Path) -> tuple[Engine, float]:
    """The engine of a project, as the adapters build it, and how long that took (s)."""
    began = time.perf_counter()
    loaded = load_settings(config_file=config)
    if loaded.settings is None or not loaded.ok:
        raise SystemExit(f"{config}: {[str(problem) for problem in loaded.problems]}")
    engine = Engine(loaded.settings, standalone=True, provenance=loaded.provenance)
    return engine, time.perf_counter() - began


def answer(engine: Engine, request: Request) -> Plan:
    plan = engine.handle(request)
    if plan is None:  # standalone: every request gets a plan
        raise SystemExit(f"no answer for {request.path}")
    return plan


def headers(plan: Plan) -> list[tuple[str, str]]:
    """The headers, without the validators (the two sites' files differ in mtime)."""
    dated = {"etag", "last-modified"}
    return [(name, value) for name, value in plan.headers.pairs if name.lower() not in dated]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternations (best is kept)")
    parser.add_argument("--number", type=int, default=100_000, help="requests per timing")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="imported-rules-") as directory:
        base = Path(directory)
        configs = {kind: build(base, kind) for kind in SITES}
        engines: dict[str, Engine] = {}
        startup = dict.fromkeys(SITES, float("inf"))
        for _ in range(options.rounds):
            for kind in SITES:
                engines[kind], seconds = start(configs[kind])
                startup[kind] = min(startup[kind], seconds)
        requests = {case: Request("GET", url, raw_path=url) for case, url in CASES.items()}
        for case, request in requests.items():
            # Like for like: both sites send the same status and headers.
            plans = [answer(engines[kind], request) for kind in SITES]
            sent = [headers(plan) for plan in plans]
            if {plan.status for plan in plans} != {200} or sent[0] != sent[1]:
                raise SystemExit(f"{case}: the sites answer differently: {sent}")
            if (case == "matched") != any(name == "X-Rule-57" for name, _ in sent[0]):
                raise SystemExit(f"{case}: the rule was not applied as expected: {sent[0]}")
        best = {(kind, case): float("inf") for kind in SITES for case in CASES}
        for _ in range(options.rounds):
            for case, request in requests.items():
                for kind in SITES:
                    timer = timeit.Timer(partial(engines[kind].handle, request))
                    seconds = timer.timeit(number=options.number)
                    key = (kind, case)
                    best[key] = min(best[key], seconds / options.number)
    for kind in SITES:
        count = len(engines[kind].builder.rules.rules)
        print(f"{kind:>9}: {count} rules, start-up {startup[kind] * 1e3:.0f} ms (best)")
    print(f"Engine.handle(), best of {options.rounds} × {options.number:,} requests:")
    for case, url in CASES.items():
        cells = ", ".join(f"{kind} {best[kind, case] * 1e6:.2f} µs" for kind in SITES)
        print(f"  {case} ({url}): {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
