"""System checks for servestatic's Django settings, each with a stable id.

Registered by the ``servestatic`` app (``INSTALLED_APPS``). Setting errors are the lines of
the settings model's ``ConfigError`` (``settings.SERVESTATIC_MAX_AGE → max_age: ...``),
so ``manage.py check`` and the middleware's start-up error say the same thing. ServeStatic
4.4's ids are kept for its settings (E001, E010-E033, W001); servestatic's own settings use
E040 onwards. The full table is in ``docs/django.md``.

The settings checks are tagged ``staticfiles`` so that ``collectstatic`` runs them too.
:func:`check_startup` runs the middleware's start-up (its indexing and every start-up
validation) when the middleware is installed, so ``manage.py check`` fails exactly when the
middleware would fail to start; it is not tagged ``staticfiles``: before ``collectstatic``
has run, ``STATIC_ROOT`` may rightly not exist yet.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning

from servestatic.django.settings import WARNING_IDS, Finding, collect

__all__ = [
    "check_legacy_app",
    "check_middleware",
    "check_settings",
    "check_startup",
]

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
    from servestatic.django.boot import storage_findings  # noqa: PLC0415 - the middleware

    collected = collect(settings)
    return _messages([*collected.findings, *storage_findings(collected)])


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


def _messages(findings: Any) -> list[CheckMessage]:
    found: list[Finding] = list(findings)
    return [
        (Error if item.error else CheckWarning)(item.message, hint=item.hint, id=item.id)
        for item in found
    ]


@register()
def check_startup(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The middleware's start-up: missing directories, rules that match no file, a missing
    SPA fallback or 404 page, skipped files. Errors under ``SERVESTATIC_STRICT`` (the
    middleware would refuse to start), warnings otherwise."""
    # Imported here: the middleware module imports the staticfiles storage.
    from servestatic.django.boot import installed_middleware, start_up  # noqa: PLC0415

    middleware = installed_middleware(settings)
    if middleware is None:
        return []
    return _messages(start_up(settings, middleware).findings())
