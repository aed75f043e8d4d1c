"""The Django middleware's start-up, run without serving: ``manage.py check`` and the CLI.

The settings are read as the middleware reads them, then the middleware itself is built
(``STATIC_ROOT``, the manifest, the finders, the configured roots) with its start-up problems
gathered instead of raised: ``manage.py check`` fails exactly when the middleware would
fail to start, and ``servestatic check``/``explain`` in a Django project see what it serves.
"""

from __future__ import annotations

import warnings
from typing import Any

import django
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.utils.module_loading import import_string

from servestatic.config import Problem, as_strict
from servestatic.django.middleware import ServeStaticMiddleware
from servestatic.django.settings import (
    CHECK_IDS,
    CRASH_ID,
    Collected,
    Finding,
    collect,
    finding,
    no_manifest_problem,
)
from servestatic.serve.boot import Boot

__all__ = ["StartUp", "boot", "installed_middleware", "start_up", "storage_findings"]

MIDDLEWARE = "servestatic.middleware.ServeStaticMiddleware"


def installed_middleware(settings: Any = None) -> type[ServeStaticMiddleware] | None:
    """The ServeStatic middleware class in ``MIDDLEWARE`` (a subclass counts), if any."""
    settings = django_settings if settings is None else settings
    for entry in getattr(settings, "MIDDLEWARE", None) or []:
        if entry == MIDDLEWARE:
            return ServeStaticMiddleware
        try:
            candidate = import_string(entry)
        except ImportError:
            continue  # Django reports it when it loads the middleware
        if isinstance(candidate, type) and issubclass(candidate, ServeStaticMiddleware):
            return candidate
    return None


def _checking(cls: type[ServeStaticMiddleware]) -> type[ServeStaticMiddleware]:
    """The same class, with its start-up problems gathered instead of raised."""
    return type(f"Checking{cls.__name__}", (cls,), {"_collect_problems": True})


def storage_findings(collected: Collected) -> list[Finding]:
    """E012: ``SERVESTATIC_USE_MANIFEST = True`` with a storage that keeps no manifest."""
    if collected.django is None or not collected.django.use_manifest:
        return []
    try:
        is_manifest = isinstance(staticfiles_storage, ManifestFilesMixin)
    except Exception:  # a storage that cannot start is Django's error to report
        is_manifest = True
    if is_manifest:
        return []
    return [
        Finding(
            CHECK_IDS["use_manifest"],
            str(no_manifest_problem(staticfiles_storage)),
            hint=(
                "Use 'servestatic.storage.CompressedManifestStaticFilesStorage' in "
                "STORAGES['staticfiles'], or remove SERVESTATIC_USE_MANIFEST."
            ),
            field="use_manifest",
        )
    ]


def _no_response(request: Any) -> None:  # pragma: no cover - never called
    return None


class StartUp:
    """The settings read, the middleware built (when the settings allow it), and the
    problems of its start-up as system check findings."""

    def __init__(
        self, settings: Any = None, middleware: type[ServeStaticMiddleware] | None = None
    ) -> None:
        settings = django_settings if settings is None else settings
        cls = middleware or installed_middleware(settings) or ServeStaticMiddleware
        self.collected: Collected = collect(settings)
        self.middleware: ServeStaticMiddleware | None = None
        #: Start-up problems of the engine (after the settings' own).
        self.problems: tuple[Problem, ...] = ()
        #: A failure of the middleware that is not a configuration problem.
        self.crash: Problem | None = None
        self.storage = storage_findings(self.collected)
        if not self.collected.loaded.ok or self.collected.django is None or self.storage:
            return  # reported by the settings check; the middleware would not start
        try:
            with warnings.catch_warnings():
                # Renamed settings are findings already; start-up problems are gathered.
                warnings.simplefilter("ignore")
                self.middleware = _checking(cls)(_no_response, settings=settings)
        except Exception as error:  # any failure: the middleware would not start either
            self.crash = Problem(
                cls.__name__,
                "",
                f"cannot start: {type(error).__name__}: {error}",
                None,
                kind="crash",
            )
            return
        engine = self.middleware.engine
        # The engine starts with the settings' deferred problems, already findings.
        self.problems = tuple(engine.problems[len(self.collected.loaded.deferred) :])

    @property
    def strict(self) -> bool:
        settings = self.collected.settings
        return settings is not None and settings.strict

    def findings(self) -> list[Finding]:
        """The start-up's findings: errors when the middleware would not start."""
        found = [finding(problem) for problem in as_strict(self.problems, self.strict)]
        if self.crash is not None:
            found.append(Finding(CRASH_ID, str(self.crash)))
        return found


def start_up(
    settings: Any = None, middleware: type[ServeStaticMiddleware] | None = None
) -> StartUp:
    return StartUp(settings, middleware)


def boot() -> Boot:
    """The CLI's view of a Django project: every problem in the order the middleware
    reports them, and the middleware's engine (misses go to Django)."""
    if not apps.ready:
        django.setup()
    start = StartUp()
    loaded = start.collected.loaded
    problems = [*loaded.problems]
    if start.middleware is not None:
        problems.extend(as_strict(start.problems, start.strict))
    notes = [
        f"[{item.id}] {item.message}" + (f" ({item.hint})" if item.hint else "")
        for item in start.collected.notes
    ]
    if start.crash is not None:
        problems.append(start.crash)
    if start.storage:
        problems.append(no_manifest_problem(staticfiles_storage))
    engine = start.middleware.engine if start.middleware is not None else None
    return Boot(loaded, engine, tuple(problems), tuple(notes), standalone=False)
