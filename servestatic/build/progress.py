"""What the build tells the person running it: a progress bar, warnings, a summary.

The bar is drawn only on a terminal (``stream.isatty()``) and never with ``quiet``; in CI
logs there is no bar, only the summary. Errors are always written: ``quiet`` silences
progress and summaries, never the reason a build failed.
"""

from __future__ import annotations

import time
from typing import TextIO

from servestatic.build.codecs import CODINGS
from servestatic.build.compress import CompressStats

__all__ = ["Reporter", "format_size", "summary_lines"]

_BAR_WIDTH = 30
_REDRAW_SECONDS = 0.1


def format_size(size: int) -> str:
    """``1234567`` → ``1.2 MB`` (decimal units, like ``ls -h --si``)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover - the loop always returns


def summary_lines(stats: CompressStats, workers: int) -> list[str]:
    """The compression summary: files, time, and bytes before → after per coding."""
    unchanged = f", {stats.cached} unchanged since the last run" if stats.cached else ""
    lines = [
        f"compressed {stats.compressed} of {stats.files} file{'s' if stats.files != 1 else ''}"
        f"{unchanged} "
        f"in {stats.seconds:.1f}s ({workers} thread{'s' if workers != 1 else ''})"
    ]
    for coding in CODINGS:
        if coding not in stats.totals:
            continue
        before, after = stats.totals[coding]
        saved = 100 - round(100 * after / before) if before else 0
        lines.append(
            f"  {coding:<5} {format_size(before):>9} → {format_size(after):>9} ({saved}% smaller)"
        )
    return lines


class Reporter:
    """Writes progress to ``err`` (a terminal only), summaries to ``out``, errors to ``err``."""

    def __init__(self, out: TextIO, err: TextIO, *, quiet: bool = False) -> None:
        self.out = out
        self.err = err
        self.quiet = quiet
        self.show_bar = not quiet and _is_terminal(err)
        self._last_draw = 0.0
        self._drawn = False

    def info(self, message: str) -> None:
        if not self.quiet:
            self._clear_bar()
            self.out.write(message + "\n")

    def warn(self, message: str) -> None:
        if not self.quiet:
            self._clear_bar()
            self.err.write(f"warning: {message}\n")

    def error(self, message: str) -> None:
        self._clear_bar()
        self.err.write(f"error: {message}\n")

    def progress(self, done: int, total: int) -> None:
        """Redraw the bar (at most ten times a second, and always at the end)."""
        if not self.show_bar or total == 0:
            return
        now = time.monotonic()
        if done < total and now - self._last_draw < _REDRAW_SECONDS:
            return
        self._last_draw = now
        filled = _BAR_WIDTH * done // total
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        self.err.write(f"\rcompressing [{bar}] {done}/{total}")
        self._drawn = True
        if done == total:
            self._clear_bar()
        self.err.flush()

    def _clear_bar(self) -> None:
        if self._drawn:
            self.err.write("\r" + " " * (_BAR_WIDTH + 40) + "\r")
            self._drawn = False


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False
