"""Netlify / Cloudflare Pages ``_headers`` and ``_redirects`` files: the parsers. Pure.

The grammar read here is what both hosts document (Netlify "Custom headers" and
"Redirects and rewrites"; Cloudflare Pages "Headers" and "Redirects"):

``_headers``::

    file    = *( comment / blank / block )
    block   = path-line 1*( header-line / detach-line / comment / blank )
    path    = "/" ...            ; '*' splat (any characters), ':name' (one segment)
    header  = WSP name ":" value ; repeated names are joined with ", "
    detach  = WSP "!" name       ; Cloudflare: remove a header an earlier block set

``_redirects``::

    line    = from *( key "=" value ) to [ status [ "!" ] ] *( condition )
    status  = 3DIGIT             ; default 301; "!" forces the rule over an existing file

Each record keeps its 1-based line number, so that every problem and every rule built from
it can be named ``_headers:12``. Nothing here imports pydantic: translation into settings
is in ``_imports``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "MAX_LINE",
    "HeaderBlock",
    "ParseProblem",
    "RedirectLine",
    "decode_text",
    "parse_headers",
    "parse_redirects",
]

#: A line longer than this is refused (Cloudflare Pages refuses 2,000 characters; a
#: generated file may carry a long Content-Security-Policy, so the limit here is higher).
MAX_LINE = 16 * 1024

_STATUS = re.compile(r"(\d{3})(!?)\Z")
_CONDITION = re.compile(r"[A-Za-z][A-Za-z-]*=")


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """A line the parser cannot read (or one it reads with a remark)."""

    line: int
    message: str
    text: str | None = None
    key: str = ""
    warning: bool = False


@dataclass(frozen=True, slots=True)
class HeaderBlock:
    """One ``_headers`` block: a path, its headers (repeated names joined) and detaches."""

    line: int
    path: str
    headers: tuple[tuple[str, str], ...]
    detach: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RedirectLine:
    """One ``_redirects`` line, as written (conditions and query matches kept, to refuse)."""

    line: int
    source: str
    target: str
    status: int
    force: bool
    query: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    text: str = ""


def decode_text(data: bytes) -> tuple[str | None, ParseProblem | None]:
    """UTF-8 text (a leading byte-order mark dropped), or the line of the first bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start : error.start + 1].hex()
        message = f"not UTF-8 text (byte 0x{byte} at offset {error.start}); save it as UTF-8"
        return None, ParseProblem(line, message)


def _lines(text: str, problems: list[ParseProblem]) -> Iterator[tuple[int, str, str]]:
    """``(number, line, stripped)`` of the lines that say something (blank lines and
    ``#`` comments left out), for both files. Only "\\n" ends a line ("\\r\\n" files
    too); any other control character is refused where it stands (added to ``problems``,
    the line skipped): a lone CR inside a value must never reach a header (response
    splitting)."""
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if len(line) > MAX_LINE:
            problems.append(ParseProblem(number, f"line longer than {MAX_LINE} characters", None))
            continue
        if bad := re.search(r"[\x00-\x08\x0a-\x1f\x7f]", line):
            problems.append(
                ParseProblem(
                    number,
                    f"control character {bad.group()!r} in the line (only tabs and spaces "
                    "separate fields)",
                    line,
                )
            )
            continue
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, line, stripped


def parse_headers(text: str) -> tuple[list[HeaderBlock], list[ParseProblem]]:
    """The blocks of a ``_headers`` file, in order, and the lines that could not be read."""
    # One function: a state machine over lines (the open block is its state); split, each
    # step would take and return that state.
    blocks: list[HeaderBlock] = []
    problems: list[ParseProblem] = []
    current: tuple[int, str] | None = None
    refused = False  # the block's path line was refused: its header lines go with it
    headers: dict[str, tuple[str, str]] = {}
    detach: list[str] = []

    def close() -> None:
        if current is None:
            return
        if not headers and not detach:
            problems.append(
                ParseProblem(current[0], "a path with no header lines", current[1], warning=True)
            )
            return
        blocks.append(HeaderBlock(current[0], current[1], tuple(headers.values()), tuple(detach)))

    for number, line, stripped in _lines(text, problems):
        indented = line[0] in " \t"
        if not indented and "://" in stripped.split()[0]:
            close()
            current, refused = None, True
            problems.append(
                ParseProblem(
                    number,
                    "a rule for an absolute URL (one host) cannot be expressed: servestatic "
                    "answers every host alike; write the path alone",
                    stripped,
                    key="path",
                )
            )
            continue
        if not indented and stripped.startswith("/"):
            close()
            if len(stripped.split()) > 1:
                current, refused = None, True
                problems.append(
                    ParseProblem(
                        number,
                        "a path line holds one path (encode a space as %20)",
                        stripped,
                        key="path",
                    )
                )
                continue
            current, headers, detach, refused = (number, stripped), {}, [], False
            continue
        if not indented:
            problems.append(
                ParseProblem(
                    number,
                    "expected a path starting with '/', or an indented 'Name: value' line",
                    stripped,
                )
            )
            continue
        if current is None:
            if refused:
                continue
            problems.append(
                ParseProblem(number, "a header line before any path", stripped, key="header")
            )
            continue
        if stripped.startswith("!"):
            name = stripped[1:].strip()
            if not name or " " in name:
                problems.append(
                    ParseProblem(number, "expected '! Name' (one header name)", stripped)
                )
                continue
            detach.append(name)
            continue
        name, colon, value = stripped.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not name:
            problems.append(ParseProblem(number, "expected 'Name: value'", stripped, key="header"))
            continue
        key = name.lower()
        if key in headers:
            # Both hosts send a header given twice in a block once, values comma-joined.
            first, earlier = headers[key]
            headers[key] = (first, f"{earlier}, {value}")
        else:
            headers[key] = (name, value)
    close()
    return blocks, problems


def parse_redirects(text: str) -> tuple[list[RedirectLine], list[ParseProblem]]:
    """The lines of a ``_redirects`` file, in order, and the lines that could not be read."""
    found: list[RedirectLine] = []
    problems: list[ParseProblem] = []
    for number, _line, stripped in _lines(text, problems):
        tokens = stripped.split()
        if len(tokens) < 2:
            problems.append(ParseProblem(number, "expected 'FROM TO [STATUS]'", stripped))
            continue
        source, rest = tokens[0], tokens[1:]
        query: list[str] = []
        # Netlify: "key=value" (or "key=:name") between FROM and TO match query parameters.
        while rest and "=" in rest[0] and not rest[0].startswith(("/", "http:", "https:")):
            query.append(rest.pop(0))
        if not rest:
            problems.append(ParseProblem(number, "no target (expected 'FROM TO')", stripped))
            continue
        target, rest = rest[0], rest[1:]
        status, force = 301, False
        if rest and (matched := _STATUS.match(rest[0])):
            status, force = int(matched.group(1)), bool(matched.group(2))
            rest = rest[1:]
        elif rest and not _CONDITION.match(rest[0]):
            problems.append(
                ParseProblem(
                    number,
                    "expected a status such as 301 or 200! after the target",
                    rest[0],
                    key="status",
                )
            )
            continue
        found.append(
            RedirectLine(number, source, target, status, force, tuple(query), tuple(rest), stripped)
        )
    return found, problems
