"""Accept-Encoding parsing and choice (RFC 9110 §12.5.3)."""

from __future__ import annotations

import pytest

from servestatic.http.negotiation import choose, parse_accept_encoding

AVAILABLE = [("identity", 1000), ("zstd", 300), ("br", 280), ("gzip", 350)]


def chosen(header: str | None, available: list[tuple[str, int]] = AVAILABLE) -> str | None:
    index = choose(header, available)
    return None if index is None else available[index][0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "identity"),  # no header: never compress unasked
        ("", "identity"),  # empty: identity only
        ("gzip", "gzip"),
        ("GZIP", "gzip"),  # codings are case-insensitive
        ("x-gzip", "gzip"),  # §8.4.1.3 alias
        ("gzip, br", "br"),  # equal weight: the smaller file
        ("gzip, br, zstd", "br"),
        ("br;q=0.1, gzip;q=1", "gzip"),  # the client's preference beats size
        ("br;q=0, gzip", "gzip"),  # q=0 excludes
        ("br;q=0.5", "br"),  # an unlisted identity is the last resort
        ("*", "br"),  # * covers every coding: the smallest
        ("*;q=0", None),  # nothing, not even identity
        ("*;q=0, identity", "identity"),
        ("identity;q=0", None),
        ("identity;q=0, gzip;q=0.5", "gzip"),
        ("gzip;q=0.5, *;q=0.1", "gzip"),
        ("gzip;q=0.5, *;q=0.6", "br"),
        ("deflate", "identity"),  # unknown codings are ignored
        ("gzip;q=2", "identity"),  # an invalid weight drops the member
        ("gzip;q=0.1234", "identity"),
        ("gzip;foo=1", "identity"),
        ("gzip ; q=0.8 , br ; q=0.9", "br"),
        (",,, gzip ,,", "gzip"),
        ("gzip;q=1.000", "gzip"),
        ("gzip;q=0.000", "identity"),
    ],
)
def test_choice(header: str | None, expected: str | None) -> None:
    assert chosen(header) == expected


def test_identity_wins_ties_of_equal_size() -> None:
    assert chosen("gzip;q=1, identity;q=1", [("identity", 10), ("gzip", 10)]) == "identity"


def test_only_identity_available() -> None:
    assert chosen("br, gzip", [("identity", 10)]) == "identity"
    assert chosen("identity;q=0", [("identity", 10)]) is None


def test_parse_keeps_the_highest_weight_of_a_repeated_coding() -> None:
    assert parse_accept_encoding("gzip;q=0.2, gzip;q=0.7") == {"gzip": 700}


def test_long_headers_are_parsed_without_caching() -> None:
    header = "gzip;q=0.5, " + ", ".join(f"x{index}" for index in range(2000)) + ", br"
    assert parse_accept_encoding(header)["br"] == 1000
    assert chosen(header) == "br"
