"""Merging sources with pydantic-settings: imported only when two or more sources gave values.

pydantic-settings merges what the sources return (highest precedence first): groups (and
``mimetypes``) key by key, lists (``rules``, ``roots``, ...) replaced whole by a higher
source. With one source there is nothing to merge and the loader validates its values with
the pure model directly, without importing pydantic-settings (about a quarter of the cold
start of a server that reads no environment variable or file; issue 19).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from servestatic.config._model import Settings
from servestatic.config._sources import ConfigSource

__all__ = ["merge"]


class _Bound(PydanticBaseSettingsSource):
    """One of our sources as pydantic-settings sees it: its valid values, read once."""

    def __init__(self, settings_cls: type[BaseSettings], source: ConfigSource) -> None:
        super().__init__(settings_cls)
        self.source = source

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.source().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self.source()


#: The sources of the ``merge`` call in progress (pydantic-settings' hook receives no
#: arguments of ours, so they travel in a context variable).
_SOURCES: ContextVar[Sequence[ConfigSource]] = ContextVar("servestatic_merge_sources")


class _SourcedSettings(BaseSettings, Settings):
    """The settings model on pydantic-settings: the sources of the ``merge`` call in
    progress, in their precedence."""

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
        """The precedence, highest first: the order the loader gave (code, adapters'
        sources, environment, files)."""
        return tuple(_Bound(settings_cls, source) for source in _SOURCES.get(()))


@contextmanager
def _merging(sources: Sequence[ConfigSource]) -> Iterator[None]:
    token = _SOURCES.set(sources)
    try:
        yield
    finally:
        _SOURCES.reset(token)


def merge(sources: Sequence[ConfigSource]) -> Settings:
    """The pure settings from ``sources`` (highest precedence first) merged and validated;
    raises pydantic's ``ValidationError`` for what is wrong only in combination."""
    with _merging(sources):
        sourced = _SourcedSettings()
    return Settings.model_construct(
        _fields_set=set(sourced.model_fields_set),
        **{name: getattr(sourced, name) for name in Settings.model_fields},
    )
