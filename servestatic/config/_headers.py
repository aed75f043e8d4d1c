"""Header-name and header-value rules shared by the settings model and the engine (pure)."""

from __future__ import annotations

import re

__all__ = [
    "SERVER_MANAGED",
    "check_header_name",
    "check_header_value",
    "check_unset_name",
]

# RFC 9110 §5.1: field-name = token; §5.6.2: tchar set.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# RFC 9110 §5.5: field values are visible characters, SP and HTAB; obs-text (0x80-0xFF) is
# tolerated. CR, LF and NUL would let a value inject headers or a body, so they are refused,
# as is every other control character.
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

#: Headers the server computes per response; a rule setting them would break framing or
#: validators, so configuration may not touch them.
SERVER_MANAGED = frozenset(
    {
        "content-length",
        "content-range",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "etag",
        "last-modified",
        "accept-ranges",
        "date",
        # Hop-by-hop (RFC 9110 §7.6.1) and CGI's pseudo-header: a WSGI server refuses them
        # from an application (PEP 3333), so every response would fail.
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "status",
    }
)


def check_header_name(name: str) -> str | None:
    """Return a problem description for a header name a rule sets, or None if it is fine."""
    if not _TOKEN.match(name):
        return (
            f"header name {name!r} is not an RFC 9110 token (letters, digits and !#$%&'*+-.^_`|~)"
        )
    if name.lower() in SERVER_MANAGED:
        return f"{name!r} is managed by the server and cannot be set by configuration"
    return None


def check_header_value(value: str) -> str | None:
    """Return a problem description for a header value, or None if it is fine."""
    if _BAD_VALUE.search(value):
        return "a header value cannot contain control characters (CR, LF, NUL, ...)"
    if value != value.strip(" \t"):
        return "a header value cannot start or end with whitespace"
    if not value.isascii():
        return "a header value must be ASCII (RFC 8187 encoding for file names)"
    return None


def check_unset_name(name: str) -> str | None:
    """``unset`` takes header names with an optional leading or trailing ``*`` wildcard."""
    core = name.removeprefix("*").removesuffix("*")
    if not core or not _TOKEN.match(core) or "*" in core:
        return (
            f"{name!r} is not a header name or a name with one leading or trailing '*' "
            "(such as 'X-*')"
        )
    if "*" not in name and name.lower() in SERVER_MANAGED:
        return f"{name!r} is managed by the server and cannot be removed by configuration"
    return None
