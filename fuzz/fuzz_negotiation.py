"""Fuzz Accept-Encoding negotiation: the choice is acceptable and of maximal weight."""

from __future__ import annotations

from fuzz._common import run_atheris
from servestatic.http.negotiation import IDENTITY, choose, parse_accept_encoding

AVAILABLE = [("identity", 1000), ("zstd", 300), ("br", 280), ("gzip", 350)]


def _weight(preferences: dict[str, int], coding: str) -> int:
    if coding in preferences:
        return preferences[coding]
    if "*" in preferences:
        return preferences["*"]
    return 1 if coding == IDENTITY else 0


def test_one_input(data: bytes) -> None:
    header = data.decode("latin-1")
    preferences = parse_accept_encoding(header)
    assert all(0 <= weight <= 1000 for weight in preferences.values())
    for available in (AVAILABLE, AVAILABLE[:1], AVAILABLE[1:]):
        chosen = choose(header, available)
        best = max(_weight(preferences, coding) for coding, _ in available)
        if chosen is None:
            assert best == 0
            continue
        coding, _ = available[chosen]
        assert _weight(preferences, coding) == best > 0


if __name__ == "__main__":
    run_atheris(test_one_input)
