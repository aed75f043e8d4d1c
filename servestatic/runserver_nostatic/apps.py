"""The legacy app: the same checks and ``runserver`` as ``servestatic``, under another label."""

from __future__ import annotations

import warnings

from servestatic import apps
from servestatic.apps import ServeStaticConfig

__all__ = [
    "ServeStaticConfig",
    "ServeStaticRunserverNoStaticAliasConfig",
    "ServeStaticRunserverNoStaticConfig",
]

#: ServeStatic 4.4's exact words: warning filters match on the text.
_DEPRECATED = "The 'servestatic.runserver_nostatic' app is deprecated. Use 'servestatic' instead."


class ServeStaticRunserverNoStaticConfig(apps.ServeStaticConfig):
    """``"servestatic.runserver_nostatic"`` in ``INSTALLED_APPS`` (deprecated; check
    ``servestatic.W001`` says so, but no ``DeprecationWarning``: ServeStatic 4.4 loaded a
    plain app config for this entry, which never warned)."""

    name = "servestatic.runserver_nostatic"
    label = "servestatic_runserver_nostatic"
    # The module also exposes ServeStaticConfig (4.4's import); Django picks this one.
    default = True


class ServeStaticRunserverNoStaticAliasConfig(ServeStaticRunserverNoStaticConfig):
    """ServeStatic 4.4's name for the same app config; its dotted path in ``INSTALLED_APPS``
    warns as 4.4 did (same text, category and stack level)."""

    default = False

    def ready(self) -> None:
        super().ready()
        warnings.warn(_DEPRECATED, DeprecationWarning, stacklevel=2)
