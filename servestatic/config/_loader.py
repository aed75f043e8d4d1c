"""``load_settings``: every source, their precedence, provenance and problems.

Precedence, highest first (one place, :meth:`_Request.sources`,
tested pair by pair):

1. keyword arguments given in code (the CLI's flags);
2. sources an adapter adds (Django settings, through ``servestatic.django``);
3. environment variables ``SERVESTATIC_*`` (groups nested with ``__``, lists as JSON);
4. the file named by ``SERVESTATIC_CONFIG`` (or ``--config``);
5. ``./servestatic.toml``;
6. ``[tool.servestatic]`` in ``./pyproject.toml``;
7. the model's defaults.

Every source reads and validates its own values. When two or more gave values,
pydantic-settings merges them (``_merge``): groups (and ``mimetypes``) key by key, lists
(``rules``, ``roots``, ...) replaced whole by a higher source. With one (the common case: a
``ServeStatic(app, root)`` with no ``SERVESTATIC_*`` variable and no file), there is nothing
to merge and its values are validated by the pure model, so pydantic-settings is not even
imported. Either way the result is the pure :class:`~servestatic.config.Settings`; every leaf
remembers its source, so that ``servestatic check`` can say where a value came from and
errors name the file or variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from servestatic.config._attribution import group_model, problems_from_validation
from servestatic.config._errors import ConfigError, Problem, as_strict
from servestatic.config._model import Settings
from servestatic.config._presence import CONFIG_ENV, LOCAL_FILE, PYPROJECT_FILE, PYPROJECT_TABLE
from servestatic.config._sources import (
    ConfigSource,
    EnvironmentSource,
    MappingSource,
    TomlFileSource,
)

__all__ = ["HOST_FILES", "LoadedSettings", "import_files", "load_settings"]

#: Netlify's and Cloudflare Pages' configuration files, read as a source (``_imports``).
HOST_FILES = ("_headers", "_redirects")


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
        source = MappingSource(None, values, label)
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
    """What one ``load_settings`` call reads."""

    code: Mapping[str, Any]
    code_source: str
    code_labels: Mapping[str, str]
    environ: Mapping[str, str]
    cwd: Path
    config_file: Path | str | None
    extra: Sequence[ConfigSource]

    def sources(self) -> list[ConfigSource]:
        """Every source, highest precedence first."""
        sources: list[ConfigSource] = [
            MappingSource(None, self.code, self.code_source, self.code_labels),
            *self.extra,
            EnvironmentSource(None, self.environ),
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
            table = PYPROJECT_TABLE if explicit_path.name == PYPROJECT_FILE else ()
            missing = None if explicit_path.is_file() else asked_by
            sources.append(
                TomlFileSource(None, explicit_path, cwd=base, table=table, missing=missing)
            )
        # What is looked at here, has_sources (servestatic.config._presence) looks at too.
        local = base / LOCAL_FILE
        if local.is_file() and not _same_file(local, explicit_path):
            sources.append(TomlFileSource(None, local, cwd=base))
        pyproject = base / PYPROJECT_FILE
        if pyproject.is_file() and not _same_file(pyproject, explicit_path):
            sources.append(
                TomlFileSource(
                    None,
                    pyproject,
                    cwd=base,
                    table=PYPROJECT_TABLE,
                    missing_table_ok=True,
                )
            )
        return sources


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
    built = request.sources()
    settings: Settings | None = None
    late: list[Problem] = []
    try:
        settings = _combine(built)
    except ValidationError as error:
        # Every source validated its own values; what is left comes from combining them
        # (a group with keys from two sources).
        provenance = _provenance(built)
        late = problems_from_validation(
            error, Settings, {}, lambda key: provenance.get(key, _owner(provenance, key))
        )
    provenance = _provenance(built)
    labels: list[str] = []
    imported: list[Problem] = []
    paths = [] if settings is None else import_files(settings, request.cwd)
    if settings is not None and paths:
        # _headers / _redirects: read once the roots and ``import`` are known (their parser
        # is imported only when there is a file to read).
        from servestatic.config._imports import apply_imports  # noqa: PLC0415

        merged = apply_imports(settings, provenance, request.cwd, paths)
        settings, provenance, imported, labels = merged
    problems = [problem for source in built for problem in source.problems]
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
                for source in built
                if source.data or source.problems or source in request.extra
            ),
            *labels,
        ),
        blocking,
    )


def import_files(settings: Settings, cwd: Path) -> list[Path]:
    """The files to read: ``import`` when set, else those at the top of each root at ``/``."""
    if settings.import_ is not None:
        return [Path(item) if Path(item).is_absolute() else cwd / item for item in settings.import_]
    roots: list[Path] = []
    if settings.root is not None and (settings.prefix or "/") == "/":
        roots.append(Path(settings.root))
    roots.extend(Path(root.path) for root in settings.roots if root.prefix == "/")
    found = []
    for root in roots:
        for name in HOST_FILES:
            candidate = root / name
            if candidate.is_file():
                found.append(candidate)
    return found


def _combine(sources: Sequence[ConfigSource]) -> Settings:
    """The settings from the sources' valid values (highest precedence first)."""
    given = [values for values in (source() for source in sources) if values]
    if len(given) > 1:
        # Only merging needs pydantic-settings (and its import is a quarter of a cold start).
        from servestatic.config._merge import merge  # noqa: PLC0415

        return merge(sources)
    # One source or none: pydantic-settings would validate exactly these values.
    return Settings.model_validate(given[0] if given else {})


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
