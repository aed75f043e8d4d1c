"""The npm build benchmark's peak RSS (``benchmarks/peakrss.py``): a command's own peak,
whatever the size of the process that measures it (issue 19 item 5: every builder read
~180 MiB, the benchmark driver's size)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from benchmarks import peakrss

MIB = 1024


def _allocating(mib: int) -> list[str]:
    """A bare interpreter that holds ``mib`` MiB of touched memory, then exits."""
    return [sys.executable, "-I", "-S", "-c", f"held = b'x' * ({mib} << 20)"]


def _direct_peak_kib(command: list[str]) -> int:
    """What the benchmark measured before: ``ru_maxrss`` of a child of this process."""
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    assert process.returncode == 0
    return usage.ru_maxrss


@pytest.fixture(scope="module")
def big_parent() -> object:
    """This process made 200 MiB larger (touched, so resident) while the module runs."""
    return b"\x01" * (200 << 20)


def test_a_child_of_a_big_parent_inherits_its_high_water_mark(big_parent: object) -> None:
    # The cause, shown: the fork/vfork + exec path carries the parent's peak into the
    # child's ru_maxrss, so a 5 MiB child reads over 200 MiB.
    assert _direct_peak_kib(_allocating(5)) > 200 * MIB


def test_the_launcher_measures_the_commands_own_peak(big_parent: object) -> None:
    small = peakrss.run(_allocating(5))
    large = peakrss.run(_allocating(50))
    assert small.status == large.status == 0
    # A bare interpreter is ~8-12 MiB; far below the 200 MiB of this process.
    assert 5 * MIB < small.max_rss_kib < 25 * MIB
    # The 45 MiB between them is measured within 3 MiB.
    assert abs(large.max_rss_kib - small.max_rss_kib - 45 * MIB) < 3 * MIB


def test_the_measurement_does_not_depend_on_the_parents_size() -> None:
    alone = peakrss.run(_allocating(5)).max_rss_kib
    ballast = b"\x01" * (200 << 20)
    beside = peakrss.run(_allocating(5)).max_rss_kib
    assert len(ballast) == 200 << 20
    assert abs(beside - alone) < 3 * MIB


def test_status_time_and_pinning_are_reported() -> None:
    failed = peakrss.run([sys.executable, "-I", "-S", "-c", "raise SystemExit(3)"])
    assert failed.status == 3
    core = min(os.sched_getaffinity(0))
    pinned = peakrss.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            f"import os; assert os.sched_getaffinity(0) == {{{core}}}",
        ],
        cores=str(core),
    )
    assert pinned.status == 0
    assert 0 < pinned.wall < 10
    assert 0 < pinned.cpu < 10


def test_a_command_that_cannot_start_exits_127() -> None:
    assert peakrss.run(["/nonexistent/builder"], stderr=subprocess.DEVNULL).status == 127
