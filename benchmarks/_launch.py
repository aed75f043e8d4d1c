"""The launcher of :mod:`benchmarks.peakrss`: ``python -I -S _launch.py CORES -- COMMAND...``.

Runs COMMAND pinned to CORES (``-``: as inherited) and prints its exit status, wall time,
CPU time and ``ru_maxrss`` as one JSON line. It forks from this small process so that the
command's peak RSS is its own (see :mod:`benchmarks.peakrss`); it imports only ``os``,
``sys`` and ``time`` for the same reason: its size is the floor under every measurement.
"""

from __future__ import annotations

import os
import sys
import time


def _launch(argv: list[str]) -> int:
    """``_launch.py CORES -- COMMAND...``: run COMMAND; its rusage as JSON on stdout."""
    cores, separator, *command = argv
    if separator != "--" or not command:
        print("usage: _launch.py CORES|- -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    if cores != "-":
        os.sched_setaffinity(0, {int(core) for core in cores.split(",")})
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child only execs
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # stdout is the launcher's report
        try:
            os.execvp(command[0], command)
        except OSError as error:
            print(f"cannot run {command[0]!r}: {error}", file=sys.stderr)
        os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    report = (
        f'{{"status": {os.waitstatus_to_exitcode(status)}, "wall": {wall!r}, '
        f'"utime": {usage.ru_utime!r}, "stime": {usage.ru_stime!r}, '
        f'"max_rss_kib": {usage.ru_maxrss}}}'
    )
    print(report, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(_launch(sys.argv[1:]))
