"""``ConfigError``: every configuration problem at once, each naming its source.

Each line reads ``SOURCE → key.path: message, got VALUE`` where SOURCE is an environment
variable's name, ``code``, or a file (plus ``[[rules]] #N "name"`` for list items, 1-based).
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from servestatic.config._loader import Layer

__all__ = [
    "ConfigError",
    "Problem",
    "did_you_mean",
    "field_names",
    "flatten_annotation",
    "problems_from_validation",
]

_LIST_SECTIONS = {"rules": "[[rules]]", "redirects": "[[redirects]]", "roots": "[[roots]]"}
_VALUE_LIMIT = 80
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class Problem:
    """One configuration problem."""

    source: str  # "SERVESTATIC_MAX_AGE", "servestatic.toml [[rules]] #2 \"html\"", "code"
    key: str  # dotted path below the source, "" when the problem is the source itself
    message: str
    value: Any  # what was given, or None when showing it would not help
    kind: str = ""

    def __str__(self) -> str:
        where = f"{self.source} → {self.key}" if self.key else self.source
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f", got {_show(self.value)}"
        return text


class _Null:
    """The value ``None``/``null`` in a message (``Problem.value = None`` hides the value)."""

    def __repr__(self) -> str:
        return "null"


NULL = _Null()


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > _VALUE_LIMIT:
        text = text[: _VALUE_LIMIT - 3] + "..."
    return text


class ConfigError(ValueError):
    """Invalid configuration; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("configuration", "", problems, None)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        header = f"invalid servestatic configuration ({count} problem{'s' if count != 1 else ''})"
        super().__init__("\n".join([header, *(f"  {problem}" for problem in self.problems)]))


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a mistyped key, if any is close enough."""
    matches = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def field_names(model: type[BaseModel]) -> list[str]:
    """Names a user can write for a model's fields (aliases where they exist)."""
    names = []
    for name, info in model.model_fields.items():
        alias = info.alias or name
        if alias.startswith("$"):
            continue
        names.append(alias)
    return names


# ----------------------------------------------------------------------------- attribution


def flatten_annotation(annotation: Any) -> list[Any]:
    """The member types of an annotation (through ``Annotated`` and unions)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return flatten_annotation(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [item for arg in typing.get_args(annotation) for item in flatten_annotation(arg)]
    return [annotation]


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
            if name not in current.model_fields:
                kept.append(part)  # an unknown key (extra_forbidden) or a model-level error
                break
            kept.append(part)
            owner = current
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
            inner = [
                c
                for c in flatten_annotation(annotation)
                if isinstance(c, type) and issubclass(c, BaseModel)
            ]
            current = inner[0] if inner else None
            index += 1
            continue
        if models:
            current = models[0]
            continue
        index += 1  # a union tag: skip it
    return kept, owner


def problems_from_validation(
    error: ValidationError,
    settings_cls: type[BaseModel],
    layers: Sequence[Layer],
    merged: dict[str, Any],
) -> list[Problem]:
    """Translate pydantic errors into :class:`Problem` lines attributed to their source."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for item in error.errors(include_url=False):
        loc, owner = _walk(settings_cls, item["loc"])
        message = item["msg"]
        value: Any = item.get("input")
        if item["type"] == "extra_forbidden":
            unknown = str(loc[-1]) if loc else "?"
            suggestion = did_you_mean(unknown, field_names(owner))
            message = "unknown key" + (f"; did you mean {suggestion!r}?" if suggestion else "")
        elif item["type"] in {"value_error", "assertion_error"}:
            message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        elif item["type"] in {"bool_parsing", "bool_type"}:
            message = "expected true or false (the environment also takes 1/0, yes/no, on/off)"
        elif item["type"] in {"int_parsing", "int_type"} and loc and loc[-1] == "max_age":
            message = (
                "expected a number of seconds, or false (None in code) to disable Cache-Control"
            )
        source, key = _locate(loc, layers, merged)
        if (not loc or _is_section(loc)) and isinstance(value, (dict, list)):
            value = None  # a whole table or rule: the source line already points at it
        elif value is None and "input" in item:
            value = NULL  # shown as "got null" (a None would mean "do not show")
        if (source, key) in seen and item["type"] != "extra_forbidden":
            continue  # one line per key (union members repeat the same complaint)
        seen.add((source, key))
        problems.append(Problem(source, key, message, value, kind=item["type"]))
    return problems


def _is_section(loc: Sequence[int | str]) -> bool:
    return len(loc) == 2 and loc[0] in _LIST_SECTIONS and isinstance(loc[1], int)


def _locate(
    loc: Sequence[int | str], layers: Sequence[Layer], merged: dict[str, Any]
) -> tuple[str, str]:
    """Find which layer gave the value at ``loc``; return (source label, key path)."""
    top = str(loc[0]) if loc else ""
    second = loc[1] if len(loc) > 1 else None
    layer = _owning_layer(layers, top, second if isinstance(second, str) else None)
    if top in _LIST_SECTIONS and isinstance(second, int):
        items = merged.get(top)
        name = None
        if isinstance(items, list) and second < len(items) and isinstance(items[second], dict):
            raw_name = items[second].get("name")
            name = raw_name if isinstance(raw_name, str) else None
        label = layer.describe(top) if layer else "default"
        source = f"{label} {_LIST_SECTIONS[top]} #{second + 1}"
        if name:
            source += f' "{name}"'
        return source, _dotted(loc[2:])
    if isinstance(second, str):
        label = layer.describe(f"{top}.{second}") if layer else "default"
    else:
        label = layer.describe(top) if layer else "default"
    return label, _dotted(loc)


def _owning_layer(layers: Sequence[Layer], top: str, second: str | None) -> Layer | None:
    for layer in layers:  # highest precedence first
        if top not in layer.data:
            continue
        value = layer.data[top]
        if second is not None and isinstance(value, dict) and second not in value:
            continue
        return layer
    return None


def _dotted(parts: Sequence[int | str]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            # Keys that are not bare TOML keys (".js", "a b") are quoted, as TOML writes them.
            shown = part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            text += ("." if text else "") + shown
    return text
