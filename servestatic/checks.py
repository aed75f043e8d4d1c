"""System checks for servestatic's Django settings, each with a stable id.

Registered by the ``servestatic`` app (``INSTALLED_APPS``). Setting errors are the lines of
the settings model's ``ConfigError`` (``settings.SERVESTATIC_MAX_AGE → max_age: ...``),
so ``manage.py check`` and the middleware's start-up error say the same thing. ServeStatic
4.4's ids are kept for its settings (E001, E010-E033, W001); servestatic's own settings use
E040 onwards. The full table is in ``docs/django.md``.

The checks are tagged ``staticfiles`` so that ``collectstatic`` runs them too.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning

from servestatic._django.settings import CHECK_IDS, WARNING_IDS, collect

__all__ = ["check_legacy_app", "check_middleware", "check_settings"]

SERVESTATIC_MIDDLEWARE = "servestatic.middleware.ServeStaticMiddleware"
GZIP_MIDDLEWARE = "django.middleware.gzip.GZipMiddleware"
WHITENOISE_MIDDLEWARE = "whitenoise.middleware.WhiteNoiseMiddleware"
LEGACY_APP = "servestatic.runserver_nostatic"


@register(Tags.staticfiles)
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E001: GZipMiddleware must not see servestatic's responses; W005: WhiteNoise left over."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    messages: list[CheckMessage] = []
    if (
        SERVESTATIC_MIDDLEWARE in middleware
        and GZIP_MIDDLEWARE in middleware
        and middleware.index(SERVESTATIC_MIDDLEWARE) > middleware.index(GZIP_MIDDLEWARE)
    ):
        messages.append(
            Error(
                f"'{SERVESTATIC_MIDDLEWARE}' must come before '{GZIP_MIDDLEWARE}' in MIDDLEWARE",
                hint=(
                    "GZipMiddleware would compress static files again on every request and "
                    "weaken their ETags; servestatic already sends precompressed variants."
                ),
                id="servestatic.E001",
            )
        )
    if WHITENOISE_MIDDLEWARE in middleware:
        messages.append(
            CheckWarning(
                f"'{WHITENOISE_MIDDLEWARE}' is still in MIDDLEWARE",
                hint=f"Replace it with '{SERVESTATIC_MIDDLEWARE}'.",
                id=WARNING_IDS["whitenoise_middleware"],
            )
        )
    return messages


@register(Tags.staticfiles)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every bad ``SERVESTATIC_*`` setting (and environment variable or config file entry)."""
    collected = collect(settings)
    messages: list[CheckMessage] = [
        (Error if finding.error else CheckWarning)(
            finding.message, hint=finding.hint, id=finding.id
        )
        for finding in collected.findings
    ]
    if collected.django is not None and collected.django.use_manifest:
        try:
            is_manifest = isinstance(staticfiles_storage, ManifestFilesMixin)
        except Exception:  # a storage that cannot start is Django's error to report
            is_manifest = True
        if not is_manifest:
            messages.append(
                Error(
                    "settings.SERVESTATIC_USE_MANIFEST is True but the staticfiles storage "
                    f"({type(staticfiles_storage).__name__}) keeps no manifest",
                    hint=(
                        "Use 'servestatic.storage.CompressedManifestStaticFilesStorage' in "
                        "STORAGES['staticfiles'], or remove SERVESTATIC_USE_MANIFEST."
                    ),
                    id=CHECK_IDS["use_manifest"],
                )
            )
    return messages


@register(Tags.staticfiles)
def check_legacy_app(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """W001: the legacy app path ``servestatic.runserver_nostatic``."""
    if not apps.is_installed(LEGACY_APP):
        return []
    return [
        CheckWarning(
            f"'{LEGACY_APP}' in INSTALLED_APPS is deprecated",
            hint="Replace it with 'servestatic', before 'django.contrib.staticfiles'.",
            id=WARNING_IDS["legacy_app"],
        )
    ]
