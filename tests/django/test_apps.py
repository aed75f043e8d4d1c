"""The ``servestatic`` app and the legacy ``servestatic.runserver_nostatic`` app."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.staticfiles.management.commands import runserver as staticfiles_runserver
from django.core.management import get_commands, load_command_class
from django.core.management.commands import runserver as core_runserver
from django.test import override_settings

import servestatic.apps
import servestatic.runserver_nostatic
from servestatic.django.runserver import next_runserver, wrap
from servestatic.runserver_nostatic.apps import ServeStaticRunserverNoStaticConfig

pytestmark = pytest.mark.django


def test_the_app_is_installed_under_its_name() -> None:
    config = apps.get_app_config("servestatic")
    assert type(config).__name__ == "ServeStaticConfig"


def test_runserver_is_ours_and_defaults_to_nostatic() -> None:
    assert get_commands()["runserver"] == "servestatic"
    command = load_command_class("servestatic", "runserver")
    assert isinstance(command, staticfiles_runserver.Command)  # it wraps the next one
    parser = command.create_parser("manage.py", "runserver")
    assert parser.get_default("use_static_handler") is False
    assert parser.parse_args([]).use_static_handler is False
    assert parser.parse_args(["--nostatic"]).use_static_handler is False
    assert "(Wrapped by 'servestatic' to always enable '--nostatic')" in (parser.description or "")


def test_next_runserver_is_the_first_app_below() -> None:
    assert next_runserver("servestatic") is staticfiles_runserver.Command
    installed = ["servestatic", "tests.django.project.app"]
    with override_settings(INSTALLED_APPS=installed):
        # Without staticfiles, Django's own runserver (which has no --nostatic) is wrapped.
        assert next_runserver("servestatic") is core_runserver.Command
        command = wrap(next_runserver("servestatic"), "servestatic")()
        parser = command.create_parser("manage.py", "runserver")
        assert parser.get_default("use_static_handler") is None
        assert "Wrapped by" not in (parser.description or "")


def test_legacy_app_provides_the_same_command() -> None:
    config = ServeStaticRunserverNoStaticConfig(
        "servestatic.runserver_nostatic", servestatic.runserver_nostatic
    )
    assert config.label == "servestatic_runserver_nostatic"
    config.ready()  # the plain module entry does not warn (check W001 says it instead)
    module = importlib.import_module("servestatic.runserver_nostatic.management.commands.runserver")
    assert issubclass(module.Command, staticfiles_runserver.Command)
    installed = ["servestatic.runserver_nostatic", "django.contrib.staticfiles"]
    with override_settings(INSTALLED_APPS=installed):
        assert get_commands()["runserver"] == "servestatic.runserver_nostatic"
        name = "servestatic.runserver_nostatic"
        parser = wrap(next_runserver(name), name)().create_parser("manage.py", "runserver")
    assert parser.get_default("use_static_handler") is False
    note = "(Wrapped by 'servestatic.runserver_nostatic' to always enable '--nostatic')"
    assert note in (parser.description or "")


@pytest.mark.parametrize(
    ("entry", "name"),
    [
        ("servestatic.runserver_nostatic", "servestatic.runserver_nostatic"),
        (
            "servestatic.runserver_nostatic.apps.ServeStaticRunserverNoStaticAliasConfig",
            "servestatic.runserver_nostatic",
        ),
        ("servestatic.runserver_nostatic.apps.ServeStaticConfig", "servestatic"),
    ],
)
def test_servestatic_44_app_paths_still_load(entry: str, name: str) -> None:
    """Each ``INSTALLED_APPS`` entry ServeStatic 4.4 accepted resolves to an app config."""
    from django.apps.config import AppConfig

    config = AppConfig.create(entry)
    assert config.name == name
    assert isinstance(config, servestatic.apps.ServeStaticConfig)
