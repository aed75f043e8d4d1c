"""A small reader for the ``_headers`` / ``_redirects`` subset the Netlify export writes, and
a model of how the hosts apply those rules (as Netlify documents them: first matching
redirect wins, a rule without ``!`` does not shadow an existing file, ``:name`` and a
trailing ``*`` capture). Parsing is the configuration source's (``servestatic.config.
_hostfiles``), into the writer's own records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, unquote

from servestatic.config import _hostfiles as hostfiles
from servestatic.export.netlify import HeaderRule, RedirectRule

__all__ = ["Outcome", "apply", "parse_headers", "parse_redirects"]


def parse_headers(text: str) -> tuple[HeaderRule, ...]:
    """The configuration source's own parser, into the writer's records."""
    blocks, problems = hostfiles.parse_headers(text)
    assert not problems, problems
    return tuple(HeaderRule(block.path, block.headers) for block in blocks)


def parse_redirects(text: str) -> tuple[RedirectRule, ...]:
    lines, problems = hostfiles.parse_redirects(text)
    assert not problems, problems
    return tuple(RedirectRule(x.source, x.target, x.status, x.force) for x in lines)


@cache
def _pattern(source: str) -> re.Pattern[str]:
    parts = source.split("/")[1:]
    regex = ""
    for index, part in enumerate(parts):
        if part == "*" and index == len(parts) - 1:
            regex += r"(?:/(?P<splat>.*))?"
        elif part.startswith(":"):
            regex += f"/(?P<{part[1:]}>[^/]+)"
        else:
            regex += "/" + re.escape(unquote(part))
    return re.compile(rf"\A{regex}\Z")


@dataclass(frozen=True)
class Outcome:
    status: int
    headers: tuple[tuple[str, str], ...]
    location: str | None = None  # a redirect's target
    served: str | None = None  # the URL whose file is sent (a rewrite, the 404 page)


def apply(
    path: str,
    headers: tuple[HeaderRule, ...],
    redirects: tuple[RedirectRule, ...],
    files: frozenset[str],
) -> Outcome:
    """What the host answers for a GET of ``path`` (decoded) when ``files`` are deployed."""
    for rule in redirects:
        found = _pattern(rule.source).match(path)
        if found is None or (path in files and not rule.force):
            continue
        target = _substitute(rule.target, found)
        if 300 <= rule.status < 400:
            return Outcome(rule.status, (), location=target)
        served = unquote(target)
        return Outcome(rule.status, _headers_for(served, headers), served=served)
    if path in files:
        return Outcome(200, _headers_for(path, headers), served=path)
    return Outcome(404, (), served=None)


def _substitute(target: str, found: re.Match[str]) -> str:
    captures = {name: quote(value or "", safe="/") for name, value in found.groupdict().items()}
    return re.sub(r":([A-Za-z_]\w*)", lambda m: captures.get(m.group(1), ""), target)


def _headers_for(path: str, blocks: tuple[HeaderRule, ...]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for block in blocks:
        if _pattern(block.path).match(path):
            pairs.extend(block.headers)
    return tuple(pairs)
