"""Properties of conditional requests: RFC 9110 §13.2.2 evaluation order, against a model
written from the RFC text (entity-tag lists and dates generated, not parsed)."""

from __future__ import annotations

import calendar
import time
from email.utils import formatdate

from hypothesis import given, settings
from hypothesis import strategies as st

from servestatic.http.preconditions import evaluate, if_range_allows, parse_etag_list

SETTINGS = settings(deadline=None, max_examples=400)

opaque = st.sampled_from(["a", "b", "ab", "a,b", "", "W/x", " "]).map(lambda tag: f'"{tag}"')
tags = st.tuples(st.booleans(), opaque)  # (weak, opaque-tag)
etags = st.one_of(st.none(), tags.map(lambda tag: ("W/" if tag[0] else "") + tag[1]))
timestamps = st.integers(min_value=0, max_value=3_155_759_999)  # 1970 to 2069
# A two-digit RFC 850 year means a year from 49 years ago to 50 years ahead (§5.6.7).
_YEAR = time.gmtime().tm_year
rfc850_timestamps = st.integers(
    min_value=calendar.timegm((_YEAR - 49, 1, 1, 0, 0, 0)),
    max_value=calendar.timegm((_YEAR + 50, 12, 31, 23, 59, 59)),
)


@st.composite
def tag_lists(draw: st.DrawFn) -> tuple[str, bool, list[tuple[bool, str]]]:
    """``*`` or a list of entity-tags (with optional whitespace and empty members)."""
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(st.sampled_from(["*", " * ", "\t*"])), True, []
    items = draw(st.lists(tags, max_size=5))
    members = [
        draw(st.sampled_from(["", " ", "\t"])) + ("W/" if weak else "") + tag for weak, tag in items
    ]
    if draw(st.booleans()):
        members.insert(draw(st.integers(0, len(members))), "")
    return ",".join(members), False, items


@st.composite
def dates(draw: st.DrawFn) -> tuple[str, int | None]:
    """An HTTP date in one of the three forms (or garbage), and what it means."""
    moment = draw(timestamps)
    form = draw(st.sampled_from(["imf", "rfc850", "asctime", "garbage"]))
    if form == "imf":
        return formatdate(moment, usegmt=True), moment
    if form == "rfc850":
        moment = draw(rfc850_timestamps)
        return time.strftime("%A, %d-%b-%y %H:%M:%S GMT", time.gmtime(moment)), moment
    if form == "asctime":
        return time.asctime(time.gmtime(moment)), moment
    return draw(st.sampled_from(["", "yesterday", "Sun, 32 Nov 1994 08:49:37 GMT", "0"])), None


def strong_match(etag: str | None, star: bool, items: list[tuple[bool, str]]) -> bool:
    """§13.1.1: ``*`` matches a current representation; otherwise strong comparison."""
    if star:
        return True
    return etag is not None and not etag.startswith("W/") and (False, etag) in items


def weak_match(etag: str | None, star: bool, items: list[tuple[bool, str]]) -> bool:
    """§13.1.2: ``*`` or weak comparison (opaque tags equal, W/ ignored on both sides)."""
    if star:
        return True
    return etag is not None and etag.removeprefix("W/") in {tag for _, tag in items}


headers = st.one_of(st.none(), tag_lists())
date_headers = st.one_of(st.none(), dates())


@SETTINGS
@given(
    etags,
    st.one_of(st.none(), timestamps),
    headers,
    headers,
    date_headers,
    date_headers,
)
def test_evaluation_follows_rfc_9110_section_13_2_2(
    etag: str | None,
    last_modified: int | None,
    if_match: tuple[str, bool, list[tuple[bool, str]]] | None,
    if_none_match: tuple[str, bool, list[tuple[bool, str]]] | None,
    if_modified_since: tuple[str, int | None] | None,
    if_unmodified_since: tuple[str, int | None] | None,
) -> None:
    expected: int | None = None
    # Step 1: If-Match; step 2 only when If-Match is absent.
    if if_match is not None:
        if not strong_match(etag, if_match[1], if_match[2]):
            expected = 412
    elif if_unmodified_since is not None:
        limit = if_unmodified_since[1]
        if limit is not None and last_modified is not None and last_modified > limit:
            expected = 412
    # Step 3: If-None-Match; step 4 only when If-None-Match is absent (GET/HEAD → 304).
    if expected is None:
        if if_none_match is not None:
            if weak_match(etag, if_none_match[1], if_none_match[2]):
                expected = 304
        elif if_modified_since is not None:
            since = if_modified_since[1]
            if since is not None and last_modified is not None and last_modified <= since:
                expected = 304
    result = evaluate(
        etag=etag,
        last_modified=last_modified,
        if_match=None if if_match is None else if_match[0],
        if_none_match=None if if_none_match is None else if_none_match[0],
        if_modified_since=None if if_modified_since is None else if_modified_since[0],
        if_unmodified_since=None if if_unmodified_since is None else if_unmodified_since[0],
    )
    assert result == expected


@SETTINGS
@given(tag_lists())
def test_entity_tag_lists_parse_to_their_members(
    header: tuple[str, bool, list[tuple[bool, str]]],
) -> None:
    text, star, items = header
    assert parse_etag_list(text) == (star, () if star else tuple(items))


@SETTINGS
@given(st.text(max_size=200), etags, st.one_of(st.none(), timestamps))
def test_any_header_text_is_handled(text: str, etag: str | None, moment: int | None) -> None:
    result = evaluate(
        etag=etag,
        last_modified=moment,
        if_match=text,
        if_none_match=text,
        if_modified_since=text,
        if_unmodified_since=text,
    )
    assert result in {None, 304, 412}
    last_modified = None if moment is None else formatdate(moment, usegmt=True)
    assert if_range_allows(text, etag=etag, last_modified=last_modified) in {True, False}


@SETTINGS
@given(etags, timestamps, st.one_of(tags, dates()))
def test_if_range_needs_a_strong_exact_validator(
    etag: str | None, moment: int, validator: tuple[bool, str] | tuple[str, int | None]
) -> None:
    """§13.1.5: an entity-tag must match strongly; a date must equal Last-Modified."""
    last_modified = formatdate(moment, usegmt=True)
    if isinstance(validator[0], bool):
        weak, tag = validator
        text = ("W/" if weak else "") + str(tag)
        expected = not weak and etag is not None and not etag.startswith("W/") and text == etag
    else:
        text, meaning = str(validator[0]), validator[1]
        expected = meaning is not None and meaning == moment
    assert if_range_allows(text, etag=etag, last_modified=last_modified) == expected
