"""Configuration sources, their precedence, and error attribution.

Precedence, highest first (one place, tested pair by pair):

1. keyword arguments given in code (or Django settings, through the Django adapter);
2. environment variables ``SERVESTATIC_*`` (groups nested with ``__``, lists as JSON);
3. the file named by ``SERVESTATIC_CONFIG`` (or ``--config``);
4. ``./servestatic.toml``;
5. ``[tool.servestatic]`` in ``./pyproject.toml``;
6. the model's defaults.

Dictionaries (the groups) merge key by key; lists (``rules``, ``roots``, ...) are replaced
whole by a higher source. Every leaf remembers its source so that ``servestatic check`` can
say where a value came from and errors can name the file or variable.
"""

from __future__ import annotations

import json
import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from pydantic_settings import PydanticBaseSettingsSource

from servestatic.config._errors import (
    ConfigError,
    Problem,
    did_you_mean,
    field_names,
    flatten_annotation,
)

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo
    from pydantic_settings import BaseSettings

    from servestatic.config._model import Settings

__all__ = ["ENV_PREFIX", "Layer", "collect_layers", "default_sources", "load_into"]

ENV_PREFIX = "SERVESTATIC_"
CONFIG_ENV = "SERVESTATIC_CONFIG"
_PATH_KEYS = ("root",)


@dataclass
class Layer:
    """What one source contributed: its data, how to label a key, and load problems."""

    name: str  # "code", "env", "file"
    data: dict[str, Any]
    label: str  # a file name, "code", ...
    key_labels: dict[str, str] = field(default_factory=dict)  # top key -> env var name
    problems: list[Problem] = field(default_factory=list)
    is_file: bool = False

    def describe(self, key_path: str) -> str:
        """Label for the source of ``key_path`` (``max_age``, ``cors.allow_origins``)."""
        if key_path in self.key_labels:
            return self.key_labels[key_path]
        top = key_path.split(".", 1)[0]
        return self.key_labels.get(top, self.label)


# ----------------------------------------------------------------------------- sources


class _LayerSource(PydanticBaseSettingsSource):
    """A pydantic-settings source backed by one :class:`Layer`."""

    def __init__(self, settings_cls: type[BaseSettings], layer: Layer) -> None:
        super().__init__(settings_cls)
        self.layer = layer

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.layer.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.layer.data)


def default_sources(
    settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource
) -> tuple[PydanticBaseSettingsSource, ...]:
    """pydantic-settings sources, highest first (for ``settings_customise_sources``)."""
    layers = collect_layers(settings_cls, {}, environ=None, cwd=None, config_file=None)
    return (init_settings, *(_LayerSource(settings_cls, layer) for layer in layers[1:]))


def collect_layers(
    settings_cls: type[BaseSettings],
    code_values: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None,
    cwd: Path | str | None,
    config_file: Path | str | None,
    code_source: str = "code",
    code_labels: Mapping[str, str] | None = None,
) -> list[Layer]:
    """Read every source, highest precedence first."""
    env = os.environ if environ is None else environ
    base = Path.cwd() if cwd is None else Path(cwd)
    layers = [
        Layer(
            "code",
            {key: _plain(value) for key, value in code_values.items()},
            code_source,
            key_labels=dict(code_labels or {}),
        ),
        _env_layer(settings_cls, env),
    ]
    explicit = config_file if config_file is not None else _env_get(env, CONFIG_ENV)
    if explicit:
        path = Path(explicit)
        if not path.is_absolute():
            path = base / path
        if not path.is_file():
            label = CONFIG_ENV if config_file is None else "--config"
            state = "is a directory" if path.is_dir() else "does not exist"
            message = f"config file {str(explicit)!r} {state}; give a TOML file"
            problem = Problem(label, "", message, None)
            layers.append(Layer("file", {}, str(explicit), problems=[problem]))
        else:
            table = ("tool", "servestatic") if path.name == "pyproject.toml" else ()
            layers.append(_toml_layer(path, table, base))
    local = base / "servestatic.toml"
    if local.is_file() and not (explicit and _same_file(local, base / str(explicit))):
        layers.append(_toml_layer(local, (), base))
    pyproject = base / "pyproject.toml"
    if pyproject.is_file() and not (explicit and _same_file(pyproject, base / str(explicit))):
        layer = _toml_layer(pyproject, ("tool", "servestatic"), base, missing_ok=True)
        if layer.data or layer.problems:
            layers.append(layer)
    return layers


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve()
    except OSError:  # pragma: no cover - resolve() only fails on exotic filesystems
        return False


def _plain(value: Any) -> Any:
    """Turn model instances given in code into dictionaries so groups merge key by key."""
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True, exclude_unset=True)
    return value


def _env_get(environ: Mapping[str, str], name: str) -> str | None:
    for key, value in environ.items():
        if key.upper() == name:
            return value
    return None


def _toml_layer(
    path: Path, table: tuple[str, ...], cwd: Path, *, missing_ok: bool = False
) -> Layer:
    label = _display(path, cwd)
    if table:
        label += " [" + ".".join(table) + "]"
    layer = Layer("file", {}, label, is_file=True)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message carries "(at line L, column C)".
        layer.problems.append(Problem(_display(path, cwd), "", f"TOML syntax error: {error}", None))
        return layer
    except (OSError, UnicodeDecodeError) as error:
        layer.problems.append(Problem(_display(path, cwd), "", f"cannot read file: {error}", None))
        return layer
    data: Any = document
    for key in table:
        if not isinstance(data, dict) or key not in data:
            if not missing_ok:
                layer.problems.append(
                    Problem(label, "", f"the file has no [{'.'.join(table)}] table", None)
                )
            return layer
        data = data[key]
    if not isinstance(data, dict):
        layer.problems.append(Problem(label, "", "expected a table", data))
        return layer
    layer.data = _resolve_paths(data, path.parent)
    return layer


def _resolve_paths(data: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Relative directories in a file are relative to the file, not to the process."""
    result = dict(data)
    for key in _PATH_KEYS:
        value = result.get(key)
        if isinstance(value, str) and value and not Path(value).is_absolute():
            result[key] = str(directory / value)
    roots = result.get("roots")
    if isinstance(roots, list):
        resolved = []
        for item in roots:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                item_path = item["path"]
                if item_path and not Path(item_path).is_absolute():
                    resolved.append({**item, "path": str(directory / item_path)})
                    continue
            resolved.append(item)
        result["roots"] = resolved
    return result


def _display(path: Path, cwd: Path) -> str:
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path)


def _env_layer(settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> Layer:
    layer = Layer("env", {}, "environment")
    fields = settings_cls.model_fields
    django_only: frozenset[str] = getattr(settings_cls, "django_only_names", frozenset())
    known = [name for name in fields if not name.endswith("_")]
    for raw_name, raw_value in sorted(environ.items()):
        if not raw_name.upper().startswith(ENV_PREFIX) or raw_name.upper() == CONFIG_ENV:
            continue
        parts = raw_name[len(ENV_PREFIX) :].lower().split("__")
        top = parts[0]
        if top not in fields or top.endswith("_"):
            if top in django_only and len(parts) == 1:
                continue
            suggestion = did_you_mean(top, known)
            hint = f"; did you mean {ENV_PREFIX}{suggestion.upper()}?" if suggestion else ""
            layer.problems.append(Problem(raw_name, "", f"unknown setting{hint}", raw_value))
            continue
        annotation: Any = fields[top].annotation
        target: dict[str, Any] = layer.data
        key_path = top
        if len(parts) == 2:
            group = _model_class(annotation)
            if group is None:
                layer.problems.append(
                    Problem(
                        raw_name,
                        top,
                        f"{top!r} is not a group; use {ENV_PREFIX}{top.upper()}",
                        raw_value,
                    )
                )
                continue
            sub = parts[1]
            if sub not in group.model_fields:
                suggestion = did_you_mean(sub, list(field_names(group)))
                hint = (
                    f"; did you mean {ENV_PREFIX}{top.upper()}__{suggestion.upper()}?"
                    if suggestion
                    else ""
                )
                layer.problems.append(
                    Problem(raw_name, f"{top}.{sub}", f"unknown setting{hint}", raw_value)
                )
                continue
            annotation = group.model_fields[sub].annotation
            existing: Any = layer.data.setdefault(top, {})
            if not isinstance(existing, dict):  # the group was also given whole, as JSON
                layer.problems.append(
                    Problem(
                        raw_name,
                        top,
                        f"set either {ENV_PREFIX}{top.upper()} or its keys, not both",
                        raw_value,
                    )
                )
                continue
            target = existing
            key_path = f"{top}.{sub}"
            top = sub
        elif len(parts) > 2:
            layer.problems.append(
                Problem(
                    raw_name,
                    top,
                    "only one level of nesting is addressable; give the value as JSON instead",
                    raw_value,
                )
            )
            continue
        try:
            value = _decode_env(raw_value, annotation)
        except ValueError as error:
            layer.problems.append(
                Problem(raw_name, key_path, f"not valid JSON ({error})", raw_value)
            )
            continue
        if isinstance(target.get(top), dict) and isinstance(value, dict):
            target[top] = {**value, **target[top]}  # SERVESTATIC_CORS='{..}' + __KEY: key wins
        else:
            target[top] = value
        layer.key_labels[key_path] = raw_name
    return layer


def _model_class(annotation: Any) -> type[BaseModel] | None:
    for candidate in flatten_annotation(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _is_complex(annotation: Any) -> bool:
    for candidate in flatten_annotation(annotation):
        origin = typing.get_origin(candidate) or candidate
        if origin in (list, dict, tuple, set) or (
            isinstance(origin, type) and issubclass(origin, BaseModel)
        ):
            return True
    return False


def _decode_env(raw: str, annotation: Any) -> Any:
    if _is_complex(annotation):
        stripped = raw.strip()
        if stripped.lower() == "null":
            return None
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as error:
            raise ValueError(f"{error.msg} at line {error.lineno} column {error.colno}") from None
    if raw.strip().lower() == "null" and type(None) in flatten_annotation(annotation):
        return None
    return raw


# ----------------------------------------------------------------------------- merging


def merge_layers(layers: list[Layer]) -> tuple[dict[str, Any], dict[str, str]]:
    """Merge layers (given highest first): groups key by key, everything else whole."""
    merged: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    for layer in reversed(layers):
        _merge_into(merged, layer.data, "", layer, provenance)
    return merged, provenance


def _merge_into(
    target: dict[str, Any],
    source: Mapping[str, Any],
    prefix: str,
    layer: Layer,
    provenance: dict[str, str],
) -> None:
    for key, value in source.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(target.get(key), dict) and not prefix:
            nested = dict(target[key])
            _merge_into(nested, value, path + ".", layer, provenance)
            target[key] = nested
            continue
        target[key] = value
        for stale in [name for name in provenance if name.startswith(path + ".")]:
            del provenance[stale]
        if isinstance(value, dict) and not prefix:
            for sub in value:
                provenance[f"{path}.{sub}"] = layer.describe(f"{path}.{sub}")
        else:
            provenance[path] = layer.describe(path)


# ----------------------------------------------------------------------------- loading


def load_into(
    instance: Settings,
    code_values: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None,
    cwd: Path | str | None,
    config_file: Path | str | None,
    code_source: str,
    code_labels: Mapping[str, str] | None,
) -> None:
    """Fill ``instance`` from every source, or raise one ConfigError listing every problem."""
    settings_cls = type(instance)
    layers = collect_layers(
        settings_cls,
        code_values,
        environ=environ,
        cwd=cwd,
        config_file=config_file,
        code_source=code_source,
        code_labels=code_labels,
    )
    problems = [problem for layer in layers for problem in layer.problems]
    merged, provenance = merge_layers(layers)
    try:
        settings_cls.__pydantic_validator__.validate_python(merged, self_instance=instance)
    except ValidationError as error:
        from servestatic.config._errors import problems_from_validation  # noqa: PLC0415

        problems.extend(problems_from_validation(error, settings_cls, layers, merged))
    if problems:
        raise ConfigError(problems)
    instance._provenance.update(provenance)
