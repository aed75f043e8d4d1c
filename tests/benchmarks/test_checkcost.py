"""``benchmarks/checkcost.py``: its ``ours-unchecked`` contender really runs servestatic
without the held-descriptor check (else the experiment measures nothing), and the report's
ratios and per-request cost come from the medians."""

from __future__ import annotations

import os
import subprocess
import sys

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


def _probe(unchecked: bool) -> str:
    environ = dict(os.environ)
    if unchecked:
        environ["PYTHONPATH"] = os.pathsep.join(
            [str(checkcost.UNCHECKED), *filter(None, [environ.get("PYTHONPATH")])]
        )
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=True,
    )
    return completed.stdout.strip()


def test_the_unchecked_contender_has_no_check_and_ours_has_it() -> None:
    assert _probe(unchecked=False) == "stale"
    assert _probe(unchecked=True) == "abcdefghij"  # the rewritten bytes, unnoticed


def test_the_report_uses_the_medians() -> None:
    rates = {
        "ours": [8_000.0, 10_000.0, 9_000.0],
        "ours-unchecked": [12_000.0, 11_000.0, 13_000.0],
        "trivial": [13_000.0, 12_500.0, 11_000.0],
    }
    text = checkcost.report({"uvicorn": rates}, "python -m benchmarks.checkcost")
    row = next(line for line in text.splitlines() if line.startswith("| uvicorn "))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1].startswith("9,000 [8,000, 10,000, 9,000]")
    assert cells[4] == f"{9_000 / 12_500:.2f}"
    assert cells[5] == f"{12_000 / 12_500:.2f}"
    assert cells[6] == f"{1e6 / 9_000 - 1e6 / 12_000:.1f}"
