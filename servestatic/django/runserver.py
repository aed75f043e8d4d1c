"""``runserver`` that defaults to ``--nostatic``, wrapping whichever ``runserver`` comes next.

Django runs the ``runserver`` of the first app in ``INSTALLED_APPS`` that has one. Ours must
come before ``django.contrib.staticfiles`` (whose ``runserver`` serves static files itself)
and still keep the features of any ``runserver`` below it (staticfiles', daphne's,
channels'), so the base class is found at import time: the next app's command.
"""

from __future__ import annotations

import contextlib
from argparse import ArgumentParser
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand

__all__ = ["NOTE", "next_runserver", "wrap"]

NOTE = "(Wrapped by '{app}' to always enable '--nostatic')"


def next_runserver(app_name: str) -> type[BaseCommand]:
    """The ``runserver`` command class of the first app after ``app_name`` that has one."""
    names = [config.name for config in apps.get_app_configs()]
    if app_name in names:
        below = names[names.index(app_name) + 1 :]
    else:  # imported directly: any app but servestatic's own
        below = [name for name in names if name.split(".")[0] != "servestatic"]
    for name in [*below, "django.core"]:
        with contextlib.suppress(ImportError, AttributeError):
            command: type[BaseCommand] = import_module(
                f"{name}.management.commands.runserver"
            ).Command
            return command
    msg = "Django has no runserver command"  # pragma: no cover - django.core always has one
    raise ImportError(msg)  # pragma: no cover


def wrap(base: type[BaseCommand], app_name: str) -> type[BaseCommand]:
    """``base`` with ``--nostatic`` as the default (when it has that option)."""

    class Command(base):  # type: ignore[misc, valid-type]
        def add_arguments(self, parser: ArgumentParser) -> None:
            super().add_arguments(parser)
            if parser.get_default("use_static_handler") is True:
                parser.set_defaults(use_static_handler=False)
                note = NOTE.format(app=app_name)
                parser.description = f"{parser.description}\n{note}" if parser.description else note

    Command.__module__ = f"{app_name}.management.commands.runserver"
    Command.__qualname__ = "Command"
    return Command
