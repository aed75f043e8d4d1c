"""``benchmarks/checkcost.py``: its ``ours-unchecked`` and ``ours-syscall`` contenders really
run servestatic without the held-descriptor check (else the experiment measures nothing),
the order of the contenders turns every round, and the report's ratios are paired per
round."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks import checkcost

PROBE = """
import os, tempfile
from servestatic.serve import files
from servestatic.serve.files import HeldDescriptors
from servestatic.http.records import Derived, Representation
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "big.bin")
    with open(path, "wb") as handle:
        handle.write(b"0123456789" * 100)
    info = os.stat(path)
    representation = Representation(
        "identity", path, info.st_size, info.st_mtime_ns, None,
        derived=Derived(inode=info.st_ino, device=info.st_dev),
    )
    held = HeldDescriptors()
    held.read(representation, 0, 10)
    with open(path, "r+b") as handle:  # rewritten in place: new bytes, a new mtime
        handle.write(b"abcdefghij")
    os.utime(path, ns=(info.st_mtime_ns + 10**9,) * 2)
    try:
        print(held.read(representation, 0, 10).decode())
    except files.StaleFile:
        print("stale")
"""


def _run(code: str, experiment: Path | None) -> str:
    """What ``code`` prints in a fresh interpreter with ``experiment`` (a folder holding a
    ``sitecustomize``) first on its path, as checkcost starts a contender's server."""
    environ = dict(os.environ)
    if experiment is not None:
        environ["PYTHONPATH"] = os.pathsep.join(
            [str(experiment), *filter(None, [environ.get("PYTHONPATH")])]
        )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=True,
    )
    return completed.stdout.strip()


def _probe(experiment: Path | None) -> str:
    return _run(PROBE, experiment)


def test_the_experiments_have_no_check_and_ours_has_it() -> None:
    assert _probe(None) == "stale"
    for experiment in (checkcost.UNCHECKED, checkcost.SYSCALL):
        assert _probe(experiment) == "abcdefghij"  # the rewritten bytes, unnoticed


def test_the_syscall_experiment_makes_a_system_call_in_place_of_the_check() -> None:
    # The experiment must still enter the kernel once per read, or it measures nothing.
    # The replacement calls os.getppid, bound at import: ask the function itself.
    code = (
        "from servestatic.serve import files; import os;"
        "check = files._still_named;"
        "print(check.__code__.co_freevars or check.__code__.co_names,"
        " check.__globals__['_getppid'] is os.getppid)"
    )
    assert _run(code, checkcost.SYSCALL) == "('_getppid',) True"


def test_every_contender_takes_every_place_in_turn() -> None:
    names = list(checkcost.CONTENDERS)
    orders = [checkcost.round_order(names, number) for number in range(len(names))]
    for place in range(len(names)):
        assert sorted(order[place] for order in orders) == sorted(names)
    assert all(sorted(order) == sorted(names) for order in orders)


def test_the_report_pairs_the_rounds() -> None:
    # A slow second round slows every contender alike: paired ratios ignore it, and the
    # ratio of the medians would not.
    rates = {
        "ours": [9_000.0, 4_500.0, 9_000.0],
        "ours-unchecked": [10_000.0, 5_000.0, 10_000.0],
        "ours-syscall": [10_000.0, 5_000.0, 9_500.0],
        "trivial": [10_000.0, 5_000.0, 12_000.0],
        "trivial-checked": [9_500.0, 4_000.0, 11_000.0],
    }
    text = checkcost.report({"uvicorn": rates}, "python -m benchmarks.checkcost")
    row = next(line for line in text.splitlines() if line.startswith("| uvicorn "))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1].startswith("9,000 [9,000, 4,500, 9,000]")
    ours = statistics.median([0.9, 0.9, 0.75])
    unchecked = statistics.median([1.0, 1.0, 10 / 12])
    syscall = statistics.median([1.0, 1.0, 9.5 / 12])
    checked = statistics.median([0.95, 0.8, 11 / 12])
    against_checked = statistics.median([9 / 9.5, 4.5 / 4, 9 / 11])
    assert cells[6:11] == [
        f"{ours:.2f}",
        f"{unchecked:.2f}",
        f"{syscall:.2f}",
        f"{checked:.2f}",
        f"{against_checked:.2f}",
    ]
    floor = 1e6 / 10_000
    assert cells[11] == f"{floor / ours - floor / unchecked:.1f}"
    assert cells[12] == f"{floor / syscall - floor / unchecked:.1f}"


def test_the_checked_floor_checks_after_each_read() -> None:
    probe = """
import os, tempfile
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "big.bin")
    with open(path, "wb") as handle:
        handle.write(b"0123456789")
    descriptor = os.open(path, os.O_RDONLY)
    print(os.pread(descriptor, 4, 2).decode())
    os.unlink(path)
    try:
        os.pread(descriptor, 4, 2)
    except OSError:
        print("gone")
"""
    assert _run(probe, checkcost.FLOOR_CHECKED).split() == ["2345", "gone"]
