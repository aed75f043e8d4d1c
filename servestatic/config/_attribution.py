"""pydantic's validation errors → :class:`Problem` records attributed to their source.

A source validates what it contributed on its own (see ``_sources``), so the label of a
problem is known; the loader validates the merged values once more and labels those
problems from the provenance. Either way a caller gives ``describe(key)``: the label of
the source of a top-level key (``max_age``) or a group key (``cors.allow_origins``).
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from servestatic.config._errors import NULL, Problem, Severity, did_you_mean

__all__ = ["field_names", "flatten_annotation", "group_model", "problems_from_validation"]

_LIST_SECTIONS = {"rules": "[[rules]]", "redirects": "[[redirects]]", "roots": "[[roots]]"}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

Describe = Callable[[str], str]


def field_names(model: type[BaseModel]) -> list[str]:
    """Names a user can write for a model's fields (aliases where they exist)."""
    names = []
    for name, info in model.model_fields.items():
        alias = info.alias or name
        if alias.startswith("$"):
            continue
        names.append(alias)
    return names


def flatten_annotation(annotation: Any) -> list[Any]:
    """The member types of an annotation (through ``Annotated`` and unions)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return flatten_annotation(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [item for arg in typing.get_args(annotation) for item in flatten_annotation(arg)]
    return [annotation]


def group_model(annotation: Any) -> type[BaseModel] | None:
    """The model class of a group field (``cors``, ``spa``...), or None for a plain field."""
    for candidate in flatten_annotation(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _walk(
    model: type[BaseModel], loc: Sequence[int | str]
) -> tuple[list[int | str], type[BaseModel]]:
    """Keep the parts of ``loc`` a user can see (fields, dict keys, list indexes).

    pydantic adds union-member tags ("bool", "str", "function-after[...]") to locations; they
    are dropped. Also returns the model that owns the last field, for did-you-mean.
    """
    kept: list[int | str] = []
    current: type[BaseModel] | None = model
    owner = model
    annotation: Any = None
    index = 0
    while index < len(loc):
        part = loc[index]
        if current is not None:
            by_alias = {info.alias or name: name for name, info in current.model_fields.items()}
            name = by_alias.get(str(part), str(part))
            owner = current
            kept.append(part)
            if name not in current.model_fields:
                break  # an unknown key (extra_forbidden) or a model-level error
            annotation = current.model_fields[name].annotation
            current = None
            index += 1
            continue
        candidates = flatten_annotation(annotation)
        container = next((c for c in candidates if typing.get_origin(c) in (list, dict)), None)
        models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if container is not None and (
            (typing.get_origin(container) is list and isinstance(part, int))
            or (typing.get_origin(container) is dict and isinstance(part, str))
        ):
            kept.append(part)
            annotation = typing.get_args(container)[-1]
            current = group_model(annotation)
            index += 1
            continue
        if models:
            current = models[0]
            continue
        index += 1  # a union tag: skip it
    return kept, owner


def _message(
    item: Mapping[str, Any], loc: Sequence[int | str], owner: type[BaseModel], *, typed: bool
) -> str:
    kind = item["type"]
    message: str = item["msg"]
    if kind == "extra_forbidden":
        unknown = str(loc[-1]) if loc else "?"
        suggestion = did_you_mean(unknown, field_names(owner))
        return "unknown key" + (f"; did you mean {suggestion!r}?" if suggestion else "")
    if kind in {"value_error", "assertion_error"}:
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in {"bool_parsing", "bool_type"}:
        if typed:
            return "expected true or false (a TOML boolean, not a string)"
        return "expected true or false (the environment also takes 1/0, yes/no, on/off)"
    if kind in {"int_parsing", "int_type", "int_from_float"} and loc and loc[-1] == "max_age":
        if typed:
            return "expected a number of seconds (a TOML integer), or false to disable"
        return "expected a number of seconds, or false (None in code) to disable Cache-Control"
    if typed and kind in {"int_type", "float_type", "string_type", "list_type", "dict_type"}:
        return message + " (values in a file are typed: no quotes around numbers or booleans)"
    return message


def problems_from_validation(
    error: ValidationError,
    model: type[BaseModel],
    data: Mapping[str, Any],
    describe: Describe,
    *,
    typed: bool = False,
    severity: Severity = "error",
) -> list[Problem]:
    """Translate pydantic's errors for ``data`` into problems attributed by ``describe``."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for item in error.errors(include_url=False):
        loc, owner = _walk(model, item["loc"])
        message = _message(item, loc, owner, typed=typed)
        value: Any = item.get("input")
        source, key = _locate(loc, data, describe)
        if (not loc or _is_section(loc)) and isinstance(value, (dict, list)):
            value = None  # a whole table or rule: the source line already points at it
        elif value is None and "input" in item:
            value = NULL  # shown as "got null" (a None would mean "do not show")
        if (source, key) in seen and item["type"] != "extra_forbidden":
            continue  # one line per key (union members repeat the same complaint)
        seen.add((source, key))
        problems.append(
            Problem(
                source, key, message, value, kind=item["type"], path=tuple(loc), severity=severity
            )
        )
    return problems


def _is_section(loc: Sequence[int | str]) -> bool:
    return len(loc) == 2 and loc[0] in _LIST_SECTIONS and isinstance(loc[1], int)


def _locate(
    loc: Sequence[int | str], data: Mapping[str, Any], describe: Describe
) -> tuple[str, str]:
    """(source label, key path) of the value at ``loc``."""
    top = str(loc[0]) if loc else ""
    second = loc[1] if len(loc) > 1 else None
    if top in _LIST_SECTIONS and isinstance(second, int):
        items = data.get(top)
        name = None
        if isinstance(items, list) and second < len(items) and isinstance(items[second], dict):
            raw_name = items[second].get("name")
            name = raw_name if isinstance(raw_name, str) else None
        source = f"{describe(top)} {_LIST_SECTIONS[top]} #{second + 1}"
        if name:
            source += f' "{name}"'
        return source, dotted(loc[2:])
    label = describe(f"{top}.{second}") if isinstance(second, str) else describe(top)
    return label, dotted(loc)


def dotted(parts: Sequence[int | str]) -> str:
    """``("mimetypes", ".js")`` → ``mimetypes.".js"`` (keys quoted as TOML writes them)."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            shown = part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            text += ("." if text else "") + shown
    return text
