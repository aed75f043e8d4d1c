"""The JSON Schema of the configuration, and the Markdown reference generated from it.

``schemas/servestatic.schema.json`` and ``docs/configuration.md`` are both generated here
(``servestatic schema``); tests fail when either is stale.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import sys
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from servestatic.config import _model
from servestatic.config._model import Settings

__all__ = ["SCHEMA_ID", "json_schema", "markdown_reference", "schema_text"]

SCHEMA_ID = "https://servestatic.dev/schemas/servestatic.schema.json"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _published_names() -> dict[str, str]:
    """Class name → the name the schema has published for it, where they differ (a model's
    ``title``): renaming a class must not rename its ``$defs`` key, which editors and
    documents may point to."""
    return {
        model.__name__: title
        for model in vars(_model).values()
        if isinstance(model, type)
        and issubclass(model, BaseModel)
        and (title := model.model_config.get("title")) is not None
    }


class _SchemaGenerator(GenerateJsonSchema):
    def normalize_name(self, name: str) -> str:
        # ``name`` is ``Class``, ``module.Class`` or ``module.Class:id``: map ``Class`` only.
        head, dot, tail = name.rpartition(".")
        short, colon, identity = tail.partition(":")
        short = _published_names().get(short, short)
        return super().normalize_name(f"{head}{dot}{short}{colon}{identity}")


def json_schema() -> dict[str, Any]:
    """The schema of ``servestatic.toml`` (and of ``[tool.servestatic]`` in pyproject.toml)."""
    schema = Settings.model_json_schema(
        by_alias=True, mode="validation", schema_generator=_SchemaGenerator
    )
    _describe_fields(schema)
    # Fields with a default factory (lists, groups) have no "default" in pydantic's output;
    # editors and the reference page want one, so take it from a default instance.
    defaults = Settings.model_validate({}).model_dump(mode="json", by_alias=True)
    definitions = schema.get("$defs", {})
    for name, spec in schema["properties"].items():
        if name in defaults and "default" not in spec:
            spec["default"] = defaults[name]
        target = definitions.get(spec.get("$ref", "").rsplit("/", 1)[-1])
        if target is not None and isinstance(defaults.get(name), dict):
            for key, sub_spec in target.get("properties", {}).items():
                if key in defaults[name] and "default" not in sub_spec:
                    sub_spec["default"] = defaults[name][key]
    ordered: dict[str, Any] = {"$schema": _DIALECT, "$id": SCHEMA_ID}
    ordered.update(schema)
    ordered["title"] = "servestatic configuration"
    ordered["description"] = (
        "Configuration of servestatic: servestatic.toml, [tool.servestatic] in "
        "pyproject.toml, SERVESTATIC_* environment variables, or keyword arguments."
    )
    ordered["additionalProperties"] = False
    return ordered


def _describe_fields(schema: dict[str, Any]) -> None:
    """Add each field's description: the docstring under it in ``_model.py``.

    The model does not ask pydantic for ``use_attribute_docstrings``: pydantic would read
    and parse the module source at every import (about 50 ms of start-up, mostly
    ``inspect`` resolving module paths); the schema is the only reader of these texts.
    """
    published = _published_names()
    models = {
        published.get(name, name): value
        for name, value in vars(_model).items()
        if isinstance(value, type) and issubclass(value, BaseModel)
    }
    targets: list[tuple[type[BaseModel], dict[str, Any]]] = [(Settings, schema)]
    for name, definition in schema.get("$defs", {}).items():
        if name in models:
            targets.append((models[name], definition))
    for model, target in targets:
        properties = target.get("properties", {})
        for field, text in _attribute_docstrings(model).items():
            info = model.model_fields.get(field)
            key = (info.alias or field) if info is not None else field
            spec = properties.get(key)
            if spec is not None and "description" not in spec:
                spec["description"] = text
                properties[key] = dict(sorted(spec.items()))


@cache
def _module_tree(module_name: str) -> ast.Module:
    return ast.parse(inspect.getsource(sys.modules[module_name]))


def _attribute_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """``{field: docstring}`` for the string literals that follow annotated attributes."""
    found: dict[str, str] = {}
    for node in ast.walk(_module_tree(model.__module__)):
        if isinstance(node, ast.ClassDef) and node.name == model.__name__:
            body = node.body
            for statement, following in itertools.pairwise(body):
                if (
                    isinstance(statement, ast.AnnAssign)
                    and isinstance(statement.target, ast.Name)
                    and isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)
                ):
                    found[statement.target.id] = inspect.cleandoc(following.value.value)
    return found


def schema_text() -> str:
    """The schema as written to ``schemas/servestatic.schema.json``."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def _type_text(spec: dict[str, Any], definitions: dict[str, Any]) -> str:
    if "$ref" in spec:
        return (
            "table"
            if "properties" in _resolve(spec, definitions)
            else spec["$ref"].rsplit("/", 1)[-1]
        )
    if "anyOf" in spec:
        kinds = [_type_text(option, definitions) for option in spec["anyOf"]]
        return " or ".join(dict.fromkeys(kind for kind in kinds if kind))
    if "allOf" in spec and "type" not in spec:
        kinds = [_type_text(option, definitions) for option in spec["allOf"]]
        return next((kind for kind in kinds if kind != "any"), "any")
    if "const" in spec:
        return json.dumps(spec["const"])
    if "enum" in spec:
        return " / ".join(json.dumps(value) for value in spec["enum"])
    kind = spec.get("type")
    if kind == "array":
        items = spec.get("items", {})
        inner = _type_text(items, definitions)
        return f"array of {inner}" if inner != "table" else "array of tables"
    if kind == "object":
        return "table"
    names = {
        "string": "string",
        "integer": "integer",
        "number": "number",
        "boolean": "boolean",
        "null": "",
    }
    return names.get(str(kind), str(kind or "any"))


def _resolve(spec: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in spec:
        resolved: dict[str, Any] = definitions[spec["$ref"].rsplit("/", 1)[-1]]
        return resolved
    return spec


def _default_text(spec: dict[str, Any], required: bool = False) -> str:
    if "default" not in spec:
        return "required" if required else "empty"
    value = spec["default"]
    if value is None:
        return "not set"
    return f"`{json.dumps(value)}`"


def _env_name(path: list[str]) -> str:
    return "SERVESTATIC_" + "__".join(part.upper() for part in path)


def markdown_reference() -> str:
    """``docs/configuration.md``: every key, its type, default, variable and description."""
    # One function: it writes the page top to bottom, in the page's order.
    schema = json_schema()
    definitions = schema.get("$defs", {})
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `servestatic schema --markdown docs/configuration.md`; do not edit. -->",
        "",
        "Every setting can be given in code (keyword arguments, or",
        "`servestatic.config.load_settings(...)`), as a Django setting, as an environment",
        "variable, in `servestatic.toml`, or under `[tool.servestatic]` in `pyproject.toml`.",
        "Precedence, highest first: code, Django settings, environment, the file named by",
        "`SERVESTATIC_CONFIG`, `./servestatic.toml`, `./pyproject.toml`, defaults.",
        "Groups are TOML tables (`[cors]`) and environment variables joined with `__`",
        "(`SERVESTATIC_CORS__ALLOW_ORIGINS`); lists and tables in the environment are JSON.",
        "",
        "Values in a file are typed: a string where a boolean or a number is expected",
        '(`autorefresh = "yes"`, `max_age = "60"`, `index_file = "true"`) is an error there,',
        "while the environment's strings are converted (`SERVESTATIC_AUTOREFRESH=yes`). An empty",
        "variable is an error for every setting but `charset` (an unset variable in a compose",
        "file must not switch anything off). An unknown `SERVESTATIC_*` variable is a warning",
        "with a suggestion (an error under `strict = true`); the variables Kubernetes injects",
        "for a Service named `servestatic` (`SERVESTATIC_SERVICE_HOST`,",
        "`SERVESTATIC_SERVICE_PORT[_NAME]`, `SERVESTATIC_PORT[_N_PROTO[_PROTO|_PORT|_ADDR]]`)",
        "are ignored. A `Settings(...)` object built in code is used as given, without reading",
        "any other source.",
        f"The JSON Schema is [`schemas/servestatic.schema.json`]({SCHEMA_ID}); add",
        f'`"$schema" = "{SCHEMA_ID}"` at the top of the file for editor completion.',
        "",
        "## Top-level settings",
        "",
        "ServeStatic's options keep their names and defaults.",
        "",
        "| Key | Type | Default | Environment | Description |",
        "|---|---|---|---|---|",
    ]
    groups: list[tuple[str, dict[str, Any]]] = []
    for name, spec in schema["properties"].items():
        if name.startswith("$"):
            continue
        resolved = _resolve(spec, definitions)
        if "$ref" in spec and "properties" in resolved:
            groups.append((name, resolved))
            continue
        description = (spec.get("description") or resolved.get("description") or "").replace(
            "\n", " "
        )
        lines.append(
            f"| `{name}` | {_type_text(spec, definitions)} | {_default_text(spec)} | "
            f"`{_env_name([name])}` | {description} |"
        )
    for name, group in groups:
        lines += ["", f"## `[{name}]`", "", (group.get("description") or "").replace("\n", " "), ""]
        lines += ["| Key | Type | Default | Environment | Description |", "|---|---|---|---|---|"]
        for key, spec in group["properties"].items():
            description = (spec.get("description") or "").replace("\n", " ")
            lines.append(
                f"| `{key}` | {_type_text(spec, definitions)} | {_default_text(spec)} | "
                f"`{_env_name([name, key])}` | {description} |"
            )
    for name, title in [
        ("Rule", "[[rules]]"),
        ("Redirect", "[[redirects]]"),
        ("RootSettings", "[[roots]]"),
    ]:
        definition = definitions[name]
        lines += [
            "",
            f"## `{title}`",
            "",
            (definition.get("description") or "").replace("\n", " "),
            "",
        ]
        lines += ["| Key | Type | Default | Description |", "|---|---|---|---|"]
        required = set(definition.get("required", []))
        for key, spec in definition["properties"].items():
            description = (spec.get("description") or "").replace("\n", " ")
            default = _default_text(spec, key in required)
            lines.append(
                f"| `{key}` | {_type_text(spec, definitions)} | {default} | {description} |"
            )
    lines += ["", *_INEXPRESSIBLE]
    return "\n".join(lines) + "\n"


#: The loader's checks that no JSON Schema keyword can express. Everything else the loader
#: refuses, the schema refuses too (tests/config/test_schema_is_the_loader.py); the kinds
#: in the comments are the problems' ``kind``.
_INEXPRESSIBLE = [
    "## What the JSON Schema cannot check",
    "",
    "The schema refuses what the loader refuses, with these exceptions, which only",
    "`servestatic check` (or starting the server) reports:",
    "",
    "- Glob syntax past the anchor: balanced braces, `**` as a whole segment, character "
    "ranges in order, at most 64 brace expansions. <!-- kind: glob -->",
    "- Regular expressions (`regex`, `immutable_file_test`): that they compile, and that no "
    "unbounded repeat is nested in another (`(a+)+`). <!-- kind: regex -->",
    "- `add_headers_function`: that the module imports and has the attribute, and that it is "
    "callable. <!-- kind: import_string -->",
    "- The same header name twice in one table with different case (`X-A` and `x-a`). "
    "<!-- kind: header -->",
    "- Redirect placeholders: every `:name` in `to` is captured by `from`. "
    "<!-- kind: redirect_placeholders -->",
    "- `import`: that each file exists and can be read (its lines are then checked one by one, "
    "each problem named `_headers:LINE`). <!-- kind: import_file -->",
    "- TOML tells `1` from `1.0`; JSON does not, so the schema takes `max_age = 60.0` where "
    "the loader wants an integer. <!-- kind: int_type -->",
    "",
    "Start-up checks need the files themselves and are not configuration syntax: a root that "
    "does not exist, a rule that matches no file, a missing SPA fallback or 404 page.",
]
