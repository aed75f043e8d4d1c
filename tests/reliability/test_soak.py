"""A small, bounded version of ``scripts/soak``: 2,000 mixed requests at concurrency 64
under uvicorn and gunicorn, every response checked byte for byte.

Memory is only bounded loosely here (the first requests fill the memory cache and create
the connections and worker threads); flatness over a long run is what ``scripts/soak``
measures, with the figures in ``docs/reliability.md``.
"""

from __future__ import annotations

import pytest

from tests.reliability.soak import KINDS, format_table, run

pytestmark = pytest.mark.servers


@pytest.mark.timeout(600)
def test_bounded_soak() -> None:
    reports = run(["uvicorn", "gunicorn"], requests=2_000, concurrency=64, every=0.5)
    table = format_table(reports)
    for report in reports:
        assert report.failures == []
        assert report.errors == 0, table
        assert sum(report.kinds.values()) == 2_000
        assert set(report.kinds) == set(KINDS), report.kinds
        assert {"200", "206", "302", "304", "404"} <= set(report.statuses), report.statuses
        assert report.workers_stable, table
        assert report.fds_after <= report.fds_before + report.held_allowance, table
        assert report.rss_growth < 32 * 1024 * 1024, table
    assert "wrong responses" in table
