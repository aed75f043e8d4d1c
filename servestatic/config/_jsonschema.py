"""JSON Schema fragments for the constraints the model checks in Python.

pydantic derives the schema's types from the model; the checks written as validators
(anchored globs, header names and values, URL prefixes...) are described here as patterns
so that the published schema refuses what the loader refuses. The patterns are written for
both engines that read them: ECMA-262 (editors, JSON Schema's own dialect) and Python's
``re`` (the ``jsonschema`` package): explicit ASCII classes, no ``\\d``/``\\s``/``\\w``/``.``,
no flags. ``docs/configuration.md`` lists what no pattern can express.
"""

from __future__ import annotations

from typing import Any

from servestatic.config._headers import SERVER_MANAGED

__all__ = [
    "CHARSET",
    "DIRECTORY",
    "GLOB",
    "HEADER_MAP",
    "HEADER_NAME",
    "HEADER_VALUE",
    "HSTS",
    "INDEX_FILE",
    "MEDIA_TYPE",
    "ORIGIN",
    "REDIRECT_FROM",
    "REDIRECT_TO",
    "RULE_TARGET",
    "TOKEN",
    "UNSET_NAME",
    "URL_PATH",
    "URL_PREFIX",
    "nullable",
    "presets",
]

#: RFC 9110 §5.6.2: tchar.
_TCHAR = "!#$%&'*+.^_`|~0-9A-Za-z-"
TOKEN = f"^[{_TCHAR}]+$"
_SPACE = " \\t\\n\\r\\f\\v"


def _caseless(word: str) -> str:
    """``etag`` → ``[Ee][Tt][Aa][Gg]`` (ECMA-262 patterns in JSON Schema have no flags)."""
    return "".join(f"[{char.upper()}{char.lower()}]" if char.isalpha() else char for char in word)


def _one_of_words(words: list[str]) -> str:
    return "(?:" + "|".join(_caseless(word) for word in sorted(words)) + ")"


_MANAGED = "^" + _one_of_words(sorted(SERVER_MANAGED)) + "$"

#: A header name a rule may set: a token, and not one the server computes.
HEADER_NAME: dict[str, Any] = {"type": "string", "pattern": TOKEN, "not": {"pattern": _MANAGED}}
#: RFC 9110 §5.5 as the model takes it: visible ASCII, inner spaces and tabs, no control
#: characters, no leading or trailing whitespace.
HEADER_VALUE: dict[str, Any] = {
    "type": "string",
    "pattern": "^(?:[\\x21-\\x7e](?:[\\t\\x20-\\x7e]*[\\x21-\\x7e])?)?$",
}
HEADER_MAP: dict[str, Any] = {
    "type": "object",
    "propertyNames": HEADER_NAME,
    "additionalProperties": HEADER_VALUE,
}
#: ``unset``: a header name with one optional leading or trailing ``*``; the server's own
#: headers only as part of a wildcard.
UNSET_NAME: dict[str, Any] = {
    "type": "string",
    "pattern": "^\\*?[!#$%&'+.^_`|~0-9A-Za-z-]+\\*?$",
    "not": {"pattern": _MANAGED},
}
#: Globs are anchored at the site root (the rest of their syntax is checked by the loader).
GLOB: dict[str, Any] = {"type": "string", "pattern": "^(?:/|\\*\\*/|\\*\\*$)"}
#: A decoded URL path prefix: no backslash, no ``.``/``..`` segment, no control characters,
#: ``?``, ``#`` or ``%``.
URL_PREFIX: dict[str, Any] = {
    "type": "string",
    "pattern": "^(?!(?:[^/]*/)*\\.\\.?(?:/|$))[^\\\\\\x00-\\x1f\\x7f?#%]*$",
}
#: A file URL such as ``/index.html``.
URL_PATH: dict[str, Any] = {"type": "string", "pattern": "^/(?!/)"}
_MEDIA_PART = "[A-Za-z0-9_.+-]+"
MEDIA_TYPE: dict[str, Any] = {
    "type": "string",
    "pattern": (
        f'^{_MEDIA_PART}/{_MEDIA_PART}(?:[{_SPACE}]*;[{_SPACE}]*{_MEDIA_PART}=[A-Za-z0-9_.+"-]+)*$'
    ),
}
CHARSET: dict[str, Any] = {"type": "string", "pattern": "^[A-Za-z0-9!#$%&'+^_`{}~-]*$"}
#: ``scheme://host[:port]`` or ``null``.
ORIGIN: dict[str, Any] = {
    "type": "string",
    "pattern": "^(?:https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?|null)$",
}
HSTS: dict[str, Any] = {
    "allOf": [HEADER_VALUE, {"pattern": "^" + _caseless("max-age=") + "[0-9]"}],
}
#: A directory: anything but an empty or blank string, and no NUL (no OS can name it).
DIRECTORY: dict[str, Any] = {
    "type": "string",
    "pattern": f"[^{_SPACE}]",
    "not": {"pattern": "\\u0000"},
}
_BOOLEAN_WORDS = ["true", "false", "yes", "no", "on", "off", "1", "0"]
#: An index file name (a boolean in TOML is written without quotes).
INDEX_FILE: dict[str, Any] = {
    "type": "string",
    "pattern": "^[^/\\\\\\x00-\\x1f\\x7f]+$",
    "not": {
        "anyOf": [
            {"enum": [".", ".."]},
            {"pattern": f"^[{_SPACE}]*{_one_of_words(_BOOLEAN_WORDS)}[{_SPACE}]*$"},
        ]
    },
}
_SEGMENT = "(?:[^/*:][^/*]*|:[A-Za-z_][A-Za-z0-9_]*)"
#: ``/literal/:name/*``: a single leading ``/``, ``:name`` placeholders, ``*`` last only.
REDIRECT_FROM: dict[str, Any] = {
    "type": "string",
    "pattern": f"^(?!//)(?=/)(?:/{_SEGMENT}?)*(?:/\\*)?$",
}
#: A path or an http(s) URL, never protocol-relative, no spaces or controls, and no
#: placeholder in the host.
REDIRECT_TO: dict[str, Any] = {
    "type": "string",
    "pattern": "^(?:/(?![/\\\\])|https?://[^/\\\\])[^\\x00-\\x20\\x7f]*$",
    # The host is what follows the first "://", up to the next "/".
    "not": {"pattern": "^(?:(?!://)[\\s\\S])*://[^/]*:[A-Za-z_]"},
}


def _present(key: str) -> dict[str, Any]:
    return {"required": [key], "properties": {key: {"not": {"type": "null"}}}}


#: A rule has exactly one of ``match`` and ``regex``, and ``cache_control`` excludes
#: ``max_age`` and ``immutable``.
RULE_TARGET: dict[str, Any] = {
    "oneOf": [_present("match"), _present("regex")],
    "not": {
        "allOf": [
            _present("cache_control"),
            {"anyOf": [_present("max_age"), _present("immutable")]},
        ]
    },
}


#: The top level: ``watch`` and ``autorefresh`` are not both true (watch keeps the start-up
#: index current; autorefresh has none).
SETTINGS: dict[str, Any] = {
    "additionalProperties": False,
    "not": {
        "required": ["watch", "autorefresh"],
        "properties": {"watch": {"const": True}, "autorefresh": {"const": True}},
    },
}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or ``null`` (a default of None; TOML has no null)."""
    return {"anyOf": [schema, {"type": "null"}]}


def presets(names: tuple[str, ...]) -> dict[str, Any]:
    """``presets``: ``auto``, ``off``, a list of names, or the names as one comma-separated
    string (ASCII whitespace around each allowed, as the loader strips it)."""
    name = "(?:" + "|".join(names) + ")"
    space = f"[{_SPACE}]*"
    return {
        "anyOf": [
            {"enum": ["auto", "off"]},
            {"type": "array", "items": {"enum": list(names)}, "minItems": 1},
            {
                "type": "string",
                "pattern": f"^{space}(?:auto|off|{name}(?:{space},{space}{name})*){space}$",
            },
        ]
    }
