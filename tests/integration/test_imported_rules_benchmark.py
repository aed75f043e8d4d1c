"""``benchmarks/imported_rules.py`` keeps working: it builds both sites, checks that they
answer alike, and prints its numbers (a tiny run: the timings themselves are not tested)."""

from __future__ import annotations

import pytest

from benchmarks import imported_rules


def test_the_benchmark_runs_and_compares_like_for_like(capsys: pytest.CaptureFixture[str]) -> None:
    assert imported_rules.main(["--rounds", "1", "--number", "10"]) == 0
    out = capsys.readouterr().out
    assert "toml: 100 rules" in out
    assert "_headers: 101 rules" in out
    assert "matched (/f57.js): toml " in out
