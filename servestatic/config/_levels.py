"""Compression levels, checked without the settings model (no pydantic).

``servestatic build`` / ``compress`` and the ``Compressor`` check ``--zstd-level`` before
they know whether any configuration has to be read; importing pydantic for a range check
cost every build about 0.15 s (issue 19 item 5).
"""

from __future__ import annotations

__all__ = ["ZSTD_LEVELS", "zstd_level_problem"]

#: Zstandard's levels (20-22 are what the zstd CLI calls ``--ultra``). The one range: the
#: settings model, Django's settings, ``servestatic compress`` / ``build`` and the
#: ``Compressor`` all check a level with :func:`zstd_level_problem`.
ZSTD_LEVELS = range(1, 23)


def zstd_level_problem(level: int) -> str | None:
    """What is wrong with a zstd level (callers add its name and ``, got LEVEL``, as a
    configuration problem reads), None for a level zstd has."""
    if level in ZSTD_LEVELS:
        return None
    return f"must be between {ZSTD_LEVELS[0]} and {ZSTD_LEVELS[-1]}"
