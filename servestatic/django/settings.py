"""Django settings as one more source of the servestatic settings model.

Every ``SERVESTATIC_<FIELD>`` Django setting feeds the field of the same name of
:class:`~servestatic.config.Settings` (ServeStatic's options and servestatic's groups alike)
as the highest-precedence source; ``SERVESTATIC_*`` environment variables and config files
still fill whatever the Django settings leave unset. Settings that only mean something in a
Django project (finders, manifest, storage, compression at ``collectstatic`` time) are
validated here, by a small model with the same error format.

Nothing here raises while collecting: :func:`collect` returns every problem as a
:class:`Finding` with a stable system check id, so the checks framework and the middleware
report the same lines.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from servestatic.build.history import Retention
from servestatic.config import (
    ConfigSource,
    LoadedSettings,
    Problem,
    Settings,
    ZstdLevel,
    did_you_mean,
    load_settings,
    problems_from_validation,
)
from servestatic.http.paths import normalize_prefix

__all__ = [
    "CHECK_IDS",
    "CRASH_ID",
    "LEGACY_NAMES",
    "OTHER_ID",
    "WARNING_IDS",
    "Collected",
    "DjangoOnlySettings",
    "DjangoSettingsSource",
    "Finding",
    "collect",
    "default_static_prefix",
    "finding",
    "load",
    "no_manifest_problem",
]

PREFIX = "SERVESTATIC_"
LEGACY_PREFIX = "WHITENOISE_"
SOURCE = "Django settings"

#: Field of the settings model (or Django-only setting) → the id of the system check that
#: reports a bad value. E010-E033 are ServeStatic 4.4's ids for the same settings.
CHECK_IDS: dict[str, str] = {
    "root": "servestatic.E010",
    "autorefresh": "servestatic.E011",
    "use_manifest": "servestatic.E012",
    "use_finders": "servestatic.E013",
    "max_age": "servestatic.E014",
    "index_file": "servestatic.E015",
    "mimetypes": "servestatic.E016",
    "charset": "servestatic.E017",
    "allow_all_origins": "servestatic.E018",
    "skip_compress_extensions": "servestatic.E019",
    "use_zstd": "servestatic.E020",
    "zstd_dictionary": "servestatic.E021",
    "zstd_dictionary_is_raw": "servestatic.E022",
    "zstd_level": "servestatic.E023",
    "add_headers_function": "servestatic.E024",
    "immutable_file_test": "servestatic.E025",
    "static_prefix": "servestatic.E026",
    "keep_only_hashed_files": "servestatic.E027",
    "manifest_strict": "servestatic.E028",
    "allow_unsafe_symlinks": "servestatic.E029",
    "use_static_root": "servestatic.E030",
    "minify": "servestatic.E031",
    "use_gzip": "servestatic.E032",
    "use_brotli": "servestatic.E033",
    "retain": "servestatic.E034",
    # servestatic's own settings
    "rules": "servestatic.E040",
    "security": "servestatic.E041",
    "spa": "servestatic.E042",
    "redirects": "servestatic.E043",
    "cors": "servestatic.E044",
    "etag": "servestatic.E045",
    "ranges": "servestatic.E046",
    "hidden": "servestatic.E047",
    "compression": "servestatic.E048",
    "memory_cache": "servestatic.E049",
    "errors": "servestatic.E050",
    "roots": "servestatic.E051",
    "prefix": "servestatic.E052",
    "strict": "servestatic.E053",
    "presets": "servestatic.E054",
    "clean_urls": "servestatic.E055",
    "trailing_slash": "servestatic.E056",
    "hints": "servestatic.E057",
    "streaming": "servestatic.E058",
    "build_tags": "servestatic.E059",
    "watch": "servestatic.E060",
}
#: A problem tied to no setting: an unknown ``SERVESTATIC_*`` environment variable under
#: ``strict``, a syntax error in ``servestatic.toml``, a missing ``STATIC_ROOT`` under
#: ``strict``...
OTHER_ID = "servestatic.E002"
#: The middleware fails to start for another reason than its configuration.
CRASH_ID = "servestatic.E003"
#: Warnings (W001, the legacy app, is reported by ``servestatic.checks``).
WARNING_IDS = {
    "legacy_app": "servestatic.W001",
    "renamed": "servestatic.W002",
    "shadowed": "servestatic.W003",
    "unknown": "servestatic.W004",
    "whitenoise_middleware": "servestatic.W005",
    "startup": "servestatic.W006",
}

#: WhiteNoise 6's Django settings (after ``WHITENOISE_``), honoured when the
#: ``SERVESTATIC_`` setting of the same name is not set.
LEGACY_NAMES = frozenset(
    {
        "root",
        "autorefresh",
        "use_finders",
        "max_age",
        "index_file",
        "mimetypes",
        "charset",
        "allow_all_origins",
        "add_headers_function",
        "immutable_file_test",
        "static_prefix",
        "skip_compress_extensions",
        "keep_only_hashed_files",
        "manifest_strict",
    }
)

#: Settings where ``None`` is a value of its own rather than "use the default"
#: (``SERVESTATIC_MAX_AGE = None`` sends no Cache-Control on mutable files, as in ServeStatic).
_NONE_IS_A_VALUE = frozenset({"max_age"})

_MISSING: Any = object()


# ----------------------------------------------------------------------------- Django-only model


def _static_prefix(value: str | None) -> str | None:
    if value is None:
        return None
    if "\\" in value or "\x00" in value or any(part in {".", ".."} for part in value.split("/")):
        msg = "a URL prefix cannot contain '\\', NUL or '.'/'..' segments"
        raise ValueError(msg)
    return normalize_prefix(value)


_NonEmpty = Annotated[str, Field(min_length=1)]


class DjangoOnlySettings(BaseModel):
    """ServeStatic's Django-only settings (``SERVESTATIC_<NAME>``), same defaults.

    ``None`` defaults are decided at start-up from ``DEBUG`` and the staticfiles storage.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    use_finders: bool | None = None
    """Serve files found by the staticfiles finders (default: ``DEBUG``)."""
    use_manifest: bool | None = None
    """Index the staticfiles manifest (default: not ``DEBUG`` and a manifest storage)."""
    use_static_root: bool | None = None
    """Serve ``STATIC_ROOT`` (default: always, as WhiteNoise)."""
    static_prefix: Annotated[str | None, AfterValidator(_static_prefix)] = None
    """URL prefix of static files (default: the path of ``STATIC_URL``)."""
    keep_only_hashed_files: bool = False
    """Delete (storage) and do not serve (middleware) the unhashed copies."""
    manifest_strict: bool = True
    """Missing manifest entries raise ``ValueError`` (Django's ``manifest_strict``)."""
    skip_compress_extensions: tuple[_NonEmpty, ...] | None = None
    """Extensions ``collectstatic`` never compresses (default: the built-in list)."""
    use_gzip: bool = True
    use_brotli: bool = True
    use_zstd: bool = True
    zstd_dictionary: Any = None
    zstd_dictionary_is_raw: bool = False
    zstd_level: ZstdLevel | None = None
    minify: bool = False
    retain: int | str | None = None
    """Keep the hashed files of the N previous ``collectstatic`` runs (or of those replaced
    less than a duration ago: ``"7d"``) in ``STATIC_ROOT`` (issue 16); ``None``: no history."""

    @field_validator("retain")
    @classmethod
    def _retain(cls, value: int | str | None) -> int | str | None:
        if value is None:
            return None
        if isinstance(value, bool) or (isinstance(value, int) and value < 0):
            msg = f"expected a number of builds >= 0 or a duration such as '7d', got {value!r}"
            raise ValueError(msg)
        Retention.parse(str(value))  # ValueError names what is allowed
        return value

    @property
    def retention(self) -> Retention | None:
        return None if self.retain is None else Retention.parse(str(self.retain))

    @field_validator("zstd_dictionary")
    @classmethod
    def _no_dictionary(cls, value: Any) -> Any:
        # A dictionary-compressed .zst cannot be decoded by browsers as plain
        # "Content-Encoding: zstd" (RFC 9842 needs "dcz"); ServeStatic served it anyway.
        if value is not None:
            msg = (
                "zstd dictionaries are not supported: browsers cannot decode dictionary-"
                "compressed zstd sent as 'Content-Encoding: zstd'; remove the setting"
            )
            raise ValueError(msg)
        return value

    @field_validator("minify")
    @classmethod
    def _no_minify(cls, value: bool) -> bool:
        # ServeStatic minified only the bytes fed to the compressors, so the variants
        # decoded to other content than the file they stand for.
        if value:
            msg = (
                "minify is not supported: minify in your bundler before collectstatic "
                "(ServeStatic's minify made .gz/.br differ from the file)"
            )
            raise ValueError(msg)
        return value


# ----------------------------------------------------------------------------- collection


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with the configuration, as a system check reports it."""

    id: str
    message: str
    hint: str | None = None
    error: bool = True
    field: str | None = None  # the setting (model field or Django-only name) it is about


@dataclass(frozen=True, slots=True)
class Collected:
    """Everything read from the Django settings, or the problems that prevented it."""

    #: The settings (with the ``DEBUG`` defaults) and the source of each value.
    loaded: LoadedSettings
    django: DjangoOnlySettings | None
    debug: bool
    #: Findings about Django settings that are not configuration problems: renamed,
    #: shadowed and unknown ``SERVESTATIC_*``/``WHITENOISE_*`` settings.
    notes: tuple[Finding, ...]
    renamed: tuple[tuple[str, str], ...]  # (WHITENOISE_X, SERVESTATIC_X) used as fallback

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The notes, then every problem of the settings with its check id."""
        return (*self.notes, *(finding(problem) for problem in self.loaded.problems))

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.error]

    @property
    def settings(self) -> Settings | None:
        return self.loaded.settings if self.loaded.ok else None


def _model_fields() -> list[str]:
    """The settings' names after ``SERVESTATIC_``; one spelled as a Python keyword is read by
    its documented name (``SERVESTATIC_IMPORT`` for ``import``)."""
    names = []
    for name, info in Settings.model_fields.items():
        if not name.endswith("_"):
            names.append(name)
        elif info.alias and info.alias.isidentifier():
            names.append(info.alias)
    return names


def _django_only_fields() -> list[str]:
    return list(DjangoOnlySettings.model_fields)


class DjangoSettingsSource(ConfigSource):
    """``SERVESTATIC_<FIELD>`` Django settings (or WhiteNoise's ``WHITENOISE_<FIELD>``) as
    a configuration source, above the environment and the files.

    The Django-only settings (finders, manifest, compression at ``collectstatic`` time) are
    validated here too, by :class:`DjangoOnlySettings`; their problems join the source's.
    """

    def __init__(self, django_settings: Any) -> None:
        super().__init__(None, SOURCE)
        self._django_settings = django_settings
        self.findings: list[Finding] = []
        self.renamed: list[tuple[str, str]] = []
        self.django: DjangoOnlySettings | None = None

    def read(self) -> None:
        model_fields = set(_model_fields())
        django_values: dict[str, Any] = {}
        django_labels: dict[str, str] = {}
        for name, value, label in self._given():
            if name in model_fields:
                self.data[name], self.key_labels[name] = value, label
            else:
                django_values[name], django_labels[name] = value, label
        try:
            self.django = DjangoOnlySettings.model_validate(django_values)
        except ValidationError as error:

            def describe(key: str) -> str:
                return django_labels.get(key.split(".", 1)[0], SOURCE)

            self.problems.extend(
                problems_from_validation(error, DjangoOnlySettings, django_values, describe)
            )
        self.findings.extend(
            _unknown(self._django_settings, [*model_fields, *_django_only_fields()])
        )

    def _given(self) -> Iterable[tuple[str, Any, str]]:
        """(field, value, label) of every setting given, legacy names resolved."""
        django_settings = self._django_settings
        for name in [*_model_fields(), *_django_only_fields()]:
            new = PREFIX + name.upper()
            value = getattr(django_settings, new, _MISSING)
            label = f"settings.{new}"
            if name in LEGACY_NAMES:
                old = LEGACY_PREFIX + name.upper()
                legacy = getattr(django_settings, old, _MISSING)
                if legacy is not _MISSING and value is _MISSING:
                    value, label = legacy, f"settings.{old}"
                    self.renamed.append((old, new))
                    self.findings.append(
                        Finding(
                            WARNING_IDS["renamed"],
                            f"{old} is deprecated; rename it to {new}",
                            hint=f"servestatic reads {old} only when {new} is not set.",
                            error=False,
                        )
                    )
                elif legacy is not _MISSING:
                    self.findings.append(
                        Finding(
                            WARNING_IDS["shadowed"],
                            f"{old} is ignored because {new} is set",
                            hint=f"Remove {old}.",
                            error=False,
                        )
                    )
            if value is _MISSING or (value is None and name not in _NONE_IS_A_VALUE):
                continue  # None means "the default", as ServeStatic's checks treat it
            yield name, value, label


def collect(django_settings: Any) -> Collected:
    """Read every ``SERVESTATIC_*`` (and legacy ``WHITENOISE_*``) setting, then the
    environment and the files below them; never raises."""
    source = DjangoSettingsSource(django_settings)
    loaded = load_settings(code_source=SOURCE, sources=[source])
    debug = bool(getattr(django_settings, "DEBUG", False))
    # ServeStatic's Django defaults, where no source set a value: both follow DEBUG.
    # SERVESTATIC_WATCH keeps the index current instead: autorefresh then stays off under
    # DEBUG too (set both explicitly and the settings refuse the pair).
    watching = loaded.ok and loaded.settings.watch
    loaded = loaded.with_defaults(autorefresh=debug and not watching, max_age=0 if debug else 60)
    return Collected(loaded, source.django, debug, tuple(source.findings), tuple(source.renamed))


def no_manifest_problem(storage: Any) -> Problem:
    """E012: ``SERVESTATIC_USE_MANIFEST = True`` with a staticfiles storage without a
    manifest (the middleware refuses to start; the check says the same words)."""
    return Problem(
        "settings.SERVESTATIC_USE_MANIFEST",
        "",
        f"True, but the staticfiles storage ({type(storage).__name__}) keeps no manifest",
        None,
        kind="no_manifest",
        path=("use_manifest",),
    )


def finding(problem: Problem) -> Finding:
    """A problem as a system check reports it: the id of the setting it is about."""
    name = problem.field
    if problem.is_error:
        check_id = CHECK_IDS.get(name, OTHER_ID) if name else OTHER_ID
    elif problem.kind == "unknown_setting":
        check_id = WARNING_IDS["unknown"]
    else:
        check_id = WARNING_IDS["startup"]
    return Finding(check_id, str(problem), error=problem.is_error, field=name)


def _unknown(django_settings: Any, known: Iterable[str]) -> list[Finding]:
    """``SERVESTATIC_*`` Django settings that nothing reads (typos, removed settings)."""
    names = {PREFIX + name.upper() for name in known}
    findings = []
    for setting in sorted(dir(django_settings)):
        if not setting.startswith(PREFIX) or setting in names:
            continue
        # did_you_mean compares lower-case words.
        suggestion = did_you_mean(setting, sorted(name.lower() for name in names))
        suggestion = suggestion.upper() if suggestion else None
        findings.append(
            Finding(
                WARNING_IDS["unknown"],
                f"settings.{setting} is not a servestatic setting",
                hint=f"Did you mean {suggestion}?" if suggestion else None,
                error=False,
            )
        )
    return findings


def load(django_settings: Any) -> tuple[LoadedSettings, DjangoOnlySettings, bool]:
    """The settings with their sources, the Django-only settings and ``DEBUG``, or
    ``ImproperlyConfigured`` listing every error with its check id when the settings cannot
    be built. Deferred problems (an unknown variable under ``strict``) are the start-up's to
    raise, with its own.

    Legacy ``WHITENOISE_*`` settings in use give a ``DeprecationWarning`` naming the new one.
    """
    collected = collect(django_settings)
    errors = collected.errors
    if collected.settings is None or collected.django is None:
        count = len(errors)
        lines = [f"  [{finding.id}] {finding.message}" for finding in errors]
        header = f"invalid servestatic configuration ({count} problem{'s' if count != 1 else ''})"
        raise ImproperlyConfigured("\n".join([header, *lines]))
    for old, new in collected.renamed:
        warnings.warn(f"{old} is deprecated; rename it to {new}", DeprecationWarning, stacklevel=3)
    return collected.loaded, collected.django, collected.debug


def default_static_prefix(django_settings: Any) -> str | None:
    """The URL path static files are served at: ``STATIC_URL``'s path.

    An absolute ``STATIC_URL`` (a CDN) still gives its path: the CDN pulls files from this
    application at that path. ``FORCE_SCRIPT_NAME`` is removed because the middleware sees
    ``path_info``, which does not include it. None when ``STATIC_URL`` is not set.
    """
    static_url = getattr(django_settings, "STATIC_URL", None)
    if not static_url:
        return None
    path = urlsplit(str(static_url)).path
    script = (getattr(django_settings, "FORCE_SCRIPT_NAME", None) or "").rstrip("/")
    # A segment boundary: FORCE_SCRIPT_NAME "/app" is not a prefix of "/apple/static/".
    if script and (path == script or path.startswith(script + "/")):
        path = path[len(script) :]
    return normalize_prefix(path)
