"""``servestatic.checks``: the system checks (registered when the module is imported).

They live in :mod:`servestatic.django.checks`; the ``servestatic`` app imports them.
"""

from servestatic.django.checks import (
    check_legacy_app,
    check_middleware,
    check_settings,
    check_startup,
)

__all__ = [
    "check_legacy_app",
    "check_middleware",
    "check_settings",
    "check_startup",
]
