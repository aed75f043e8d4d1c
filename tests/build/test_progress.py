"""The progress bar, the quiet switch and the summary."""

from __future__ import annotations

import io

from servestatic.build.compress import CompressStats, FileOutcome
from servestatic.build.progress import Reporter, format_size, summary_lines


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Closed(io.StringIO):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


def test_bar_is_drawn_on_a_terminal_and_cleared_at_the_end() -> None:
    err = Terminal()
    reporter = Reporter(io.StringIO(), err)
    reporter.progress(0, 4)
    reporter.progress(4, 4)
    text = err.getvalue()
    assert "\rcompressing [------------------------------] 0/4" in text
    assert "\rcompressing [##############################] 4/4" in text
    assert text.endswith("\r")


def test_no_bar_when_not_a_terminal_or_quiet() -> None:
    plain, quiet_err = io.StringIO(), Terminal()
    Reporter(io.StringIO(), plain).progress(1, 2)
    Reporter(io.StringIO(), quiet_err, quiet=True).progress(1, 2)
    Reporter(io.StringIO(), Closed()).progress(1, 2)
    assert plain.getvalue() == quiet_err.getvalue() == ""


def test_quiet_keeps_errors_only() -> None:
    out, err = io.StringIO(), io.StringIO()
    reporter = Reporter(out, err, quiet=True)
    reporter.info("summary")
    reporter.warn("careful")
    reporter.error("broken")
    assert out.getvalue() == ""
    assert err.getvalue() == "error: broken\n"


def test_messages_clear_the_bar_first() -> None:
    out, err = io.StringIO(), Terminal()
    reporter = Reporter(out, err)
    reporter.progress(1, 3)
    reporter.warn("careful")
    assert err.getvalue().endswith("\rwarning: careful\n")


def test_summary_lines() -> None:
    stats = CompressStats()
    stats.add(FileOutcome("a.css", 10_000, {"br": 2_000, "gzip": 2_500}))
    stats.add(FileOutcome("b.css", 5_000, {"br": 1_000}, cached=True))
    stats.add(FileOutcome("c.css", 0, error="Permission denied"))
    stats.seconds = 1.25
    assert summary_lines(stats, 2) == [
        "compressed 1 of 3 files, 1 unchanged since the last run in 1.2s (2 threads)",
        "  br      15.0 kB →    3.0 kB (80% smaller)",
        "  gzip    10.0 kB →    2.5 kB (75% smaller)",
    ]
    assert stats.failures == [("c.css", "Permission denied")]
    assert summary_lines(CompressStats(), 1) == ["compressed 0 of 0 files in 0.0s (1 thread)"]


def test_format_size() -> None:
    assert [format_size(n) for n in (0, 999, 1000, 1_234_567, 5 * 10**12)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "1.2 MB",
        "5000.0 GB",
    ]
