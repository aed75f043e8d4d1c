"""Content-coding negotiation from ``Accept-Encoding`` (RFC 9110 §12.5.3). Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from servestatic.http.records import MAX_FIELD_LENGTH

__all__ = [
    "IDENTITY",
    "Preferences",
    "choose",
    "choose_ranked",
    "parse_accept_encoding",
]

IDENTITY = "identity"
# RFC 9110 §8.4.1.3: "x-gzip" is an alias of "gzip".
_ALIASES = {"x-gzip": "gzip"}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )   (RFC 9110 §12.4.2)
_QVALUE = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\Z")
# An identity coding nobody mentioned is acceptable (§12.5.3) but least preferred: a client
# that lists only "br;q=0.5" wants br.
_UNLISTED_IDENTITY = 1
_CACHE_LIMIT = 256
# Decisions of choose_ranked: browsers send a handful of distinct Accept-Encoding values and
# files come in a handful of coding sets, so a small table answers nearly every request.
_DECISIONS_LIMIT = 4096
_decisions: dict[tuple[str | None, tuple[str, ...]], int | None] = {}
_UNSET = -1

#: Parsed header: coding (lower case) -> weight in thousandths (0-1000).
Preferences = dict[str, int]


def parse_accept_encoding(header: str) -> Preferences:
    """Parse an ``Accept-Encoding`` value. Malformed members are ignored, never fatal; a
    value over :data:`MAX_FIELD_LENGTH` is ignored whole (identity is then the choice)."""
    if len(header) <= _CACHE_LIMIT:
        return _parse_cached(header)
    if len(header) > MAX_FIELD_LENGTH:
        return {}
    return _parse(header)


@lru_cache(maxsize=512)
def _parse_cached(header: str) -> Preferences:
    return _parse(header)


def _parse(header: str) -> Preferences:
    preferences: Preferences = {}
    for member in header.split(","):
        coding, _, parameters = member.partition(";")
        coding = coding.strip(" \t").lower()
        if not coding or not _TOKEN.match(coding):
            continue
        weight = 1000
        if parameters:
            name, equals, raw = parameters.partition("=")
            if name.strip(" \t").lower() != "q" or not equals:
                continue
            raw = raw.strip(" \t")
            if not _QVALUE.match(raw):
                continue  # an invalid weight makes the member meaningless; skip it
            weight = round(float(raw) * 1000)
        coding = _ALIASES.get(coding, coding)
        # A coding listed twice keeps its highest weight.
        preferences[coding] = max(weight, preferences.get(coding, -1))
    return preferences


def _weight(preferences: Preferences, coding: str) -> int:
    if coding in preferences:
        return preferences[coding]
    if "*" in preferences:
        return preferences["*"]
    return _UNLISTED_IDENTITY if coding == IDENTITY else 0


def choose(header: str | None, available: Sequence[tuple[str, int]]) -> int | None:
    """Pick an index into ``available`` (``(coding, size)`` pairs), or None if none is acceptable.

    No header means identity only (compressed bodies are never sent unasked, as nginx does).
    The highest weight wins; ties go to the smaller file, then to the earlier entry.
    """
    if header is None:
        for index, (coding, _) in enumerate(available):
            if coding == IDENTITY:
                return index
        return None
    preferences = parse_accept_encoding(header)
    best: int | None = None
    best_key: tuple[int, int] = (0, 0)
    for index, (coding, size) in enumerate(available):
        weight = _weight(preferences, coding)
        if weight <= 0:
            continue
        key = (weight, -size)
        if best is None or key > best_key:
            best, best_key = index, key
    return best


def choose_ranked(header: str | None, ranking: tuple[str, ...]) -> int | None:
    """:func:`choose` for codings listed smallest file first: the position chosen in ``ranking``.

    With the sizes already folded into the order (ties go to the earlier, smaller file),
    the answer depends only on the header and the coding names, so it is remembered (for
    headers up to 256 characters, in a table cleared when it reaches 4,096 entries).
    """
    key = (header, ranking)
    decided = _decisions.get(key, _UNSET)
    if decided != _UNSET:
        return decided
    if header is None:
        decided = ranking.index(IDENTITY) if IDENTITY in ranking else None
    else:
        preferences = parse_accept_encoding(header)
        decided, best = None, 0
        for position, coding in enumerate(ranking):
            weight = _weight(preferences, coding)
            if weight > best:
                decided, best = position, weight
        if len(header) > _CACHE_LIMIT:
            return decided
    if len(_decisions) >= _DECISIONS_LIMIT:
        _decisions.clear()
    _decisions[key] = decided
    return decided
