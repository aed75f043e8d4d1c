"""Fuzz conditional-request evaluation and If-Range: any header text is handled."""

from __future__ import annotations

from fuzz._common import fields, run_atheris
from servestatic.http.dates import parse_http_date
from servestatic.http.preconditions import evaluate, if_range_allows, parse_etag_list

ETAG = '"5f3c2a1b-8c0"'
LAST_MODIFIED = "Sun, 06 Nov 1994 08:49:37 GMT"


def test_one_input(data: bytes) -> None:
    if_match, if_none_match, since, unmodified, if_range = fields(data, 5)
    star, tags = parse_etag_list(if_none_match)
    assert not (star and tags)
    assert all(tag.startswith('"') and tag.endswith('"') and len(tag) >= 2 for _, tag in tags)
    moment = parse_http_date(since)
    assert moment is None or isinstance(moment, int)
    for etag in (ETAG, "W/" + ETAG, None):
        result = evaluate(
            etag=etag,
            last_modified=784111777,
            if_match=if_match or None,
            if_none_match=if_none_match or None,
            if_modified_since=since or None,
            if_unmodified_since=unmodified or None,
        )
        assert result in {None, 304, 412}
        if if_match.strip(" \t") == "*":
            assert result != 412  # "*" matches any current file, and skips step 2
        allowed = if_range_allows(if_range, etag=etag, last_modified=LAST_MODIFIED)
        assert allowed in {True, False}
        if allowed and if_range.strip(" \t").startswith(('"', "W/")):
            assert if_range.strip(" \t") == etag


if __name__ == "__main__":
    run_atheris(test_one_input)
