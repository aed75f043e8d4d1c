"""The legacy app: the same checks and ``runserver`` as ``servestatic``, under another label."""

from __future__ import annotations

import warnings

from servestatic import apps

__all__ = ["ServeStaticRunserverNoStaticConfig"]


class ServeStaticRunserverNoStaticConfig(apps.ServeStaticConfig):
    """``"servestatic.runserver_nostatic"`` in ``INSTALLED_APPS`` (deprecated)."""

    name = "servestatic.runserver_nostatic"
    label = "servestatic_runserver_nostatic"

    def ready(self) -> None:
        warnings.warn(
            "'servestatic.runserver_nostatic' in INSTALLED_APPS is deprecated; "
            "use 'servestatic' instead",
            DeprecationWarning,
            stacklevel=2,
        )
        super().ready()
