"""Typed configuration: the settings model, its sources and its errors."""

from servestatic.config._errors import ConfigError, Problem
from servestatic.config._model import (
    DEFAULT_IMMUTABLE_FILE_TEST,
    FOREVER,
    CompressionSettings,
    CorsSettings,
    ErrorPages,
    HiddenFiles,
    HintSettings,
    MemoryCache,
    RangeSettings,
    Redirect,
    RootSettings,
    Rule,
    SecuritySettings,
    Settings,
    SpaSettings,
)

__all__ = [
    "DEFAULT_IMMUTABLE_FILE_TEST",
    "FOREVER",
    "CompressionSettings",
    "ConfigError",
    "CorsSettings",
    "ErrorPages",
    "HiddenFiles",
    "HintSettings",
    "MemoryCache",
    "Problem",
    "RangeSettings",
    "Redirect",
    "RootSettings",
    "Rule",
    "SecuritySettings",
    "Settings",
    "SpaSettings",
]
