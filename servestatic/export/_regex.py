"""servestatic's URL globs and redirect patterns as regular expressions for other engines.

The expressions use only what PCRE (nginx) and RE2 (Caddy) share: classes, ``(?:...)``,
``(?P<name>...)``, ``(?i:...)`` and anchors. Globs are matched against the decoded path,
exactly as servestatic matches them; redirect patterns against the path as the client sent
it (percent-encoded), so that a capture is copied into ``Location`` still encoded.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from servestatic.http.glob import GlobError, expand_braces

__all__ = ["glob_regex", "redirect_regex", "redirect_template"]

_PLACEHOLDER = re.compile(r":([A-Za-z_]\w*)")
# RFC 3986 unreserved characters plus the sub-delimiters and ":"/"@" a path may carry
# unencoded: a client sends them as they are.
_PLAIN = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@"
)


def glob_regex(pattern: str) -> str:
    """An anchored regex matching the decoded URL paths ``pattern`` matches.

    The grammar is servestatic's (``docs/rules.md``): ``*`` and ``?`` stay within a segment,
    ``**`` is zero or more whole segments, ``[...]`` a class, ``{a,b}`` alternatives.
    """
    alternatives = [_alternative(text) for text in expand_braces(pattern)]
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    return f"^{body}$"


def _alternative(pattern: str) -> str:
    segments = (pattern[1:] if pattern.startswith("/") else pattern).split("/")
    out = []
    for segment in segments:
        if segment == "**":
            out.append("(?:/[^/]*)*")
        else:
            out.append("/" + _segment(segment))
    return "".join(out)


def _segment(raw: str) -> str:
    if raw == "*":
        return "[^/]+"  # a lone "*" needs a non-empty segment ("/*" does not match "/")
    out = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\":
            out.append(re.escape(raw[index + 1]))
            index += 2
        elif char == "*":
            out.append("[^/]*")
            while index < len(raw) and raw[index] == "*":
                index += 1
            continue
        elif char == "?":
            out.append("[^/]")
            index += 1
        elif char == "[":
            end = _class_end(raw, index)
            out.append(_class(raw[index + 1 : end]))
            index = end + 1
        else:
            out.append(re.escape(char))
            index += 1
    return "".join(out)


def _class_end(raw: str, start: int) -> int:
    index = start + 1
    if index < len(raw) and raw[index] in "!^":
        index += 1
    first = True
    while index < len(raw) and (raw[index] != "]" or first):
        first = False
        index += 2 if raw[index] == "\\" else 1
    if index >= len(raw):  # pragma: no cover - the settings model refuses such globs
        raise GlobError(f"unterminated class in {raw!r}")
    return index


def _class(body: str) -> str:
    negate = body[:1] in {"!", "^"}
    if negate:
        body = body[1:]
    items = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            index += 1
            char = body[index]
        if index + 2 < len(body) and body[index + 1] == "-":
            items.append(f"{_class_char(char)}-{_class_char(body[index + 2])}")
            index += 3
        else:
            items.append(_class_char(char))
            index += 1
    # A class never matches "/" in servestatic (segments are split first).
    return f"[^/{''.join(items)}]" if negate else f"[{''.join(items)}]"


def _class_char(char: str) -> str:
    return "\\" + char if char in "\\]^-[" else char


def redirect_regex(source: str, *, query: bool = False, capture_prefix: str = "") -> str:
    """An anchored regex for a ``[[redirects]]`` ``from`` pattern, on the raw request path.

    ``:name`` captures one segment and a trailing ``*`` captures the rest as ``splat``, as in
    servestatic. Two deliberate restrictions keep a capture from turning the target into a
    link to another host: a capture never starts with ``/`` (servestatic strips such
    slashes too) and never contains a backslash. With ``query``, the expression matches the
    path followed by an optional ``?query`` (nginx's ``$request_uri``). Group names are
    the placeholder names after ``capture_prefix`` (nginx turns them into variables, which
    must not shadow its own, such as ``$uri``).
    """
    parts = source.split("/")[1:]
    out = []
    for index, part in enumerate(parts):
        if part == "*" and index == len(parts) - 1:
            out.append(rf"(?:/+(?P<{capture_prefix}splat>[^/?\\][^?\\]*)?)?")
        elif part.startswith(":"):
            out.append(f"/(?P<{capture_prefix}{part[1:]}>[^/?\\\\]+)")
        else:
            out.append("/" + "".join(_raw_char(char) for char in part))
    tail = r"(?:\?.*)?" if query else ""
    return "^" + "".join(out) + tail + "$"


def _raw_char(char: str) -> str:
    """A literal character of a path as a client may send it: as is, or percent-encoded."""
    encoded = quote(char, safe="")
    if char in _PLAIN:
        if encoded == char:
            return re.escape(char)
        return f"(?:{re.escape(char)}|(?i:{re.escape(encoded)}))"
    return f"(?i:{re.escape(encoded)})"


def redirect_template(target: str, placeholder: str) -> str:
    """The target with ``:name`` replaced by ``placeholder.format(name=...)``.

    In an absolute target only the path has placeholders (the model refuses them in the host).
    """
    if "://" in target:
        scheme, rest = target.split("://", 1)
        host, slash, path = rest.partition("/")
        return f"{scheme}://{host}{slash}" + _PLACEHOLDER.sub(
            lambda found: placeholder.format(name=found.group(1)), path
        )
    return _PLACEHOLDER.sub(lambda found: placeholder.format(name=found.group(1)), target)
