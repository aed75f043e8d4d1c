"""The JSON Schema and the loader accept and refuse the same documents.

Documents are generated from the published schema (its types, patterns, enums and bounds),
then some are mutated (a wrong type, a number or boolean written as a string, a stray key, a
value outside a pattern). Each is validated by the schema and written as
``servestatic.toml`` for the loader. The loader accepts a document only if the schema does;
the schema refuses a document only if the loader does; when only the loader refuses, every
problem it reports is one of the constraints JSON Schema cannot express, which
``docs/configuration.md`` lists.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servestatic.config import Problem, load_settings

REPO = Path(__file__).resolve().parents[2]
SCHEMA: dict[str, Any] = json.loads((REPO / "schemas" / "servestatic.schema.json").read_text())
DEFINITIONS: dict[str, Any] = SCHEMA["$defs"]

#: Problem kinds for constraints no JSON Schema keyword expresses (docs/configuration.md).
INEXPRESSIBLE = {
    "glob",  # glob syntax past the leading '/' or '**/'
    "regex",  # regular expressions: syntax, and nested unbounded repeats
    "import_string",  # a module that cannot be imported, or an attribute that is missing
    "header",  # the same header name twice with different case
    "redirect_placeholders",  # a placeholder in 'to' that 'from' does not capture
    "import_file",  # an imported _headers / _redirects file that cannot be read
}


def _ecma(pattern: str) -> str:
    """ECMA-262's ``$`` is the end of the input; Python's also matches before a final
    newline. Rewrite ``$`` outside character classes as ``\\Z``."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == "[" and not in_class:
            in_class = True
            out.append(char)
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        elif char == "$" and not in_class:
            out.append("\\Z")
        else:
            out.append(char)
    return "".join(out)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if isinstance(instance, str) and not re.search(_ecma(pattern), instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator, {"pattern": _pattern}
)
VALIDATOR = Validator(SCHEMA)


def test_the_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    for pattern in _patterns(SCHEMA):
        re.compile(pattern)  # and Python reads every pattern


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


# --------------------------------------------------------------------------- generation

EXAMPLES = [
    "/assets/**",
    "**/*.js",
    "**",
    "/",
    "/index.html",
    "/static/",
    "X-Frame-Options",
    "Content-Length",
    "etag",
    "X-*",
    "DENY",
    "max-age=60",
    "MAX-AGE=1; includeSubDomains",
    "text/plain",
    "text/html; charset=utf-8",
    "utf-8",
    "",
    " ",
    "https://a.example",
    "https://a.example:8443",
    "null",
    "*",
    "true",
    "60",
    "off",
    "index.html",
    ".",
    "..",
    "a/b",
    "//evil.example",
    "/\\evil",
    "https://x:splat/",
    "/old/:name/*",
    "/a/*/b",
    "/:bad-name",
    "/r/:a",
    "/new/:a",
    "attachment",
    "tests.config.hooks:add_header",
    "os.path:nothing",
    "(a+)+",
    "[",
    "\\.js$",
    "zstd",
    "gzip",
    "mtime",
    "strict",
    "static",
    "a b",
    "caf\u00e9",
    "\u00a0",
    "x\n",
    "tab\there",
    " lead",
    "/a{b,c}",
    "/a/**b",
]
ALPHABET = st.sampled_from(list("aZ09/*.:-_ ?#%\\{},[]\t\n\u00e9\u2713\u00a0$=;'\"!@"))


def _text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(EXAMPLES), st.text(ALPHABET, max_size=12))


def _strategy(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    if "$ref" in schema:
        return _strategy(DEFINITIONS[schema["$ref"].rsplit("/", 1)[-1]], depth)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema and "properties" not in schema:
            branches = [branch for branch in schema[key] if branch.get("type") != "null"]
            return st.one_of([_strategy(branch, depth) for branch in branches])
    if "allOf" in schema and "type" not in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        return _strategy(merged, depth)
    kind = schema.get("type")
    if kind == "string":
        choices = [_text()]
        if "pattern" in schema:
            choices.append(st.from_regex(_ecma(schema["pattern"]), fullmatch=False))
        return st.one_of(choices)
    if kind == "integer":
        low = schema.get("minimum", -3)
        high = schema.get("maximum", 10**6)
        return st.one_of(st.integers(low, high), st.sampled_from([low, high]))
    if kind == "number":
        return st.one_of(st.integers(0, 2), st.floats(-0.5, 1.5, allow_nan=False))
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        items = _strategy(schema.get("items", {"type": "string"}), depth + 1)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=3 if depth else 2)
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        if properties:
            optional = {
                key: _strategy(value, depth + 1)
                for key, value in properties.items()
                if not (key == "$schema" and depth == 0)
            }
            return st.fixed_dictionaries({}, optional=optional)
        keys = _strategy(schema.get("propertyNames", {"type": "string"}), depth + 1)
        values = _strategy(schema.get("additionalProperties", {"type": "string"}), depth + 1)
        return st.dictionaries(keys, values, max_size=2)
    return _scalar()


def _scalar() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.booleans(), st.integers(-2, 100), st.floats(-1, 1, allow_nan=False), _text()
    )


def _mutations(value: Any) -> st.SearchStrategy[Any]:
    """The same document with one value changed (or a key added or removed)."""
    if isinstance(value, dict) and value:
        key = st.sampled_from(sorted(value))
        return st.one_of(
            key.flatmap(lambda k: _mutations(value[k]).map(lambda new: {**value, k: new})),
            key.map(lambda k: {name: item for name, item in value.items() if name != k}),
            st.just({**value, "unknown_key": 1}),
        )
    if isinstance(value, list) and value:
        index = st.integers(0, len(value) - 1)
        return index.flatmap(
            lambda i: _mutations(value[i]).map(lambda new: [*value[:i], new, *value[i + 1 :]])
        )
    wrong = [_scalar(), st.just([1]), st.just({"x": 1})]
    if isinstance(value, bool | int):
        wrong.append(st.just(str(value).lower()))  # '60', 'true': typed files refuse them
    return st.one_of(wrong)


_GENERATED = _strategy(SCHEMA)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A document from the schema, maybe mutated (a composite: the schema-built strategy's
    repr is too large for Hypothesis to print)."""
    document = draw(_GENERATED)
    if draw(st.booleans()):
        mutated = draw(_mutations(document))
        if isinstance(mutated, dict):  # a TOML file is a table
            document = mutated
    assert isinstance(document, dict)
    return document


DOCUMENTS = documents()


# --------------------------------------------------------------------------- TOML

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join([*out, '"'])


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"


def to_toml(document: dict[str, Any]) -> str:
    return "".join(f"{_key(key)} = {_value(value)}\n" for key, value in document.items())


# --------------------------------------------------------------------------- the property


def _inexpressible(problem: Problem) -> bool:
    if problem.kind in INEXPRESSIBLE:
        return True
    # TOML tells 1 from 1.0; JSON (and so JSON Schema) does not.
    return (
        problem.kind == "int_type"
        and isinstance(problem.value, float)
        and problem.value.is_integer()
    )


def test_the_documented_list_is_the_tested_list() -> None:
    page = (REPO / "docs" / "configuration.md").read_text()
    section = page.split("## What the JSON Schema cannot check", 1)[1]
    kinds = set(re.findall(r"<!-- kind: (\w+) -->", section))
    assert kinds == INEXPRESSIBLE | {"int_type"}


@pytest.mark.parametrize("seed", range(3))
def test_schema_and_loader_agree(seed: int, tmp_path: Path) -> None:
    outcomes = {"accepted": 0, "refused by both": 0, "refused by the loader only": 0}

    @settings(
        max_examples=int(os.environ.get("SCHEMA_EXAMPLES", "150")),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        derandomize=False,
    )
    @given(document=DOCUMENTS)
    def check(document: dict[str, Any]) -> None:
        (tmp_path / "servestatic.toml").write_text(to_toml(document), encoding="utf-8")
        loaded = load_settings(environ={}, cwd=tmp_path)
        accepted = loaded.ok and not loaded.errors
        valid = VALIDATOR.is_valid(document)
        problems = [str(problem) for problem in loaded.problems]
        if accepted:
            errors = [error.message for error in VALIDATOR.iter_errors(document)]
            assert valid, (document, errors)
            outcomes["accepted"] += 1
        elif valid:
            assert all(_inexpressible(problem) for problem in loaded.problems), (
                document,
                problems,
            )
            outcomes["refused by the loader only"] += 1
        else:
            outcomes["refused by both"] += 1

    check()
    # The documents exercise both sides: valid ones, and ones both refuse.
    assert outcomes["accepted"] >= 10, outcomes
    assert outcomes["refused by both"] >= 10, outcomes
