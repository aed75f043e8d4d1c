"""``servestatic export nginx|caddy|netlify DEST``: the compiled table in another engine's syntax.

The same settings sources as ``serve`` (code defaults, environment, ``servestatic.toml``,
``pyproject.toml``) build the same engine; :func:`~servestatic.export.model_from_engine`
turns it into the export model and a writer renders it. ``--check`` writes nothing: it lists
what the engine does differently from servestatic for this site and fails (status 1) when
DEST is missing or differs from a fresh export, so CI can keep the two in step.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

from servestatic.cli._common import CliError, add_config_argument, load, parser, run
from servestatic.config import ConfigError, raise_if_strict
from servestatic.export import (
    ENGINES,
    CaddyOptions,
    ExportError,
    NginxOptions,
    SiteModel,
    applicable,
    model_from_engine,
    render_caddy,
    render_netlify,
    render_nginx,
)
from servestatic.serve.engine import Engine

__all__ = ["main"]


def main(argv: Sequence[str], command: str = "export") -> int:
    return run(_main, argv)


def _arguments() -> argparse.ArgumentParser:
    arguments = parser(
        "export",
        "Write the configuration of another engine (nginx, Caddy, Netlify / Cloudflare Pages) "
        "that answers like servestatic: headers, variants, redirects, SPA fallback, 404 page.",
    )
    arguments.add_argument("engine", choices=ENGINES, help="the engine to configure")
    arguments.add_argument(
        "dest",
        metavar="DEST",
        help="file to write for nginx and caddy ('-' for standard output); directory for "
        "netlify (_headers and _redirects)",
    )
    add_config_argument(arguments)
    arguments.add_argument(
        "--check",
        action="store_true",
        help="write nothing: list the differences from servestatic for this site and exit 1 "
        "if DEST is not what the export would write",
    )
    arguments.add_argument(
        "--map-root",
        action="append",
        default=[],
        metavar="LOCAL=REMOTE",
        help="the directory a root has on the server (repeat per root; default: as here)",
    )
    arguments.add_argument("--listen", default="80", help="nginx: the listen value (default 80)")
    arguments.add_argument("--server-name", default="_", help="nginx: server_name (default _)")
    arguments.add_argument(
        "--no-brotli",
        action="store_true",
        help="nginx: do not use brotli_static (for an nginx without the ngx_brotli module)",
    )
    arguments.add_argument("--address", default=":80", help="caddy: the site address (default :80)")
    return arguments


def _main(argv: Sequence[str]) -> int:
    options = _arguments().parse_args(argv)
    if options.engine == "netlify" and options.dest == "-":
        raise CliError(
            "servestatic export: netlify writes _headers and _redirects: DEST is a directory"
        )
    loaded = load(options.config)
    if not loaded.ok:
        raise ConfigError([problem.as_error() for problem in loaded.problems])
    settings = loaded.settings
    if settings.autorefresh:
        # The export is a snapshot of the start-up index, whatever the serving mode.
        settings = settings.model_copy(update={"autorefresh": False})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # The server's start-up, its problems gathered: reported as it would report them.
        engine = Engine(
            settings,
            standalone=True,
            provenance=loaded.provenance,
            problems=loaded.deferred,
            collect=True,
        )
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    raise_if_strict(engine.problems, settings.strict)
    for problem in engine.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if not engine.roots:
        raise CliError("servestatic export: nothing to export; set `root` or `roots`")
    try:
        model = model_from_engine(engine)
        roots = _mapped_roots(options.map_root, [root.path for root in model.roots])
        outputs = _render(options, model, roots)
    except ExportError as error:
        raise CliError(f"servestatic export: {error}") from None
    if options.check:
        return _check(options, model, outputs)
    try:
        _write(options.dest, outputs)
    except OSError as error:
        raise CliError(f"servestatic export: cannot write {options.dest}: {error}") from None
    differences = applicable(options.engine, model)
    where = "standard output" if options.dest == "-" else options.dest
    print(
        f"servestatic: exported {len(model.files)} file URLs and {len(model.redirects)} "
        f"redirects to {where}; {len(differences)} differences from servestatic are noted "
        "in it (see --check)",
        file=sys.stderr,
    )
    return 0


def _mapped_roots(mappings: list[str], roots: list[str]) -> tuple[str, ...]:
    if not mappings:
        return ()
    table = {}
    for mapping in mappings:
        local, equals, remote = mapping.partition("=")
        if not equals or not local or not remote.startswith("/"):
            raise CliError(
                f"servestatic export: --map-root {mapping!r}: expected LOCAL=REMOTE with an "
                "absolute REMOTE path"
            )
        table[os.path.abspath(local)] = remote
    unknown = sorted(set(table) - set(roots))
    if unknown:
        raise CliError(
            f"servestatic export: --map-root {unknown[0]!r} is not a configured root "
            f"(roots: {', '.join(roots)})"
        )
    return tuple(table.get(root, root) for root in roots)


def _render(
    options: argparse.Namespace, model: SiteModel, roots: tuple[str, ...]
) -> dict[str, str]:
    if options.engine == "nginx":
        nginx = NginxOptions(
            listen=options.listen,
            server_name=options.server_name,
            brotli=not options.no_brotli,
            roots=roots,
        )
        return {"": render_nginx(model, nginx)}
    if options.engine == "caddy":
        return {"": render_caddy(model, CaddyOptions(address=options.address, roots=roots))}
    return render_netlify(model)


def _targets(dest: str, outputs: dict[str, str]) -> list[tuple[str, str]]:
    return [(os.path.join(dest, name) if name else dest, text) for name, text in outputs.items()]


def _write(dest: str, outputs: dict[str, str]) -> None:
    if dest == "-":
        for text in outputs.values():
            sys.stdout.write(text)
        return
    if any(outputs) and not os.path.isdir(dest):
        os.makedirs(dest, exist_ok=True)
    for path, text in _targets(dest, outputs):
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)


def _check(options: argparse.Namespace, model: SiteModel, outputs: dict[str, str]) -> int:
    differences = applicable(options.engine, model)
    print(f"servestatic export {options.engine}: differences from servestatic for this site:")
    for difference in differences:
        print(f"  - {difference.id}: {difference.text(options.engine)}")
    if options.dest == "-":
        return 0
    stale = []
    for path, text in _targets(options.dest, outputs):
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                current = handle.read()
        except OSError:
            current = None
        if current != text:
            stale.append(path)
    if stale:
        for path in stale:
            print(f"{path}: out of date (run the export without --check)", file=sys.stderr)
        return 1
    print(f"{options.dest}: up to date")
    return 0
