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


class ServeStaticRunserverNoStaticConfig(apps.ServeStaticConfig):
    """``"servestatic.runserver_nostatic"`` in ``INSTALLED_APPS`` (deprecated)."""

    name = "servestatic.runserver_nostatic"
    label = "servestatic_runserver_nostatic"
    # The module also exposes ServeStaticConfig (4.4's import); Django picks this one.
    default = True

    def ready(self) -> None:
        warnings.warn(
            "'servestatic.runserver_nostatic' in INSTALLED_APPS is deprecated; "
            "use 'servestatic' instead",
            DeprecationWarning,
            stacklevel=2,
        )
        super().ready()


class ServeStaticRunserverNoStaticAliasConfig(ServeStaticRunserverNoStaticConfig):
    """ServeStatic 4.4's name for the same app config (its dotted path in ``INSTALLED_APPS``
    keeps working)."""

    default = False
