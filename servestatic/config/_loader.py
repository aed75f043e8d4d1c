"""``load_settings``: every source, their precedence, provenance and problems.

Precedence, highest first (one place, :meth:`_SourcedSettings.settings_customise_sources`,
tested pair by pair):

1. keyword arguments given in code (the CLI's flags);
2. sources an adapter adds (Django settings, through ``servestatic.django``);
3. environment variables ``SERVESTATIC_*`` (groups nested with ``__``, lists as JSON);
4. the file named by ``SERVESTATIC_CONFIG`` (or ``--config``);
5. ``./servestatic.toml``;
6. ``[tool.servestatic]`` in ``./pyproject.toml``;
7. the model's defaults.

pydantic-settings calls the sources and merges them: groups (and ``mimetypes``) key by key,
lists (``rules``, ``roots``, ...) replaced whole by a higher source. The result is turned into
the pure :class:`~servestatic.config.Settings`; every leaf remembers its source, so that
``servestatic check`` can say where a value came from and errors name the file or variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from servestatic.config._attribution import group_model, problems_from_validation
from servestatic.config._errors import ConfigError, Problem, as_strict
from servestatic.config._imports import apply_imports
from servestatic.config._model import Settings
from servestatic.config._sources import (
    CONFIG_ENV,
    ConfigSource,
    EnvironmentSource,
    MappingSource,
    TomlFileSource,
)

__all__ = ["LoadedSettings", "load_settings"]


@dataclass(frozen=True)
class LoadedSettings:
    """Settings with the source of every value and every problem found on the way.

    Some problems prevent building the settings (a bad value): ``settings`` then raises
    :class:`~servestatic.config.ConfigError` listing every problem. The others (an unknown
    ``SERVESTATIC_*`` variable) are *deferred*: warnings, or errors under ``strict = true``
    that the start-up raises at its end, with its own problems, so that all of them are
    reported at once.
    """

    _settings: Settings | None
    #: Dotted key (``max_age``, ``cors.allow_origins``) → label of its source.
    provenance: Mapping[str, str]
    #: Every problem, in the order of the sources (errors under ``strict`` included).
    problems: tuple[Problem, ...]
    #: The labels of the sources that gave a value (or a problem), highest precedence
    #: first; an adapter's source (Django settings) is listed even when it gave none.
    sources: tuple[str, ...]
    #: The problems that prevent building the settings.
    blocking: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """The settings could be built (deferred problems may remain)."""
        return self._settings is not None and not self.blocking

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that stop a start-up (under ``strict``, deferred ones too)."""
        return tuple(problem for problem in self.problems if problem.is_error)

    @property
    def deferred(self) -> tuple[Problem, ...]:
        """The problems the start-up carries on with, and reports (or raises) at its end."""
        return tuple(problem for problem in self.problems if problem not in self.blocking)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if not problem.is_error)

    @property
    def settings(self) -> Settings:
        """The settings, or ``ConfigError`` listing every problem when they cannot be built."""
        if self._settings is None or self.blocking:
            raise ConfigError(self.problems)
        return self._settings

    def source_of(self, key: str) -> str:
        """Where the value of a dotted key (``max_age``, ``cors.allow_origins``) came from."""
        provenance = self.provenance
        if key in provenance:
            return provenance[key]
        nested = sorted(label for path, label in provenance.items() if path.startswith(key + "."))
        if nested:
            return ", ".join(dict.fromkeys(nested))
        return "default"

    @classmethod
    def of(cls, settings: Settings, label: str = "Settings()") -> LoadedSettings:
        """A settings object built in code: the keys it was given come from ``label``."""
        provenance = {
            key: label for key in settings.model_fields_set if key in Settings.model_fields
        }
        return cls(settings, provenance, (), (label,))

    def with_defaults(self, **values: Any) -> LoadedSettings:
        """These settings with other defaults for the keys that no source set (Django's
        ``DEBUG``-dependent defaults); values are not validated again."""
        if self._settings is None:
            return self
        updates = {key: value for key, value in values.items() if self.source_of(key) == "default"}
        if not updates:
            return self
        settings = self._settings.model_copy(update=updates)
        return LoadedSettings(settings, self.provenance, self.problems, self.sources, self.blocking)

    def with_code(self, values: Mapping[str, Any], label: str = "code") -> LoadedSettings:
        """These settings with ``values`` over them (highest precedence), validated again
        without reading any source."""
        settings = self.settings
        data = {name: getattr(settings, name) for name in type(settings).model_fields}
        source = MappingSource(_SourcedSettings, values, label)
        extra = source()
        problems = list(source.problems)
        data.update(extra)
        merged: Settings | None = None
        if not problems:
            try:
                merged = Settings.model_validate(data)
            except ValidationError as error:  # pragma: no cover - checked per key above
                problems.extend(problems_from_validation(error, Settings, data, source.describe))
        provenance = {
            key: label_
            for key, label_ in self.provenance.items()
            if re.split(r"[.\[]", key, maxsplit=1)[0] not in values
        }
        provenance.update(_provenance([source]))
        return LoadedSettings(
            merged,
            provenance,
            (*self.problems, *problems),
            (label, *self.sources),
            (*self.blocking, *problems),
        )


@dataclass
class _Request:
    """What one ``load_settings`` call reads (pydantic-settings' hook receives no arguments
    of ours, so the request travels in a context variable)."""

    code: Mapping[str, Any]
    code_source: str
    code_labels: Mapping[str, str]
    environ: Mapping[str, str]
    cwd: Path
    config_file: Path | str | None
    extra: Sequence[ConfigSource]
    built: list[ConfigSource] = field(default_factory=list)

    def sources(self, settings_cls: type[BaseSettings]) -> tuple[ConfigSource, ...]:
        """Every source, highest precedence first."""
        sources: list[ConfigSource] = [
            MappingSource(settings_cls, self.code, self.code_source, self.code_labels),
            *self.extra,
            EnvironmentSource(settings_cls, self.environ),
        ]
        base = self.cwd
        explicit = self.config_file
        asked_by = "--config"
        if explicit is None:
            explicit = _env_get(self.environ, CONFIG_ENV)
            asked_by = CONFIG_ENV
        explicit_path: Path | None = None
        if explicit:
            explicit_path = Path(explicit)
            if not explicit_path.is_absolute():
                explicit_path = base / explicit_path
            table = ("tool", "servestatic") if explicit_path.name == "pyproject.toml" else ()
            missing = None if explicit_path.is_file() else asked_by
            sources.append(
                TomlFileSource(settings_cls, explicit_path, cwd=base, table=table, missing=missing)
            )
        local = base / "servestatic.toml"
        if local.is_file() and not _same_file(local, explicit_path):
            sources.append(TomlFileSource(settings_cls, local, cwd=base))
        pyproject = base / "pyproject.toml"
        if pyproject.is_file() and not _same_file(pyproject, explicit_path):
            sources.append(
                TomlFileSource(
                    settings_cls,
                    pyproject,
                    cwd=base,
                    table=("tool", "servestatic"),
                    missing_table_ok=True,
                )
            )
        self.built = sources
        return tuple(sources)


def _env_get(environ: Mapping[str, str], name: str) -> str | None:
    for key, value in environ.items():
        if key.upper() == name:
            return value
    return None


def _same_file(first: Path, second: Path | None) -> bool:
    if second is None:
        return False
    try:
        return first.resolve() == second.resolve()
    except OSError:  # pragma: no cover - resolve() only fails on exotic filesystems
        return False


_REQUEST: ContextVar[_Request | None] = ContextVar("servestatic_load_request", default=None)


class _SourcedSettings(BaseSettings, Settings):
    """The settings model on pydantic-settings: its sources and their precedence.

    Private: :func:`load_settings` instantiates it and returns a pure ``Settings``.
    """

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        validate_default=False,
        json_schema_extra={"additionalProperties": False},
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The precedence, highest first: code, adapters' sources, environment, files."""
        request = _REQUEST.get()
        if request is None:  # instantiated directly: this process's environment and files
            request = _default_request(getattr(init_settings, "init_kwargs", {}))
        return request.sources(settings_cls)


def _default_request(code: Mapping[str, Any]) -> _Request:
    return _Request(code, "code", {}, os.environ, Path.cwd(), None, ())


@contextmanager
def _serving(request: _Request) -> Iterator[None]:
    token = _REQUEST.set(request)
    try:
        yield
    finally:
        _REQUEST.reset(token)


def load_settings(
    code: Mapping[str, Any] | None = None,
    /,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    config_file: Path | str | None = None,
    code_source: str = "code",
    code_labels: Mapping[str, str] | None = None,
    sources: Sequence[ConfigSource] = (),
    **keywords: Any,
) -> LoadedSettings:
    """Read every source and validate: settings, the source of each value, every problem.

    ``code`` (or keywords) are the highest-precedence values. ``environ`` and ``cwd``
    replace the process's environment and working directory (where ``servestatic.toml``
    and ``pyproject.toml`` are looked up); ``config_file`` takes the place of
    ``SERVESTATIC_CONFIG``. ``code_source`` and ``code_labels`` name the code values in
    problems (``ServeStatic()``, ``--prefix``). ``sources`` are added between the code and
    the environment (Django settings). Never raises for a configuration problem: they are in
    ``problems``, and reading ``.settings`` raises :class:`ConfigError` when one is an error.
    """
    values = {**(code or {}), **keywords}
    request = _Request(
        values,
        code_source,
        dict(code_labels or {}),
        os.environ if environ is None else environ,
        Path.cwd() if cwd is None else Path(cwd),
        config_file,
        tuple(sources),
    )
    settings: Settings | None = None
    late: list[Problem] = []
    with _serving(request):
        try:
            sourced = _SourcedSettings()
        except ValidationError as error:
            # Every source validated its own values; what is left comes from combining them
            # (a group with keys from two sources).
            provenance = _provenance(request.built)
            late = problems_from_validation(
                error, Settings, {}, lambda key: provenance.get(key, _owner(provenance, key))
            )
        else:
            settings = Settings.model_construct(
                _fields_set=set(sourced.model_fields_set),
                **{name: getattr(sourced, name) for name in Settings.model_fields},
            )
    provenance = _provenance(request.built)
    labels: list[str] = []
    imported: list[Problem] = []
    if settings is not None:
        # _headers / _redirects: read once the roots and ``import`` are known.
        settings, provenance, imported, labels = apply_imports(settings, provenance, request.cwd)
    problems = [problem for source in request.built for problem in source.problems]
    problems += late + imported
    blocking = tuple(problem for problem in problems if problem.is_error)
    # strict: a warning (an unknown variable) stops the start-up, at its end.
    problems = as_strict(problems, settings is not None and settings.strict)
    return LoadedSettings(
        settings,
        provenance,
        tuple(problems),
        (
            *(
                source.label
                for source in request.built
                if source.data or source.problems or source in request.extra
            ),
            *labels,
        ),
        blocking,
    )


def _owner(provenance: Mapping[str, str], key: str) -> str:
    top = key.split(".", 1)[0]
    return provenance.get(top, "default")


def _provenance(sources: Sequence[ConfigSource]) -> dict[str, str]:
    """Dotted key → label of the source that gave the value (sources highest first)."""
    provenance: dict[str, str] = {}
    for source in reversed(sources):
        for key, value in source().items():
            if isinstance(value, dict) and _merges(key):
                for sub in value:
                    provenance[f"{key}.{sub}"] = source.describe(f"{key}.{sub}")
                continue
            for stale in [name for name in provenance if name.startswith(key + ".")]:
                del provenance[stale]
            provenance[key] = source.describe(key)
    return provenance


def _merges(key: str) -> bool:
    """Tables merged key by key across sources: the groups and ``mimetypes``."""
    info = Settings.model_fields.get(key)
    if info is None:
        return False
    return key == "mimetypes" or group_model(info.annotation) is not None
