"""``servestatic serve [DIR]``: serve a folder, or the configured roots, on uvicorn.

The parent process validates the configuration first (a mistake is one line and exit 2),
then hands the same settings to uvicorn's workers through the environment, where
``servestatic.app:create_asgi`` reads them back: one configuration path for every worker.
The socket is bound and listening before the URL is printed, so the URL printed works (and
``--port 0`` prints the port the system chose).
"""

from __future__ import annotations

import argparse
import inspect
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from servestatic.cli._common import CliError, add_config_argument, load, parser, run

__all__ = ["main"]


def main(argv: Sequence[str], command: str = "serve") -> int:
    return run(_main, argv)


def _main(argv: Sequence[str]) -> int:
    options = _parser().parse_args(argv)
    if options.workers < 1:
        raise CliError("servestatic serve: --workers must be at least 1")
    _check_flags(options)
    environment = _environment(options)
    previous = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    handler = _log_to_stderr()
    try:
        _serve(options)
        return 0
    finally:
        if handler is not None:
            logging.getLogger("servestatic").removeHandler(handler)
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _parser() -> argparse.ArgumentParser:
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
    return arguments


def _serve(options: argparse.Namespace) -> None:
    """Build the application from the settings (the environment already holds the flags),
    then run uvicorn on it until it stops."""
    loaded = load(options.config)
    from servestatic.asgi import ServeStaticASGI  # noqa: PLC0415 - after env is set

    # Start-up warnings are logged (and ServeStatic's own are Python warnings, shown
    # once by the CLI's warning filter); strict ones raise ConfigError: exit 2.
    application = ServeStaticASGI(None, settings=loaded)
    engine = application.engine
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
    sock = _listen(options.host, options.port)
    url_host = f"[{options.host}]" if ":" in options.host else options.host
    base = f"http://{url_host}:{sock.getsockname()[1]}"
    for root, prefix in engine.roots:
        print(f"servestatic: serving {root} at {base}{prefix}")
    print(f"servestatic: listening on {base}{engine.roots[0][1]} (Ctrl-C to stop)")
    sys.stdout.flush()
    config: dict[str, Any] = {
        "workers": options.workers,
        "access_log": not options.no_access_log,
        "log_level": "info",
        "lifespan": "on",
        "server_header": False,
    }
    if options.workers == 1:
        # One process: serve the application built (and checked) above, so start-up
        # warnings are printed once and the files are indexed once.
        serve_on(uvicorn.Config(application, **config), sock)
    else:
        serve_on(uvicorn.Config("servestatic.app:create_asgi", factory=True, **config), sock)


def _log_to_stderr() -> logging.Handler | None:
    """The ``servestatic`` logger's start-up line and warnings, on standard error; returns the
    handler added (None when one is already there), for the caller to remove."""
    logger = logging.getLogger("servestatic")
    if any(getattr(handler, "_servestatic_cli", False) for handler in logger.handlers):
        return None
    handler = _StderrHandler()
    handler.setFormatter(_Formatter())
    handler._servestatic_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is logged, not the stream that was
    current when the handler was made (a replaced or closed stream would swallow the line)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno < logging.WARNING else record.levelname.lower() + ": "
        return f"servestatic: {level}{record.getMessage()}"


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket (queued connections wait for the workers to accept them)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise CliError(
            f"servestatic serve: cannot listen on {host}:{port}: {error.strerror}"
        ) from None
    sock.set_inheritable(True)
    return sock


def serve_on(config: Any, sock: socket.socket) -> None:
    """Run uvicorn on a socket already listening: one process, or ``config.workers``."""
    import uvicorn  # noqa: PLC0415 - optional dependency
    from uvicorn.supervisors import Multiprocess  # noqa: PLC0415

    server = uvicorn.Server(config)
    try:
        if config.workers == 1:
            server.run(sockets=[sock])
        elif "target" in inspect.signature(Multiprocess).parameters:  # pragma: no cover - old
            # uvicorn before 0.36 took the function each worker runs.
            Multiprocess(config, target=server.run, sockets=[sock]).run()  # type: ignore[call-arg]
        else:
            Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:  # pragma: no cover - uvicorn handles SIGINT itself
        pass
    finally:
        sock.close()


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
        _ = load(options.config, _code_labels=labels, **flags).settings  # raises ConfigError


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
