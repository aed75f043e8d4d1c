"""The ``servestatic`` Django app: system checks, and ``runserver`` without Django's static
file handler (so development serves files the way production does)."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["ServeStaticConfig"]


class ServeStaticConfig(AppConfig):
    """``INSTALLED_APPS = ["servestatic", ...]``, before ``django.contrib.staticfiles``."""

    name = "servestatic"
    verbose_name = "ServeStatic"

    def ready(self) -> None:
        # Importing the module registers the checks (once, whichever app imports it).
        from servestatic.django import checks  # noqa: F401, PLC0415
