"""Anchored URL-path globs, compiled without catastrophic backtracking.

Grammar (documented in ``docs/rules.md``)::

    pattern   = ( "/" | "**/" ) segment *( "/" segment )
    segment   = "**"                      ; zero or more whole segments
              / 1*( literal / "*" / "?" / class / "\\" CHAR )
    class     = "[" [ "!" / "^" ] 1*( CHAR / CHAR "-" CHAR ) "]"
    braces    = "{" alt *( "," alt ) "}"  ; expanded before anything else, nestable

``*`` and ``?`` never cross ``/``; ``**`` is only valid as a whole segment. Patterns are
case-sensitive and match the full URL path (what a browser's developer tools show).

Why our own compiler: translating ``*`` naively to ``[^/]*`` lets ``re`` backtrack
exponentially (``/*a*a*a*a*a*a*a*a*b`` against ``"/" + "a" * 60`` takes minutes). Here a path
is split into segments and matched by a set-of-states simulation over the pattern's segments
(O(path segments x pattern segments)), and each segment uses the atomic-group technique of
CPython's ``fnmatch`` (``(?>.*?X)``), which finds each fixed part at its leftmost position and
never revisits it: matching is linear in the segment length for a given pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from servestatic.errors import ServeStaticError

__all__ = ["MAX_BRACE_EXPANSIONS", "Glob", "GlobError", "compile_glob", "expand_braces"]

#: More alternatives than this from ``{a,b}`` groups is almost always a mistake.
MAX_BRACE_EXPANSIONS = 64


class GlobError(ServeStaticError, ValueError):
    """A pattern that cannot be compiled; the message says why and how to fix it."""


@dataclass(frozen=True, slots=True)
class _Segment:
    """One compiled path segment of a pattern."""

    text: str
    literal: bool  # True when ``text`` must equal the path segment exactly
    regex: re.Pattern[str] | None
    # The pattern segment starts with a literal "." (".env", ".*", "\\.x"): it names dot
    # segments explicitly, which wildcards alone never do in ``Glob.match_explicit``.
    dot: bool = False

    def matches(self, segment: str) -> bool:
        if self.regex is None:
            return segment == self.text
        return self.regex.fullmatch(segment) is not None


# A sentinel segment for ``**``.
_GLOBSTAR = _Segment("**", literal=False, regex=None)


@dataclass(frozen=True, slots=True)
class _Alternative:
    """One brace-free pattern: a tuple of segments plus a cheap literal prefix filter."""

    segments: tuple[_Segment, ...]
    prefix: str  # every matching path starts with this string

    def matches(self, parts: list[str], explicit_dots: bool = False) -> bool:
        return len(self.segments) in self.states(parts, explicit_dots)

    def states(self, parts: list[str], explicit_dots: bool) -> set[int]:
        """Pattern positions reachable after ``parts`` (empty: no continuation can match).

        With ``explicit_dots``, a path segment starting with "." is only matched by a
        pattern segment that starts with "." itself: ``*``, ``?``, a class or ``**`` never
        match one (the shell's and gitignore's rule for dotfiles).
        """
        segments = self.segments
        count = len(segments)
        # Set-of-states simulation: ``states`` holds pattern positions that have matched the
        # path segments read so far. Each path segment costs at most ``count`` segment tests.
        states = _closure({0}, segments)
        for part in parts:
            hidden = explicit_dots and part.startswith(".")
            advanced: set[int] = set()
            for index in states:
                if index == count:
                    continue
                segment = segments[index]
                if segment is _GLOBSTAR:
                    if hidden:
                        continue
                    advanced.add(index)
                    # A "**" consumes this segment and may stop here.
                    advanced.add(index + 1)
                elif (segment.dot or not hidden) and segment.matches(part):
                    advanced.add(index + 1)
            if not advanced:
                return advanced
            states = _closure(advanced, segments)
        return states


def _closure(states: set[int], segments: tuple[_Segment, ...]) -> set[int]:
    """Add the positions reachable by letting a ``**`` match zero segments.

    A trailing ``**`` needs at least one segment: ``/assets/**`` matches ``/assets/`` and
    everything below it, but not ``/assets`` itself (the same as gitignore and wcmatch).
    """
    last = len(segments) - 1
    result = set(states)
    pending = list(states)
    while pending:
        index = pending.pop()
        if index < last and segments[index] is _GLOBSTAR and index + 1 not in result:
            result.add(index + 1)
            pending.append(index + 1)
    return result


@dataclass(frozen=True, slots=True)
class Glob:
    """A compiled pattern. ``match(path)`` is safe to call on hostile input."""

    pattern: str
    alternatives: tuple[_Alternative, ...]

    def match(self, path: str) -> bool:
        return self._match(path, explicit_dots=False)

    def match_explicit(self, path: str) -> bool:
        """``match``, except that a path segment starting with "." must be named by a
        pattern segment starting with "." (``/.well-known/**`` matches
        ``/.well-known/security.txt`` but not ``/.well-known/.git/config``)."""
        return self._match(path, explicit_dots=True)

    def _match(self, path: str, explicit_dots: bool) -> bool:
        parts: list[str] | None = None
        for alternative in self.alternatives:
            if not path.startswith(alternative.prefix):
                continue
            if parts is None:
                parts = _split(path)
                if parts is None:
                    return False
            if alternative.matches(parts, explicit_dots):
                return True
        return False

    def may_match_below(self, directory: str) -> bool:
        """Could ``match_explicit`` accept a path below ``directory`` (``/a/.b/``)? Lets a
        directory walk skip hidden directories no pattern reaches into."""
        parts = _split(directory.rstrip("/"))
        if parts is None:
            return False
        for alternative in self.alternatives:
            count = len(alternative.segments)
            if any(index < count for index in alternative.states(parts, explicit_dots=True)):
                return True
        return False

    @property
    def literal_prefixes(self) -> tuple[str, ...]:
        """The literal leading text of each alternative (used to explain and pre-filter)."""
        return tuple(alternative.prefix for alternative in self.alternatives)


def _split(path: str) -> list[str] | None:
    if not path.startswith("/"):
        return None
    return path[1:].split("/")


def compile_glob(pattern: str) -> Glob:
    """Compile ``pattern`` or raise :class:`GlobError` with a message naming the problem."""
    if not isinstance(pattern, str) or not pattern:
        raise GlobError("a pattern must be a non-empty string")
    if not (pattern.startswith(("/", "**/")) or pattern == "**"):
        raise GlobError(
            "patterns are anchored at the site root and must start with '/' or '**/'"
            + _anchored_hint(pattern)
        )
    alternatives = tuple(_compile_alternative(text) for text in expand_braces(pattern))
    return Glob(pattern, alternatives)


def _anchored_hint(pattern: str) -> str:
    """ "; did you mean ...?" with the anchored spellings of ``pattern`` that compile."""
    hint = pattern.lstrip("./")
    candidates = [f"/{hint}", f"**/{hint}"]
    if hint.startswith("**"):  # '**.js' means any depth: '**/*.js'
        candidates = [f"**/*{hint.lstrip('*')}"]
    working = []
    for candidate in candidates:
        try:
            compile_glob(candidate)
        except GlobError:
            continue
        working.append(f"'{candidate}'")
    return f"; did you mean {' or '.join(working)}?" if working else ""


def expand_braces(pattern: str) -> list[str]:
    """Expand ``{a,b}`` groups (nestable) into plain patterns, at most 64 of them."""
    results = _expand(pattern)
    if len(results) > MAX_BRACE_EXPANSIONS:
        raise GlobError(
            f"braces expand to {len(results)} patterns; the limit is {MAX_BRACE_EXPANSIONS}"
        )
    # Keep order, drop duplicates such as "{a,a}".
    return list(dict.fromkeys(results))


def _expand(pattern: str) -> list[str]:
    start = _find_unescaped(pattern, "{", 0)
    if start < 0:
        if _find_unescaped(pattern, "}", 0) >= 0:
            raise GlobError("'}' without a matching '{'")
        return [pattern]
    depth = 0
    pieces: list[str] = []
    piece_start = start + 1
    index = start
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                pieces.append(pattern[piece_start:index])
                break
        elif char == "," and depth == 1:
            pieces.append(pattern[piece_start:index])
            piece_start = index + 1
        index += 1
    else:
        raise GlobError("'{' without a matching '}'")
    if any(piece == "" for piece in pieces) and len(pieces) == 1:
        raise GlobError("empty braces '{}' match nothing; remove them")
    head, tail = pattern[:start], pattern[index + 1 :]
    results: list[str] = []
    for piece in pieces:
        for expanded in _expand(piece):
            results.extend(_expand(head + expanded + tail))
            if len(results) > MAX_BRACE_EXPANSIONS:
                return results
    return results


def _find_unescaped(text: str, char: str, start: int) -> int:
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == char:
            return index
        index += 1
    return -1


def _compile_alternative(pattern: str) -> _Alternative:
    body = pattern[1:] if pattern.startswith("/") else pattern
    raw_segments = body.split("/")
    segments = tuple(_compile_segment(raw) for raw in raw_segments)
    if not pattern.startswith("/"):
        return _Alternative(segments, "")
    literal_count = 0
    for segment in segments:
        if not segment.literal:
            break
        literal_count += 1
    prefix = "/" + "/".join(segment.text for segment in segments[:literal_count])
    # A following segment is always preceded by "/" except for a "**" in the middle, which
    # may match zero segments ("/a/**/b" matches "/a/b").
    following = segments[literal_count] if literal_count < len(segments) else None
    if literal_count and following is not None:
        middle_globstar = following is _GLOBSTAR and literal_count < len(segments) - 1
        if not middle_globstar:
            prefix += "/"
    return _Alternative(segments, prefix)


def _compile_segment(raw: str) -> _Segment:
    if raw == "**":
        return _GLOBSTAR
    if "**" in raw.replace("\\*", ""):
        raise GlobError(f"'**' must be a whole path segment, as in '/a/**/b', not {raw!r}")
    tokens = _tokenize(raw)
    dot = tokens[0] == ("lit", ".") if tokens else False
    if all(kind == "lit" for kind, _ in tokens):
        return _Segment("".join(text for _, text in tokens), literal=True, regex=None, dot=dot)
    # A segment that is only "*" needs a non-empty segment: "/*" does not match "/".
    regex = ".+" if tokens == [("star", "")] else _translate(tokens)
    return _Segment(raw, literal=False, regex=re.compile(regex, re.DOTALL), dot=dot)


def _tokenize(raw: str) -> list[tuple[str, str]]:
    """Split a segment into ('lit', text), ('star', ''), ('any', '') and ('class', regex)."""
    tokens: list[tuple[str, str]] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\":
            if index + 1 >= len(raw):
                raise GlobError("a pattern cannot end with a lone backslash")
            tokens.append(("lit", raw[index + 1]))
            index += 2
        elif char == "*":
            if not (tokens and tokens[-1][0] == "star"):
                tokens.append(("star", ""))
            index += 1
        elif char == "?":
            tokens.append(("any", ""))
            index += 1
        elif char == "[":
            end, regex = _parse_class(raw, index)
            tokens.append(("class", regex))
            index = end
        else:
            tokens.append(("lit", char))
            index += 1
    return tokens


def _parse_class(raw: str, start: int) -> tuple[int, str]:
    index = start + 1
    negate = False
    if index < len(raw) and raw[index] in "!^":
        negate = True
        index += 1
    items: list[str] = []
    first = True
    while index < len(raw) and (raw[index] != "]" or first):
        first = False
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            char = raw[index + 1]
            index += 1
        if index + 2 < len(raw) and raw[index + 1] == "-" and raw[index + 2] != "]":
            end_char = raw[index + 2]
            if end_char < char:
                raise GlobError(f"character range '{char}-{end_char}' is reversed")
            items.append(f"{re.escape(char)}-{re.escape(end_char)}")
            index += 3
        else:
            items.append(re.escape(char))
            index += 1
    if index >= len(raw):
        raise GlobError(
            "'[' without a matching ']' in one path segment (a character class cannot contain '/')"
        )
    body = "".join(items)
    return index + 1, f"[^{body}]" if negate else f"[{body}]"


def _translate(tokens: list[tuple[str, str]]) -> str:
    """Translate segment tokens to a regex for ``fullmatch``.

    Fixed parts between stars are wrapped as ``(?>.*?PART)`` so that each is found at its
    leftmost position and never backtracked into; only the last star is a plain ``.*``.
    """
    groups: list[list[str]] = [[]]
    for kind, text in tokens:
        if kind == "star":
            groups.append([])
        elif kind == "lit":
            groups[-1].append(re.escape(text))
        elif kind == "any":
            groups[-1].append(".")
        else:
            groups[-1].append(text)
    parts = ["".join(group) for group in groups]
    if len(parts) == 1:
        return parts[0]
    head, *middle, tail = parts
    out = [head]
    out.extend(f"(?>.*?{part})" for part in middle)
    out.append(f".*{tail}")
    return "".join(out)
