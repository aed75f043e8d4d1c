"""Helpers shared by the subcommands: argument parsing and settings loading."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from servestatic.config import ConfigError, Settings

__all__ = ["CliError", "add_config_argument", "load_settings", "parser", "report_error"]


class CliError(Exception):
    """A user mistake: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would call sys.exit itself
        raise CliError(f"{self.prog}: {message}")


def parser(command: str, description: str) -> argparse.ArgumentParser:
    return _Parser(prog=f"servestatic {command}", description=description)


def add_config_argument(arguments: argparse.ArgumentParser) -> None:
    arguments.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: $SERVESTATIC_CONFIG, ./servestatic.toml, "
        "[tool.servestatic] in ./pyproject.toml)",
    )


def load_settings(config: str | None, **code: Any) -> Settings:
    """Settings from the CLI's keywords, the environment and the files; ConfigError as is."""
    return Settings(_config_file=config, _code_source="command line", **code)


def report_error(error: Exception) -> int:
    """Print a configuration or usage error without a traceback; return exit status 2."""
    print(str(error), file=sys.stderr)
    return 2


def run(main: Any, argv: Sequence[str]) -> int:
    """Run a subcommand body, mapping user errors to status 2."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            status: int = main(argv)
            return status
    except (CliError, ConfigError) as error:
        return report_error(error)
