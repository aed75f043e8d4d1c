"""The ``servestatic`` command.

``servestatic SRC DEST [flags]`` is ServeStatic 4.4's build command (copy, hash, manifest,
compress). Subcommands: ``serve``, ``check``, ``explain``, ``schema``, ``compress``.
Every subcommand is ``main(argv) -> int``: 0 ok, 1 failure, 2 usage or configuration error.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

__all__ = ["SUBCOMMANDS", "entry_point", "main"]

#: subcommand → (module, one-line description). Modules are imported on use only.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("servestatic.cli._serve", "serve a folder (or the configured roots) over HTTP"),
    "check": (
        "servestatic.cli._check",
        "validate the configuration and show where values come from",
    ),
    "explain": ("servestatic.cli._explain", "show the rules and final headers for a URL path"),
    "schema": ("servestatic.cli._schema", "write the JSON Schema of the configuration"),
    "compress": ("servestatic.cli._build", "compress files in place (zstd, brotli, gzip)"),
    "build": ("servestatic.cli._build", "copy SRC to DEST, hash, write the manifest, compress"),
}

_USAGE = """usage: servestatic SRC DEST [--all] [--hash] [--manifest] [--compress] ...
       servestatic COMMAND [options]

commands:
{commands}

`servestatic SRC DEST ...` is the build command of ServeStatic 4.4 (same flags).
Run `servestatic COMMAND --help` for a command's options.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        module_name, _ = SUBCOMMANDS[args[0]]
        module = importlib.import_module(module_name)
        status: int = module.main(args[1:], command=args[0])
        return status
    if not args or args[0] in {"-h", "--help", "help"}:
        commands = "\n".join(f"  {name:<10} {text}" for name, (_, text) in SUBCOMMANDS.items())
        print(_USAGE.format(commands=commands))
        return 0 if args else 2
    build = importlib.import_module("servestatic.cli._build")
    legacy: int = build.main(args, command=None)
    return legacy


def entry_point() -> None:
    """Console-script entry: exit with ``main``'s status."""
    raise SystemExit(main())
