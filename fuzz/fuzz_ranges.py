"""Fuzz the Range parser: any header, size and cap gives a well-formed answer.

Input: 4 bytes of size, 1 byte of cap, the rest is the header value.
"""

from __future__ import annotations

from fuzz._common import run_atheris
from servestatic.http.ranges import IGNORE, UNSATISFIABLE, parse_range


def test_one_input(data: bytes) -> None:
    size = int.from_bytes(data[:4], "big") % (1 << 31)
    cap = (data[4] % 32) + 1 if len(data) > 4 else 16
    header = data[5:].decode("latin-1")
    result = parse_range(header, size, cap)
    if isinstance(result, str):
        assert result in {IGNORE, UNSATISFIABLE}
        return
    assert 1 <= len(result) <= cap
    previous = -2
    total = 0
    for first, last in result:
        assert 0 <= first <= last < size, (first, last, size)
        assert first > previous + 1, "not sorted and coalesced"
        previous = last
        total += last - first + 1
    assert total <= size


if __name__ == "__main__":
    run_atheris(test_one_input)
