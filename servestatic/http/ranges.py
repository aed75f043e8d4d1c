"""Byte ranges (RFC 9110 §14). Pure; linear in the length of the header.

::

    Range          = ranges-specifier
    ranges-specifier = range-unit "=" range-set
    range-set      = 1#range-spec
    range-spec     = int-range / suffix-range / other-range
    int-range      = first-pos "-" [ last-pos ]
    suffix-range   = "-" suffix-length
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from servestatic.http.records import MAX_FIELD_LENGTH

__all__ = ["IGNORE", "UNSATISFIABLE", "RangeResult", "parse_range"]

#: Sentinel: serve the whole representation with 200 (malformed, other unit, or too many).
IGNORE: Final = "ignore"
#: Sentinel: 416 with ``Content-Range: bytes */SIZE``.
UNSATISFIABLE: Final = "unsatisfiable"

#: Parsed and coalesced ranges as inclusive ``(first, last)`` pairs, sorted.
RangeResult = tuple[tuple[int, int], ...] | str

# More digits than this cannot be a position in any file; treating them as "huge" avoids
# int() on attacker-sized numbers (CPython converts digit strings in quadratic time).
_MAX_DIGITS = 18
_HUGE = 1_000_000_000_000_000_000  # 10 ** _MAX_DIGITS
_OWS = " \t"
_CACHE_LIMIT = 64


def _position(text: str) -> int | None:
    if not text or not text.isascii() or not text.isdigit():
        return None
    if len(text) > _MAX_DIGITS:
        return _HUGE
    return int(text)


def parse_range(header: str, size: int, max_ranges: int) -> RangeResult:
    """Evaluate a ``Range`` header against a representation of ``size`` bytes.

    Returns the ranges to send, :data:`IGNORE` (send 200) or :data:`UNSATISFIABLE` (416).
    Short headers (the usual ``bytes=0-1023``) are memoised; long ones are parsed afresh,
    and one over :data:`MAX_FIELD_LENGTH` is ignored (a server may always ignore Range).
    """
    if len(header) <= _CACHE_LIMIT:
        return _parse_cached(header, size, max_ranges)
    if len(header) > MAX_FIELD_LENGTH:
        return IGNORE
    return _parse(header, size, max_ranges)


@lru_cache(maxsize=1024)
def _parse_cached(header: str, size: int, max_ranges: int) -> RangeResult:
    return _parse(header, size, max_ranges)


def _parse(header: str, size: int, max_ranges: int) -> RangeResult:
    unit, equals, range_set = header.partition("=")
    # §14.1: range units are compared case-insensitively; only "bytes" is supported.
    if not equals or unit.strip(_OWS).lower() != "bytes":
        return IGNORE
    wanted: list[tuple[int, int]] = []
    specs = 0
    satisfiable_total = 0
    for raw_spec in range_set.split(","):
        spec = raw_spec.strip(_OWS)
        if not spec:
            continue  # §5.6.1: empty list members are allowed and ignored
        specs += 1
        if specs > max_ranges:
            return IGNORE  # a cap on work (Apache CVE-2011-3192): answer with the whole file
        first_text, dash, last_text = spec.partition("-")
        if not dash:
            return IGNORE
        if not first_text:
            suffix = _position(last_text)
            if suffix is None:
                return IGNORE
            # §14.1.3: a suffix of zero is unsatisfiable; one past the size means everything.
            if suffix > 0 and size > 0:
                wanted.append((max(0, size - suffix), size - 1))
            continue
        first = _position(first_text)
        if first is None:
            return IGNORE
        if last_text:
            last = _position(last_text)
            if last is None or last < first:
                return IGNORE  # §14.1.1: an invalid range-spec invalidates the header
        else:
            last = _HUGE
        if first < size:
            wanted.append((first, min(last, size - 1)))
    if specs == 0:
        return IGNORE
    if not wanted:
        return UNSATISFIABLE
    for first, last in wanted:
        satisfiable_total += last - first + 1
    # Asking for more bytes than the file has is an attack or a broken client (Go's rule):
    # the whole file is cheaper for everyone.
    if len(wanted) > 1 and satisfiable_total > size:
        return IGNORE
    return _coalesce(wanted)


def _coalesce(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Merge overlapping and adjacent ranges (§14.6 allows it), sorted by position."""
    ranges.sort()
    merged = [ranges[0]]
    for first, last in ranges[1:]:
        previous_first, previous_last = merged[-1]
        if first <= previous_last + 1:
            merged[-1] = (previous_first, max(previous_last, last))
        else:
            merged.append((first, last))
    return tuple(merged)
