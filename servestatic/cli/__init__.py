"""The ``servestatic`` command.

``servestatic SRC DEST [flags]`` is ServeStatic 4.4's build command (copy, hash, manifest,
compress). Subcommands: ``serve``, ``check``, ``explain``, ``schema``, ``export``, ``compress``,
``build``, ``gc``, ``diff``.
Exit status: 0 ok, 1 failure, 2 usage or configuration error.

From Python, :func:`run` returns that status for every form. :func:`main` is ServeStatic's
entry point: for its ``SRC DEST`` form it returns 0 or raises ``SystemExit`` as ServeStatic's
``argparse`` did (2 for a usage error, 0 after ``--help``; 1 when the build fails, which
ServeStatic only logged), so a build script calling ``main([...])`` stops at a mistake. The
subcommands are servestatic's own and return their status from both.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from servestatic._version import __version__

__all__ = ["SUBCOMMANDS", "entry_point", "main", "run"]

#: subcommand → (module, one-line description). Modules are imported on use only.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("servestatic.cli._serve", "serve a folder (or the configured roots) over HTTP"),
    "check": (
        "servestatic.cli._check",
        "run the server's start-up: every problem, and where each value comes from",
    ),
    "explain": ("servestatic.cli._explain", "show how the server answers a URL: status, headers"),
    "schema": ("servestatic.cli._schema", "write the JSON Schema of the configuration"),
    "export": (
        "servestatic.cli._export",
        "write an nginx, Caddy or Netlify configuration that answers like servestatic",
    ),
    "compress": ("servestatic.cli._build", "compress files in place (zstd, brotli, gzip)"),
    "build": ("servestatic.cli._build", "copy SRC to DEST, hash, write the manifest, compress"),
    "gc": ("servestatic.cli._gc", "remove the files of builds no longer retained (--retain)"),
    "diff": (
        "servestatic.cli._diff",
        "list the mutable URLs whose bytes differ between two builds (a CDN purge list)",
    ),
}

_USAGE = """usage: servestatic SRC DEST [--all] [--hash] [--manifest] [--compress] ...
       servestatic COMMAND [options]

commands:
{commands}

`servestatic SRC DEST ...` is the build command of ServeStatic 4.4 (same flags).
Run `servestatic COMMAND --help` for a command's options.
"""


#: Commands that take one positional argument: ``servestatic serve DIR`` reads the same as
#: ServeStatic's ``servestatic SRC DEST`` when a directory named ``serve`` exists.
_ONE_POSITIONAL = frozenset({"serve", "explain", "compress", "gc"})


def _legacy_form(args: list[str]) -> bool:
    """True when ``args`` start with a directory named like a command and only ServeStatic's
    ``SRC DEST`` reading fits (``servestatic build out --all`` with a ``build/`` folder, a
    common bundler output). When both readings fit, the command wins and a note says how to
    ask for the other."""
    if not os.path.isdir(args[0]) or {"-h", "--help"} & set(args):
        return False
    parser = importlib.import_module("servestatic.cli._build")._build_parser("servestatic")

    def refuse(message: str) -> None:
        raise argparse.ArgumentError(None, message)

    parser.error = refuse
    try:
        parser.parse_intermixed_args(args)
    except argparse.ArgumentError:
        return False
    if args[0] in _ONE_POSITIONAL:
        print(
            f"servestatic: note: running the {args[0]!r} command; for ServeStatic's build "
            f"of the directory {args[0]!r}, write ./{args[0]}",
            file=sys.stderr,
        )
        return False
    return True


def _command(args: list[str]) -> str | None:
    """The subcommand ``args`` name, or None for ServeStatic's ``SRC DEST`` form and help."""
    if args and args[0] in SUBCOMMANDS and not _legacy_form(args):
        return args[0]
    return None


def _dispatch(argv: Sequence[str] | None, *, exits: bool) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = _command(args)
    if command is not None:
        module_name, _ = SUBCOMMANDS[command]
        module = importlib.import_module(module_name)
        status: int = module.main(args[1:], command=command)
        return status
    if not args or args[0] in {"-h", "--help", "help"}:
        commands = "\n".join(f"  {name:<10} {text}" for name, (_, text) in SUBCOMMANDS.items())
        print(_USAGE.format(commands=commands))
        return 0 if args else 2
    if args[0] in {"-V", "--version"}:
        print(f"servestatic {__version__}")
        return 0
    if _mistyped(args):
        return 2
    build = importlib.import_module("servestatic.cli._build")
    legacy: int = build.main(args, command=None, exits=exits)
    return legacy


def _mistyped(args: list[str]) -> bool:
    """A first word that is neither a command nor a directory, but close to a command
    (``chek``, ``explian``): say which one was meant instead of ServeStatic's usage error."""
    word = args[0]
    if word.startswith("-") or os.path.exists(word):
        return False
    import difflib  # noqa: PLC0415 - only for a mistake, not on every command's start

    close = difflib.get_close_matches(word, list(SUBCOMMANDS), n=1, cutoff=0.6)
    if not close:
        return False
    print(
        f"servestatic: {word!r} is not a command; did you mean {close[0]!r}? "
        "(`servestatic --help` lists the commands)",
        file=sys.stderr,
    )
    return True


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line (any form); return the exit status, never raise ``SystemExit``."""
    return _dispatch(argv, exits=False)


def main(argv: Sequence[str] | None = None) -> int:
    """ServeStatic 4.4's ``servestatic.cli.main``: the ``SRC DEST`` form returns 0 or raises
    ``SystemExit`` (argparse's 2 for a usage error, 0 after ``--help``, 1 for a failed
    build); subcommands return their status like :func:`run`."""
    return _dispatch(argv, exits=True)


def entry_point() -> None:
    """Console-script entry: exit with ``main``'s status."""
    try:
        status = run()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`servestatic explain ... | head`): no traceback. Point
        # stdout at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        status = 1
    raise SystemExit(status)
