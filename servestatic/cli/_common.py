"""Helpers shared by the subcommands: argument parsing, the settings, and the start-up.

``check`` and ``explain`` run the server's own start-up (the same adapter class, or Django's
middleware when Django settings are a source) with its problems gathered instead of raised,
so that what they say is what the server does.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from servestatic.config import ConfigError, LoadedSettings, load_settings
from servestatic.errors import ServeStaticError
from servestatic.serve.boot import Boot
from servestatic.wsgi import ServeStatic

__all__ = [
    "Boot",
    "CliError",
    "CommandFailedError",
    "add_config_argument",
    "boot",
    "load",
    "parser",
    "report_error",
    "run",
]


class CliError(ServeStaticError):
    """A user mistake: printed as one line, exit status 2."""

    status = 2


class CommandFailedError(CliError):
    """The command could not do its work (an unreadable input, a lock another process
    holds): printed the same way, exit status 1."""

    status = 1


class _ParserExitError(Exception):
    """``--help`` was printed: the command ends with this status."""

    def __init__(self, status: int) -> None:
        self.status = status


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would call sys.exit itself
        raise CliError(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> Any:
        # After --help: return from run() rather than raise SystemExit (cli.run never does).
        if message:
            print(message, end="", file=sys.stderr)
        raise _ParserExitError(status)


def parser(command: str, description: str) -> argparse.ArgumentParser:
    return _Parser(prog=f"servestatic {command}", description=description)


def add_config_argument(arguments: argparse.ArgumentParser, *, django: bool = False) -> None:
    arguments.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: $SERVESTATIC_CONFIG, ./servestatic.toml, "
        "[tool.servestatic] in ./pyproject.toml)",
    )
    if django:
        arguments.add_argument(
            "--django",
            action="store_true",
            help="read the Django settings too, and start the Django middleware (the default "
            "when DJANGO_SETTINGS_MODULE is set)",
        )


def load(config: str | None, **code: Any) -> LoadedSettings:
    """Settings from the CLI's keywords, the environment and the files."""
    labels = code.pop("_code_labels", None)
    return load_settings(code, config_file=config, code_source="command line", code_labels=labels)


class _CheckingServeStatic(ServeStatic):
    """The standalone application the factories and ``serve`` build, with its start-up
    problems gathered rather than raised."""

    _collect_problems = True


def wants_django(options: argparse.Namespace) -> bool:
    return bool(getattr(options, "django", False) or os.environ.get("DJANGO_SETTINGS_MODULE"))


def boot(options: argparse.Namespace) -> Boot:
    """Run the server's start-up for ``check``/``explain``: Django's middleware when Django
    settings are a source, else the standalone application."""
    if wants_django(options):
        return _django_boot(options)
    loaded = load(options.config)
    if not loaded.ok:
        return Boot(loaded, None, loaded.problems)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gathered in engine.problems instead
        application = _CheckingServeStatic(None, settings=loaded)
    return Boot(loaded, application.engine, tuple(application.engine.problems))


def _django_boot(options: argparse.Namespace) -> Boot:
    """The Django middleware's start-up, with the project's settings as a source."""
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        raise CliError(
            "servestatic: --django needs DJANGO_SETTINGS_MODULE (such as mysite.settings)"
        )
    # The project's packages are importable from where manage.py is, as for manage.py.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    previous = os.environ.get("SERVESTATIC_CONFIG")
    if options.config:
        # The middleware reads the environment: --config reaches it as SERVESTATIC_CONFIG.
        os.environ["SERVESTATIC_CONFIG"] = os.path.abspath(options.config)
    try:
        # Imported by name: the CLI does not need Django unless it is asked for.
        django_boot = importlib.import_module("servestatic.django.boot")
        result: Boot = django_boot.boot()
    except ImportError as error:
        raise CliError(f"servestatic: cannot load the Django project: {error}") from None
    finally:
        if previous is None:
            os.environ.pop("SERVESTATIC_CONFIG", None)
        else:
            os.environ["SERVESTATIC_CONFIG"] = previous
    return result


def report_error(error: Exception) -> int:
    """Print a configuration or usage error without a traceback; return exit status 2."""
    print(str(error), file=sys.stderr)
    return 2


def _show_warning(message: Warning | str, *args: Any, **kwargs: Any) -> None:
    print(f"servestatic: warning: {message}", file=sys.stderr)


def run(main: Any, argv: Sequence[str]) -> int:
    """Run a subcommand body, mapping user errors to status 2 (:class:`CommandFailedError`: 1)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            # A warning is a line of the command's output, not a source location.
            warnings.showwarning = _show_warning
            status: int = main(argv)
            return status
    except _ParserExitError as done:
        return done.status
    except CliError as error:
        report_error(error)
        return error.status
    except ConfigError as error:
        return report_error(error)
