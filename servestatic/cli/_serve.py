"""``servestatic serve [DIR]``: serve a folder, or the configured roots, on uvicorn.

The parent process validates the configuration first (a mistake is one line and exit 2),
then hands the same settings to uvicorn's workers through the environment, where
``servestatic.app:create_asgi`` reads them back: one configuration path for every worker.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from servestatic.cli._common import CliError, add_config_argument, load_settings, parser, run

__all__ = ["main"]


def main(argv: Sequence[str], command: str = "serve") -> int:
    return run(_main, argv)


def _main(argv: Sequence[str]) -> int:
    arguments = parser("serve", "Serve a folder (or the configured roots) over HTTP.")
    arguments.add_argument(
        "directory", nargs="?", help="folder to serve (default: the configured root)"
    )
    add_config_argument(arguments)
    arguments.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    arguments.add_argument(
        "--port", type=_port, default=8000, help="TCP port, 0 to 65535 (default: %(default)s)"
    )
    arguments.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    arguments.add_argument("--prefix", help="URL prefix for DIR (default: /)")
    arguments.add_argument(
        "--spa", metavar="FILE", help="answer unknown paths with this file, e.g. /index.html"
    )
    arguments.add_argument("--no-access-log", action="store_true", help="do not log requests")
    options = arguments.parse_args(argv)
    if options.workers < 1:
        raise CliError("servestatic serve: --workers must be at least 1")
    _check_flags(options)
    environment = _environment(options)
    previous = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            settings = load_settings(options.config)
            from servestatic.asgi import ServeStaticASGI  # noqa: PLC0415 - after env is set

            application = ServeStaticASGI(None, settings=settings)
        engine = application.engine
        for warning in caught:
            print(f"warning: {warning.message}", file=sys.stderr)
        if not engine.roots:
            raise CliError(
                "servestatic serve: nothing to serve; give a DIR or set `root` in the configuration"
            )
        try:
            import uvicorn  # noqa: PLC0415 - optional dependency (the `serve` extra)
        except ImportError:
            raise CliError(
                "servestatic serve needs uvicorn: pip install 'servestatic[serve]'"
            ) from None
        url_host = f"[{options.host}]" if ":" in options.host else options.host
        roots = ", ".join(f"{root} at {prefix}" for root, prefix in engine.roots)
        print(f"servestatic: serving {roots}")
        print(f"servestatic: listening on http://{url_host}:{options.port}/ (Ctrl-C to stop)")
        sys.stdout.flush()
        config: dict[str, Any] = {
            "host": options.host,
            "port": options.port,
            "factory": True,
            "workers": options.workers,
            "access_log": not options.no_access_log,
            "log_level": "info",
            "lifespan": "on",
            "server_header": False,
        }
        if options.workers == 1:
            # One process: serve the application built (and checked) above, so start-up
            # warnings are printed once and the files are indexed once.
            config["factory"] = False
            uvicorn.run(application, **config)
        else:
            uvicorn.run("servestatic.app:create_asgi", **config)
        return 0
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        msg = f"invalid port {text!r}: expected a number from 0 to 65535"
        raise argparse.ArgumentTypeError(msg)
    return port


def _check_flags(options: Any) -> None:
    """Validate the flags as what they are (errors name the flag, not the variable that
    carries them to the workers)."""
    flags: dict[str, Any] = {}
    if options.prefix:
        flags["prefix"] = options.prefix
    if options.spa:
        flags["spa"] = {"fallback": options.spa}
    if flags:
        labels = {"prefix": "--prefix", "spa": "--spa"}
        load_settings(options.config, _code_labels=labels, **flags)


def _environment(options: Any) -> dict[str, str]:
    """CLI flags travel to the workers as the highest-precedence source they read: env vars."""
    environment: dict[str, str] = {}
    if options.config:
        environment["SERVESTATIC_CONFIG"] = str(Path(options.config).resolve())
    if options.directory:
        directory = Path(options.directory)
        if not directory.is_dir():
            raise CliError(f"servestatic serve: {options.directory!r} is not a directory")
        environment["SERVESTATIC_ROOT"] = str(directory.resolve())
        # A folder served on its own is a site: serve index.html for directories unless the
        # configuration says otherwise.
        if "SERVESTATIC_INDEX_FILE" not in os.environ:
            environment["SERVESTATIC_INDEX_FILE"] = "true"
    if options.prefix:
        environment["SERVESTATIC_PREFIX"] = options.prefix
    if options.spa:
        environment["SERVESTATIC_SPA__FALLBACK"] = options.spa
    return environment
