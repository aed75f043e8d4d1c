"""Conditional requests: entity-tag lists, dates and the RFC 9110 §13.2.2 order."""

from __future__ import annotations

import calendar

import pytest

from servestatic.http import dates as _dates
from servestatic.http.dates import format_http_date, parse_http_date
from servestatic.http.preconditions import evaluate, if_range_allows, parse_etag_list

ETAG = '"abc-1"'
MODIFIED = 1_700_000_000
LAST_MODIFIED = format_http_date(MODIFIED)
BEFORE = format_http_date(MODIFIED - 10)
AFTER = format_http_date(MODIFIED + 10)


def decide(**headers: str) -> int | None:
    return evaluate(
        etag=ETAG,
        last_modified=MODIFIED,
        if_match=headers.get("if_match"),
        if_none_match=headers.get("if_none_match"),
        if_modified_since=headers.get("if_modified_since"),
        if_unmodified_since=headers.get("if_unmodified_since"),
    )


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"if_none_match": ETAG}, 304),
        ({"if_none_match": f"W/{ETAG}"}, 304),  # weak comparison
        ({"if_none_match": f'"x", {ETAG}'}, 304),  # lists
        ({"if_none_match": '"x", "y"'}, None),
        ({"if_none_match": "*"}, 304),
        ({"if_none_match": "garbage"}, None),
        ({"if_modified_since": LAST_MODIFIED}, 304),
        ({"if_modified_since": AFTER}, 304),
        ({"if_modified_since": BEFORE}, None),
        ({"if_modified_since": "not a date"}, None),  # invalid dates are ignored
        # If-None-Match takes precedence: a rollback must not 304 on a future date.
        ({"if_none_match": '"old"', "if_modified_since": AFTER}, None),
        ({"if_match": ETAG}, None),
        ({"if_match": "*"}, None),
        ({"if_match": '"other"'}, 412),
        ({"if_match": f"W/{ETAG}"}, 412),  # If-Match uses strong comparison
        ({"if_unmodified_since": AFTER}, None),
        ({"if_unmodified_since": BEFORE}, 412),
        ({"if_unmodified_since": "yesterday"}, None),
        # If-Match present: If-Unmodified-Since is not evaluated.
        ({"if_match": ETAG, "if_unmodified_since": BEFORE}, None),
        # 412 checks come before 304 checks.
        ({"if_match": '"other"', "if_none_match": ETAG}, 412),
    ],
)
def test_order_and_outcomes(headers: dict[str, str], expected: int | None) -> None:
    assert decide(**headers) == expected


def test_no_validators_means_no_304() -> None:
    assert (
        evaluate(
            etag=None,
            last_modified=None,
            if_match=None,
            if_none_match='"x"',
            if_modified_since=AFTER,
            if_unmodified_since=None,
        )
        is None
    )


def test_etag_list_allows_commas_inside_tags() -> None:
    assert parse_etag_list('"a,b", W/"c"') == (False, ((False, '"a,b"'), (True, '"c"')))
    assert parse_etag_list(" * ") == (True, ())
    assert parse_etag_list('junk, "ok"') == (False, ((False, '"ok"'),))
    assert parse_etag_list('"unterminated') == (False, ())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ETAG, True),
        (f"W/{ETAG}", False),  # weak validators never allow a range
        ('"other"', False),
        (LAST_MODIFIED, True),
        (BEFORE, False),
        ("not a date", False),
    ],
)
def test_if_range(value: str, expected: bool) -> None:
    assert if_range_allows(value, etag=ETAG, last_modified=LAST_MODIFIED) is expected


def test_if_range_date_without_last_modified() -> None:
    assert if_range_allows(LAST_MODIFIED, etag=ETAG, last_modified=None) is False


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  # RFC 850
        "Sun Nov  6 08:49:37 1994",  # asctime
    ],
)
def test_three_date_forms(value: str) -> None:
    assert parse_http_date(value) == 784111777


@pytest.mark.parametrize(
    ("two_digits", "year"),
    [("26", 2026), ("76", 2076), ("77", 1977), ("70", 2070), ("99", 1999), ("00", 2000)],
)
def test_rfc850_year_is_within_fifty_years_ahead(
    monkeypatch: pytest.MonkeyPatch, two_digits: str, year: int
) -> None:
    """RFC 9110 §5.6.7, seen from 2026: only years more than 50 ahead are the past century."""
    monkeypatch.setattr(_dates, "_current_year", lambda: 2026)
    _dates._parse_cached.cache_clear()
    try:
        parsed = parse_http_date(f"Thursday, 01-Jan-{two_digits} 00:00:00 GMT")
    finally:
        _dates._parse_cached.cache_clear()
    assert parsed == calendar.timegm((year, 1, 1, 0, 0, 0))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "x" * 1000,
        "1994-11-06",
    ],
)
def test_invalid_dates(value: str) -> None:
    assert parse_http_date(value) is None


def test_format_is_gmt_whatever_the_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert format_http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
