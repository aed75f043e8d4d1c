"""Range parsing (RFC 9110 §14): table tests for every shape of range-spec."""

from __future__ import annotations

import pytest

from servestatic.http.ranges import IGNORE, UNSATISFIABLE, RangeResult, parse_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-9", 100, ((0, 9),)),
        ("BYTES=0-9", 100, ((0, 9),)),  # the unit is case-insensitive
        ("bytes=90-", 100, ((90, 99),)),
        ("bytes=-10", 100, ((90, 99),)),
        ("bytes=-1000", 100, ((0, 99),)),  # suffix longer than the file: all of it
        ("bytes=0-1000", 100, ((0, 99),)),  # end clamped
        ("bytes=0-0", 100, ((0, 0),)),  # Safari's probe
        ("bytes=-1", 100, ((99, 99),)),
        ("bytes=-0", 100, UNSATISFIABLE),  # a zero suffix is unsatisfiable
        ("bytes=100-", 100, UNSATISFIABLE),
        ("bytes=100-200", 100, UNSATISFIABLE),
        ("bytes=0-", 0, UNSATISFIABLE),  # nothing is satisfiable in an empty file
        ("bytes=-5", 0, UNSATISFIABLE),
        ("bytes=5-2", 100, IGNORE),  # invalid spec: the header is ignored
        ("bytes=abc", 100, IGNORE),
        ("bytes=1-2-3", 100, IGNORE),
        ("bytes=+1-2", 100, IGNORE),
        ("bytes= 1-2", 100, ((1, 2),)),  # OWS around list members
        ("bytes=1 -2", 100, IGNORE),  # but not inside a spec
        ("bytes=\u0661-\u0662", 100, IGNORE),  # non-ASCII digits are not digits here
        ("items=0-9", 100, IGNORE),
        ("bytes", 100, IGNORE),
        ("bytes=", 100, IGNORE),
        ("bytes=,", 100, IGNORE),
        ("bytes=0-9,20-29", 100, ((0, 9), (20, 29))),
        ("bytes=20-29,0-9", 100, ((0, 9), (20, 29))),  # sorted
        ("bytes=0-9,5-14", 100, ((0, 14),)),  # overlapping ranges coalesce
        ("bytes=0-9,10-19", 100, ((0, 19),)),  # adjacent ones too
        ("bytes=0-9,,20-29", 100, ((0, 9), (20, 29))),  # empty members are ignored
        ("bytes=0-9,200-300", 100, ((0, 9),)),  # unsatisfiable members are dropped
        ("bytes=0-,0-", 100, IGNORE),  # asking for more than the file: 200
        ("bytes=0-59,40-99", 100, IGNORE),
    ],
)
def test_table(header: str, size: int, expected: RangeResult) -> None:
    assert parse_range(header, size, max_ranges=16) == expected


def test_more_ranges_than_allowed_are_ignored() -> None:
    header = "bytes=" + ",".join(f"{n * 10}-{n * 10}" for n in range(17))
    assert parse_range(header, 1000, max_ranges=16) == IGNORE
    assert parse_range(header, 1000, max_ranges=17) != IGNORE


def test_huge_numbers_do_not_overflow_or_convert() -> None:
    digits = "9" * 10_000  # int() of this would be slow (and refused by CPython)
    assert parse_range(f"bytes=0-{digits}", 100, max_ranges=16) == ((0, 99),)
    assert parse_range(f"bytes={digits}-", 100, max_ranges=16) == UNSATISFIABLE
    assert parse_range(f"bytes=-{digits}", 100, max_ranges=16) == ((0, 99),)
    # Over MAX_FIELD_LENGTH the header is not parsed at all: ignored, the file is sent.
    assert parse_range(f"bytes=0-{digits * 2}", 100, max_ranges=16) == IGNORE


def test_thousands_of_ranges_stop_at_the_cap() -> None:
    header = "bytes=" + "0-0," * 100_000
    assert parse_range(header, 10, max_ranges=16) == IGNORE
