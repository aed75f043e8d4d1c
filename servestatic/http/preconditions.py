"""Conditional requests (RFC 9110 §13): entity-tag lists and the §13.2.2 evaluation order. Pure."""

from __future__ import annotations

from functools import lru_cache

from servestatic.http.dates import parse_http_date
from servestatic.http.records import MAX_FIELD_LENGTH

__all__ = ["evaluate", "if_range_allows", "parse_etag_list"]

_CACHE_LIMIT = 512


@lru_cache(maxsize=512)
def _parse_cached(value: str) -> tuple[bool, tuple[tuple[bool, str], ...]]:
    return _parse(value)


def parse_etag_list(value: str) -> tuple[bool, tuple[tuple[bool, str], ...]]:
    """Parse ``"*"`` or ``#entity-tag``; returns (is_star, ((weak, opaque_tag), ...)).

    entity-tag = [ weak ] opaque-tag ; weak = %s"W/" ; opaque-tag = DQUOTE *etagc DQUOTE

    ``etagc`` allows commas, so the list is scanned rather than split. Malformed members
    are skipped. A value over :data:`MAX_FIELD_LENGTH` is malformed as a whole: it matches
    nothing (If-None-Match is then false, so a 200 is sent; If-Match fails with 412).
    """
    if len(value) <= _CACHE_LIMIT:
        return _parse_cached(value)
    if len(value) > MAX_FIELD_LENGTH:
        return False, ()
    return _parse(value)


def _parse(value: str) -> tuple[bool, tuple[tuple[bool, str], ...]]:
    if value.strip(" \t") == "*":
        return True, ()
    tags: list[tuple[bool, str]] = []
    index = 0
    length = len(value)
    while index < length:
        char = value[index]
        if char in " \t,":
            index += 1
            continue
        weak = False
        if value.startswith("W/", index):
            weak = True
            index += 2
        if index < length and value[index] == '"':
            end = value.find('"', index + 1)
            if end < 0:
                break
            tags.append((weak, value[index : end + 1]))
            index = end + 1
        else:
            # Not an entity-tag: skip to the next comma.
            comma = value.find(",", index)
            if comma < 0:
                break
            index = comma + 1
    return False, tuple(tags)


def _strong_match(etag: str | None, header: str) -> bool:
    """§13.1.1 If-Match: "*" matches any current representation; else strong comparison."""
    star, tags = parse_etag_list(header)
    if star:
        return True
    if etag is None or etag.startswith("W/"):
        return False
    return any(not weak and tag == etag for weak, tag in tags)


def _weak_match(etag: str | None, header: str) -> bool:
    """§13.1.2 If-None-Match: "*" or weak comparison (the W/ prefix is ignored)."""
    star, tags = parse_etag_list(header)
    if star:
        return True
    if etag is None:
        return False
    opaque = etag.removeprefix("W/")
    return any(tag == opaque for _, tag in tags)


def evaluate(
    *,
    etag: str | None,
    last_modified: int | None,
    if_match: str | None,
    if_none_match: str | None,
    if_modified_since: str | None,
    if_unmodified_since: str | None,
) -> int | None:
    """Return 412 or 304 when a precondition decides the response, else None (continue).

    Order of RFC 9110 §13.2.2, for GET and HEAD (the only methods served):
      1. If-Match false → 412;
      2. else If-Unmodified-Since (a valid date) and modified after it → 412;
      3. If-None-Match matches → 304;
      4. else If-Modified-Since (a valid date) and not modified after it → 304.
    Invalid dates are ignored (§13.1.3, §13.1.4).
    """
    if if_match is not None:
        if not _strong_match(etag, if_match):
            return 412
    elif if_unmodified_since is not None and last_modified is not None:
        limit = parse_http_date(if_unmodified_since)
        if limit is not None and last_modified > limit:
            return 412
    if if_none_match is not None:
        if _weak_match(etag, if_none_match):
            return 304
    elif if_modified_since is not None and last_modified is not None:
        since = parse_http_date(if_modified_since)
        if since is not None and last_modified <= since:
            return 304
    return None


def if_range_allows(header: str, *, etag: str | None, last_modified: str | None) -> bool:
    """§13.1.5: apply Range only if the validator still identifies this representation.

    An entity-tag must match strongly (a weak tag never does); a date must equal the
    Last-Modified value exactly.
    """
    if len(header) > MAX_FIELD_LENGTH:
        return False  # malformed: the whole representation is sent
    value = header.strip(" \t")
    if value.startswith(('"', "W/")):
        return etag is not None and not value.startswith("W/") and value == etag
    if last_modified is None:
        return False
    parsed = parse_http_date(value)
    return parsed is not None and parsed == parse_http_date(last_modified)
