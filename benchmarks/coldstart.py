"""Cold start: import and construction over one tree, in fresh processes, contenders interleaved.

Each sample runs ``contender/startup.py`` (import ``servestatic``, ``.wsgi`` and ``.asgi``,
then construct one application) in a new interpreter, taking the contenders in turn so that
a machine that gets busier affects them alike. Besides the probe's wall times it reports the
child's CPU time (user + system, interpreter start included), which other processes on a
shared machine disturb less than wall time::

    python benchmarks/coldstart.py --files 1000 --repeats 9 \\
        ours=.venv/bin/python \\
        servestatic44=benchmarks/.venvs/servestatic44/bin/python

A contender is ``LABEL=PYTHON`` or ``LABEL=PYTHON:TREE``; with a ``TREE`` (a checkout, for
example ``git archive`` of an older commit), that tree's ``servestatic`` is imported
(``PYTHONPATH``). The library is ``servestatic44`` when the label starts with it, else
``ours``. Compile each tree's bytecode first (``python -m compileall -q TREE/servestatic``):
pip does it for installed packages, and with ``PYTHONDONTWRITEBYTECODE`` set an editable
checkout would be compiled from source at every start.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.fixtures import build_many  # noqa: E402 - after the path is set


def _sample(python: str, tree: str | None, library: str, root: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SERVESTATIC")}
    if tree:
        env["PYTHONPATH"] = tree
    command = [python, str(HERE / "contender" / "startup.py"), "--library", library]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The working directory holds no servestatic.toml or pyproject.toml.
    done = subprocess.run(
        [*command, "--root", str(root)],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
        env=env,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        msg = f"{python} ({tree or 'installed'}) failed:\n{done.stderr}"
        raise RuntimeError(msg)
    sample: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    sample["cpu_s"] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if sample["urls"] <= 0:
        msg = f"{python} ({tree or 'installed'}) indexed nothing: {sample}"
        raise RuntimeError(msg)
    return sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contenders", nargs="+", metavar="LABEL=PYTHON[:TREE]")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)
    root = build_many(args.files)
    contenders = []
    for spec in args.contenders:
        label, _, rest = spec.partition("=")
        python, _, tree = rest.partition(":")
        # The samples run in / (no configuration file there): paths from here, made absolute.
        python = os.path.abspath(python) if os.sep in python else python
        tree = os.path.abspath(tree) if tree else ""
        library = "servestatic44" if label.startswith("servestatic44") else "ours"
        contenders.append((label, python, tree or None, library))
    samples: dict[str, list[dict[str, Any]]] = {label: [] for label, *_ in contenders}
    for _ in range(args.repeats):
        for label, python, tree, library in contenders:
            samples[label].append(_sample(python, tree, library, root))
    print(f"{args.files} files, median (min) of {args.repeats} fresh processes, ms")
    print(f"{'':16} {'import':>15} {'construct':>15} {'both':>15} {'process CPU':>15}")
    for label, found in samples.items():
        columns = [
            [s["import_s"] for s in found],
            [s["construct_s"] for s in found],
            [s["import_s"] + s["construct_s"] for s in found],
            [s["cpu_s"] for s in found],
        ]
        cells = [f"{statistics.median(c) * 1000:7.1f} ({min(c) * 1000:5.1f})" for c in columns]
        print(f"{label:16} {' '.join(f'{cell:>15}' for cell in cells)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
