"""A builder's own peak RSS, wall and CPU time: run it under a small launcher process.

Why a launcher: ``ru_maxrss`` of a child is not the child's own peak when the parent is
large. ``subprocess`` starts children with ``vfork`` (or ``fork``), and at ``exec`` Linux
records the high-water mark of the address space being replaced (the parent's, shared by
``vfork``, or the copy ``fork`` made) in the new program's ``maxrss``. So every child of a
180 MiB benchmark driver reported at least 180 MiB, whatever it used itself (issue 19
item 5: every builder, ours and ServeStatic 4.4, on every package, read ~180 MiB).

The launcher (:mod:`benchmarks._launch`, run by a bare interpreter: ``-I -S``, no
``site``, ~8 MiB) pins itself to the cores, forks (the child's address space is a copy of
the small launcher), execs the command, waits for it with ``wait4`` and prints its rusage
as JSON. The command's ``ru_maxrss`` is then the larger of the launcher's few MiB and its
own peak (``tests/benchmarks/test_peakrss.py`` checks it against known allocations).

One process, not the tree: ``ru_maxrss`` is the peak of the process (and the largest of
the children it waited for), not the peak of their sum. Both builders measured with it
(``servestatic SRC DEST`` and ServeStatic 4.4's CLI) are one process whose workers are
threads (our compression pool, ServeStatic's ``ThreadPoolExecutor``), so the process's
peak is the builder's. A builder with worker processes would need the tree's summed RSS
sampled from ``/proc`` instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LAUNCHER = Path(__file__).resolve().parent / "_launch.py"


@dataclass(frozen=True)
class Usage:
    """What the launcher measured of one command."""

    status: int
    #: Seconds from the fork to the end of ``wait4`` (no interpreter start of ours in it).
    wall: float
    #: User + system CPU seconds of the command (and of the children it waited for).
    cpu: float
    #: The command's own peak RSS, KiB (``ru_maxrss``; see the module's docstring).
    max_rss_kib: int


def run(
    command: list[str],
    *,
    cores: str | None = None,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    stderr: IO[bytes] | int | None = None,
    timeout: float | None = None,
) -> Usage:
    """Run ``command`` under the launcher (pinned to ``cores``, e.g. ``"0,1"``)."""
    launched = subprocess.run(
        [sys.executable, "-I", "-S", str(LAUNCHER), cores or "-", "--", *command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        check=False,
        timeout=timeout,
    )
    if launched.returncode != 0:
        raise RuntimeError(f"the launcher failed ({launched.returncode}) for {command!r}")
    report = json.loads(launched.stdout)
    return Usage(
        status=report["status"],
        wall=report["wall"],
        cpu=report["utime"] + report["stime"],
        max_rss_kib=report["max_rss_kib"],
    )
