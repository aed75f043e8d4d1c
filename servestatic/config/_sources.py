"""The configuration sources, one class each.

Every source reads its values once, validates what it contributed on its own (typed mode for
files: see ``_model``) and keeps the problems it found, each labelled with the exact variable,
file or setting. What a source returns to pydantic-settings is its raw mapping minus the keys
that failed, so one bad value does not hide the problems of the other sources; the loader
reports every problem at once.

The sources are plain classes, not pydantic-settings sources, so that reading them costs no
pydantic-settings import: the loader hands them to pydantic-settings (``_merge``) only when
more than one gave values and there is something to merge.

* :class:`MappingSource`: values given in code (keywords, the CLI's flags) or by an adapter
  (Django settings subclass it);
* :class:`EnvironmentSource`: ``SERVESTATIC_*`` variables (groups nested with ``__``, lists and
  tables as JSON);
* :class:`TomlFileSource`: ``servestatic.toml``, the file named by ``SERVESTATIC_CONFIG`` /
  ``--config``, and ``[tool.servestatic]`` in ``pyproject.toml``.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ValidationError

from servestatic.config._attribution import (
    field_names,
    flatten_annotation,
    group_model,
    problems_from_validation,
)
from servestatic.config._errors import Problem, did_you_mean
from servestatic.config._model import Settings, accepts_empty
from servestatic.config._presence import CONFIG_ENV, ENV_PREFIX

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

__all__ = [
    "CONFIG_ENV",
    "ENV_PREFIX",
    "ConfigSource",
    "EnvironmentSource",
    "MappingSource",
    "TomlFileSource",
    "is_kubernetes_service_variable",
]

_PATH_KEYS = ("root",)
_TYPED = {"typed": True}


class ConfigSource:
    """A source that knows where each of its values came from and what was wrong with them.

    Calling it returns its valid values (read and validated once), as a pydantic-settings
    source does.
    """

    #: Values from files are typed (TOML): validated in strict mode.
    typed: ClassVar[bool] = False

    def __init__(self, settings_cls: type[BaseModel] | None, label: str) -> None:
        #: The model the values are for (the first argument of a pydantic-settings source,
        #: kept in the signature); values are always validated against :class:`Settings`.
        self.settings_cls = settings_cls or Settings
        #: How problems and ``servestatic check`` name this source.
        self.label = label
        #: Raw values, as the model reads them (groups as dictionaries).
        self.data: dict[str, Any] = {}
        #: A finer label per key (``max_age`` → ``SERVESTATIC_MAX_AGE``).
        self.key_labels: dict[str, str] = {}
        self.problems: list[Problem] = []
        self._valid: dict[str, Any] | None = None

    def read(self) -> None:
        """Fill :attr:`data`, :attr:`key_labels` and :attr:`problems` (subclasses)."""

    def describe(self, key_path: str) -> str:
        """Label for the source of ``key_path`` (``max_age``, ``cors.allow_origins``)."""
        if key_path in self.key_labels:
            return self.key_labels[key_path]
        top = key_path.split(".", 1)[0]
        return self.key_labels.get(top, self.label)

    def __call__(self) -> dict[str, Any]:
        if self._valid is None:
            self.read()
            self._valid = self._validate()
        return self._valid

    def _validate(self) -> dict[str, Any]:
        """The data minus the top-level keys that are wrong on their own."""
        if not self.data:
            return {}
        try:
            if self.typed:
                # A file spells keys as documented: "from", not the attribute "from_".
                Settings.model_validate(
                    self.data, strict=True, context=_TYPED, by_alias=True, by_name=False
                )
            else:
                Settings.model_validate(self.data)
        except ValidationError as error:
            found = problems_from_validation(
                error, Settings, self.data, self.describe, typed=self.typed
            )
            self.problems.extend(found)
            bad = {problem.path[0] for problem in found if problem.path}
            return {key: value for key, value in self.data.items() if key not in bad}
        return dict(self.data)


def _plain(value: Any) -> Any:
    """Model instances given in code become dictionaries, so groups merge key by key."""
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True, exclude_unset=True)
    if isinstance(value, list) and any(isinstance(item, BaseModel) for item in value):
        return [_plain(item) for item in value]
    return value


class MappingSource(ConfigSource):
    """Values given as a mapping: keywords in code, the CLI's flags, Django settings."""

    def __init__(
        self,
        settings_cls: type[BaseModel] | None,
        values: Mapping[str, Any],
        label: str = "code",
        key_labels: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(settings_cls, label)
        self._values = values
        self.key_labels.update(key_labels or {})

    def read(self) -> None:
        self.data = {key: _plain(value) for key, value in self._values.items()}


# ----------------------------------------------------------------------------- environment

#: Variables Kubernetes injects into every pod of a namespace for a Service named
#: ``servestatic`` (docker links used the same scheme): ``SERVESTATIC_SERVICE_HOST``,
#: ``SERVESTATIC_SERVICE_PORT``, ``SERVESTATIC_SERVICE_PORT_<PORT NAME>``,
#: ``SERVESTATIC_PORT`` (``tcp://10.0.0.11:80``) and ``SERVESTATIC_PORT_<N>_<PROTO>``,
#: ``..._PROTO``, ``..._PORT``, ``..._ADDR``. No setting is named ``port`` or ``service``.
_KUBERNETES = re.compile(
    r"SERVESTATIC_(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?|PORT"
    r"|PORT_\d+_(?:TCP|UDP|SCTP)(?:_(?:PROTO|PORT|ADDR))?)",
    re.IGNORECASE,
)


def is_kubernetes_service_variable(name: str) -> bool:
    """True for the variables Kubernetes injects for a Service named ``servestatic``."""
    return _KUBERNETES.fullmatch(name) is not None


class EnvironmentSource(ConfigSource):
    """``SERVESTATIC_*`` variables: strings, coerced by the model; JSON for lists and tables.

    An unknown variable is a warning with a suggestion (an error under ``strict = true``),
    so a stray variable does not take a deployment down; Kubernetes' service variables are
    recognised and ignored. An empty variable is an error unless the setting takes an empty
    value (``charset``): an unset variable in a compose file must not switch anything off.
    """

    def __init__(self, settings_cls: type[BaseModel] | None, environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls, "environment")
        self._environ = environ

    def read(self) -> None:
        fields = dict(Settings.model_fields)
        # Settings spelled as Python keywords are read by their documented name
        # (SERVESTATIC_IMPORT for ``import``).
        for name, info in Settings.model_fields.items():
            if name.endswith("_") and info.alias and info.alias.isidentifier():
                fields[info.alias] = info
        known = [name for name in fields if not name.endswith("_")]
        for raw_name, raw_value in sorted(self._environ.items()):
            upper = raw_name.upper()
            if not upper.startswith(ENV_PREFIX) or upper == CONFIG_ENV:
                continue
            if is_kubernetes_service_variable(raw_name):
                continue
            parts = raw_name[len(ENV_PREFIX) :].lower().split("__")
            top = parts[0]
            if top not in fields or top.endswith("_"):
                if top in Settings.django_only_names and len(parts) == 1:
                    continue
                suggestion = did_you_mean(top, known)
                hint = f"; did you mean {ENV_PREFIX}{suggestion.upper()}?" if suggestion else ""
                self._warn_unknown(raw_name, f"unknown setting{hint}", raw_value)
                continue
            if len(parts) > 2:
                self.problems.append(
                    Problem(
                        raw_name,
                        top,
                        "only one level of nesting is addressable; give the value as JSON instead",
                        raw_value,
                        kind="env_nesting",
                        path=(top,),
                    )
                )
                continue
            if len(parts) == 2:
                self._read_group_key(raw_name, raw_value, top, parts[1])
            else:
                self._store(raw_name, raw_value, (top,), fields[top])

    def _decode(self, raw: str, info: FieldInfo) -> Any:
        """JSON for lists, tables and groups (as pydantic-settings decodes them: no field
        of the model opts out with ``NoDecode``), the string itself otherwise (the model
        coerces it). ``null`` (any case) is None where None is allowed."""
        members = flatten_annotation(info.annotation)
        complex_ = any(_is_complex(member) for member in members)
        if raw.strip().lower() == "null" and (complex_ or type(None) in members):
            return None
        return json.loads(raw.strip()) if complex_ else raw

    def _warn_unknown(self, name: str, message: str, value: str) -> None:
        self.problems.append(
            Problem(name, "", message, value, kind="unknown_setting", severity="warning")
        )

    def _read_group_key(self, raw_name: str, raw_value: str, top: str, sub: str) -> None:
        group = group_model(Settings.model_fields[top].annotation)
        if group is None:
            self.problems.append(
                Problem(
                    raw_name,
                    top,
                    f"{top!r} is not a group; use {ENV_PREFIX}{top.upper()}",
                    raw_value,
                    kind="env_nesting",
                    path=(top,),
                )
            )
            return
        if sub not in group.model_fields:
            suggestion = did_you_mean(sub, field_names(group))
            hint = (
                f"; did you mean {ENV_PREFIX}{top.upper()}__{suggestion.upper()}?"
                if suggestion
                else ""
            )
            self._warn_unknown(raw_name, f"unknown setting{hint}", raw_value)
            return
        existing = self.data.get(top)
        if existing is not None and not isinstance(existing, dict):
            self.problems.append(
                Problem(
                    raw_name,
                    top,
                    f"set either {ENV_PREFIX}{top.upper()} or its keys, not both",
                    raw_value,
                    kind="env_nesting",
                    path=(top,),
                )
            )
            return
        self._store(raw_name, raw_value, (top, sub), group.model_fields[sub])

    def _store(self, raw_name: str, raw_value: str, path: tuple[str, ...], info: FieldInfo) -> None:
        key_path = ".".join(path)
        if not raw_value.strip() and not accepts_empty(info.metadata):
            self.problems.append(
                Problem(
                    raw_name,
                    key_path,
                    "the variable is empty; unset it to use the default, or give a value",
                    raw_value,
                    kind="empty_env",
                    path=path,
                )
            )
            return
        try:
            value = self._decode(raw_value, info)
        except json.JSONDecodeError as error:
            message = f"{error.msg} at line {error.lineno} column {error.colno}"
            self.problems.append(
                Problem(
                    raw_name,
                    key_path,
                    f"not valid JSON ({message})",
                    raw_value,
                    kind="json_invalid",
                    path=path,
                )
            )
            return
        target = self.data
        for part in path[:-1]:
            target = target.setdefault(part, {})
        name = path[-1]
        if isinstance(target.get(name), dict) and isinstance(value, dict):
            # SERVESTATIC_CORS='{...}' and SERVESTATIC_CORS__KEY: the key wins.
            target[name] = {**value, **target[name]}
        else:
            target[name] = value
        self.key_labels[key_path] = raw_name


def _is_complex(annotation: Any) -> bool:
    """A list, table or group: given as JSON in the environment (a union member counts,
    which pydantic-settings' ``field_is_complex`` does not look into)."""
    origin = typing.get_origin(annotation) or annotation
    return origin in (list, dict, tuple, set) or (
        isinstance(origin, type) and issubclass(origin, BaseModel)
    )


# ----------------------------------------------------------------------------- files


class TomlFileSource(ConfigSource):
    """A TOML file, or one table of it (``[tool.servestatic]`` in ``pyproject.toml``).

    Relative directories in a file are relative to the file, not to the process.
    """

    typed = True

    def __init__(
        self,
        settings_cls: type[BaseModel] | None,
        path: Path,
        *,
        cwd: Path,
        table: tuple[str, ...] = (),
        missing_table_ok: bool = False,
        missing: str | None = None,
    ) -> None:
        label = display_path(path, cwd)
        if table:
            label += " [" + ".".join(table) + "]"
        super().__init__(settings_cls, label)
        self.path = path
        self.cwd = cwd
        self.table = table
        self.missing_table_ok = missing_table_ok
        #: When the file was asked for and is not there: the name of what asked for it.
        self.missing = missing

    def read(self) -> None:
        if self.missing is not None:
            state = "is a directory" if self.path.is_dir() else "does not exist"
            self.problems.append(
                Problem(
                    self.missing,
                    "",
                    f"config file {self.label!r} {state}; give a TOML file",
                    None,
                    kind="config_file",
                )
            )
            return
        import tomllib  # noqa: PLC0415 - only when a file is there to read

        file_label = display_path(self.path, self.cwd)
        try:
            with self.path.open("rb") as handle:
                document = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            # tomllib's message carries "(at line L, column C)".
            self.problems.append(
                Problem(file_label, "", f"TOML syntax error: {error}", None, kind="toml_syntax")
            )
            return
        except (OSError, UnicodeDecodeError) as error:
            self.problems.append(
                Problem(file_label, "", f"cannot read file: {error}", None, kind="config_file")
            )
            return
        data: Any = document
        for key in self.table:
            if not isinstance(data, dict) or key not in data:
                if not self.missing_table_ok:
                    self.problems.append(
                        Problem(
                            self.label,
                            "",
                            f"the file has no [{'.'.join(self.table)}] table",
                            None,
                            kind="config_file",
                        )
                    )
                return
            data = data[key]
        if not isinstance(data, dict):
            self.problems.append(
                Problem(self.label, "", "expected a table", data, kind="config_file")
            )
            return
        self.data = _resolve_paths(data, self.path.parent)


def _resolve_paths(data: dict[str, Any], directory: Path) -> dict[str, Any]:
    result = dict(data)
    for key in _PATH_KEYS:
        value = result.get(key)
        if isinstance(value, str) and value.strip() and not Path(value).is_absolute():
            result[key] = str(directory / value)
    imports = result.get("import")
    if isinstance(imports, list):
        result["import"] = [
            str(directory / item)
            if isinstance(item, str) and item.strip() and not Path(item).is_absolute()
            else item
            for item in imports
        ]
    roots = result.get("roots")
    if isinstance(roots, list):
        resolved = []
        for item in roots:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                item_path = item["path"]
                if item_path.strip() and not Path(item_path).is_absolute():
                    resolved.append({**item, "path": str(directory / item_path)})
                    continue
            resolved.append(item)
        result["roots"] = resolved
    return result


def display_path(path: Path, cwd: Path) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path)
