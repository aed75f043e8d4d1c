"""Typed configuration: the pure settings model, its sources, and its problems.

``Settings`` is the model (building it reads nothing else); ``load_settings`` reads code,
the environment, the files and adapters' sources (Django) into a :class:`LoadedSettings`:
the settings, the source of every value and every :class:`Problem`.

The names below are imported on first use (PEP 562): a module that needs one name (the
engine's ``FOREVER``, the CLI's ``ConfigError``) does not pay for the others, and
pydantic-settings is imported only when sources have to be merged (see ``_loader``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from servestatic.config._attribution import problems_from_validation
    from servestatic.config._errors import (
        ConfigError,
        Problem,
        as_strict,
        did_you_mean,
        raise_if_strict,
    )
    from servestatic.config._headers import (
        SERVER_MANAGED,
        check_header_name,
        check_header_value,
        check_unset_name,
    )
    from servestatic.config._levels import zstd_level_problem
    from servestatic.config._loader import LoadedSettings, load_settings
    from servestatic.config._model import (
        DEFAULT_IMMUTABLE_FILE_TEST,
        FOREVER,
        PRESET_NAMES,
        CompressionSettings,
        CorsSettings,
        ErrorPageSettings,
        HiddenFileSettings,
        HintSettings,
        MemoryCacheSettings,
        RangeSettings,
        Redirect,
        RootSettings,
        Rule,
        SecuritySettings,
        Settings,
        SpaSettings,
        StreamingSettings,
        ZstdLevel,
    )
    from servestatic.config._presence import has_sources
    from servestatic.config._sources import (
        ConfigSource,
        EnvironmentSource,
        MappingSource,
        TomlFileSource,
        is_kubernetes_service_variable,
    )

    # The groups' names before issue 15 (``MemoryCache`` also named the runtime cache):
    # importable still, as the classes they now are.
    ErrorPages = ErrorPageSettings
    HiddenFiles = HiddenFileSettings
    MemoryCache = MemoryCacheSettings

__all__ = [
    "DEFAULT_IMMUTABLE_FILE_TEST",
    "FOREVER",
    "PRESET_NAMES",
    "SERVER_MANAGED",
    "CompressionSettings",
    "ConfigError",
    "ConfigSource",
    "CorsSettings",
    "EnvironmentSource",
    "ErrorPageSettings",
    "ErrorPages",
    "HiddenFileSettings",
    "HiddenFiles",
    "HintSettings",
    "LoadedSettings",
    "MappingSource",
    "MemoryCache",
    "MemoryCacheSettings",
    "Problem",
    "RangeSettings",
    "Redirect",
    "RootSettings",
    "Rule",
    "SecuritySettings",
    "Settings",
    "SpaSettings",
    "StreamingSettings",
    "TomlFileSource",
    "ZstdLevel",
    "as_strict",
    "check_header_name",
    "check_header_value",
    "check_unset_name",
    "did_you_mean",
    "has_sources",
    "is_kubernetes_service_variable",
    "load_settings",
    "problems_from_validation",
    "raise_if_strict",
    "zstd_level_problem",
]

_MODULES = {
    "servestatic.config._attribution": ("problems_from_validation",),
    "servestatic.config._errors": (
        "ConfigError",
        "Problem",
        "as_strict",
        "did_you_mean",
        "raise_if_strict",
    ),
    "servestatic.config._headers": (
        "SERVER_MANAGED",
        "check_header_name",
        "check_header_value",
        "check_unset_name",
    ),
    "servestatic.config._levels": ("zstd_level_problem",),
    "servestatic.config._loader": ("LoadedSettings", "load_settings"),
    "servestatic.config._model": (
        "DEFAULT_IMMUTABLE_FILE_TEST",
        "FOREVER",
        "PRESET_NAMES",
        "CompressionSettings",
        "CorsSettings",
        "ErrorPageSettings",
        "HiddenFileSettings",
        "HintSettings",
        "MemoryCacheSettings",
        "RangeSettings",
        "Redirect",
        "RootSettings",
        "Rule",
        "SecuritySettings",
        "Settings",
        "SpaSettings",
        "StreamingSettings",
        "ZstdLevel",
    ),
    "servestatic.config._presence": ("has_sources",),
    "servestatic.config._sources": (
        "ConfigSource",
        "EnvironmentSource",
        "MappingSource",
        "TomlFileSource",
        "is_kubernetes_service_variable",
    ),
}
#: Public name → (module, name in that module).
_LAZY = {name: (module, name) for module, names in _MODULES.items() for name in names}
_LAZY.update(
    ErrorPages=("servestatic.config._model", "ErrorPageSettings"),
    HiddenFiles=("servestatic.config._model", "HiddenFileSettings"),
    MemoryCache=("servestatic.config._model", "MemoryCacheSettings"),
)


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:
        msg = f"module 'servestatic.config' has no attribute {name!r}"
        raise AttributeError(msg)
    module, attribute = where
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
