"""Typed configuration: the pure settings model, its sources, and its problems.

``Settings`` is the model (building it reads nothing else); ``load_settings`` reads code,
the environment, the files and adapters' sources (Django) into a :class:`LoadedSettings`:
the settings, the source of every value and every :class:`Problem`.
"""

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
    zstd_level_problem,
)
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
    "is_kubernetes_service_variable",
    "load_settings",
    "problems_from_validation",
    "raise_if_strict",
    "zstd_level_problem",
]
