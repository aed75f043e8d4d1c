"""``servestatic SRC DEST`` / ``servestatic build`` and ``servestatic compress``.

Thin: parse the flags, read ``[compression]`` from the configuration (flags win), call
:mod:`servestatic.build`, print. Exit status 0 ok, 1 the build failed, 2 usage or
configuration error; user mistakes get one line each, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from servestatic.build.cache import CompressCache
from servestatic.build.codecs import (
    DEFAULT_SKIP_EXTENSIONS,
    MINIFY_REFUSED,
    ZSTD_DICT_REFUSED,
    CompressOptions,
)
from servestatic.build.compress import (
    compress_paths,
    default_workers,
    find_compressible,
    remove_stale_variants,
)
from servestatic.build.history import Retention
from servestatic.build.pipeline import BuildError, BuildOptions, UsageError, build
from servestatic.build.progress import Reporter, summary_lines
from servestatic.config import ConfigError, has_sources, zstd_level_problem

if TYPE_CHECKING:
    from servestatic.config import CompressionSettings

__all__ = ["main"]

OK, FAILED, USAGE = 0, 1, 2


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults shown for options with a value only: "(default: True)" on ``--no-gzip``
    would read backwards."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        # No "(default: None)" or "(default: [])": the help says what happens unset.
        if action.nargs == 0 or action.default is None or action.default == []:
            return action.help
        return super()._get_help_string(action)


def _compression_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("compression")
    group.add_argument("--no-gzip", dest="gzip", action="store_false", help="do not write .gz")
    group.add_argument("--no-brotli", dest="brotli", action="store_false", help="do not write .br")
    group.add_argument("--no-zstd", dest="zstd", action="store_false", help="do not write .zst")
    group.add_argument(
        "--zstd-level", type=int, default=None, metavar="N", help="zstd level 1-22 (default 19)"
    )
    group.add_argument(
        "--zstd-dict",
        default=None,
        metavar="PATH",
        help="refused: browsers cannot decode dictionary-compressed zstd as plain zstd",
    )
    group.add_argument(
        "--zstd-dict-raw", action="store_true", help="only meaningful with --zstd-dict"
    )
    group.add_argument(
        "-j", "--jobs", type=int, default=None, metavar="N", help="worker threads (default: cores)"
    )
    parser.add_argument(
        "-e",
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave files matching GLOB (relative path or base name) unhashed and "
        "uncompressed (build still copies them); repeatable",
    )
    parser.add_argument(
        "--config", default=None, metavar="FILE", help="read [compression] from this TOML file"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress or summary")


def _build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Copy SRC to DEST, then hash, write the manifest and compress in DEST.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("src", help="directory to read (never modified)")
    parser.add_argument("dest", help="output directory")
    parser.add_argument("--all", action="store_true", help="same as --hash --manifest --compress")
    parser.add_argument("--hash", action="store_true", help="add content hashes to file names")
    parser.add_argument("--manifest", action="store_true", help="write DEST/staticfiles.json")
    parser.add_argument(
        "--merge-manifest",
        action="store_true",
        help="merge into the existing DEST/staticfiles.json (implies --manifest)",
    )
    parser.add_argument("--compress", action="store_true", help="write .zst, .br and .gz variants")
    parser.add_argument("--clear", action="store_true", help="empty DEST before copying")
    parser.add_argument(
        "--copy-original", action="store_true", help="keep the unhashed files next to the hashed"
    )
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="warn about, instead of failing on, references to files that do not exist",
    )
    parser.add_argument(
        "--minify", action="store_true", help="refused: minify in your bundler instead"
    )
    pages = parser.add_argument_group("pages (recorded in the manifest, served by the server)")
    pages.add_argument(
        "--no-hints",
        dest="hints",
        action="store_false",
        help="do not record each HTML page's Link hints (stylesheets, module scripts, fonts)",
    )
    pages.add_argument(
        "--csp-hashes",
        action="store_true",
        help="record the sha256 hashes of each page's inline scripts and styles; the server "
        "adds them to the page's Content-Security-Policy",
    )
    parser.add_argument(
        "--retain",
        default=None,
        metavar="N|DURATION",
        help="keep the hashed files of the N previous builds (or of those replaced less "
        "than DURATION ago: 12h, 7d, 2w) for pages that still refer to them; recorded in "
        "DEST/.servestatic-history.json",
    )
    _compression_flags(parser)
    return parser


def _compress_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="servestatic compress",
        description="Write .zst, .br and .gz next to the files of ROOT, in place.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("root", help="directory to compress in place")
    parser.add_argument(
        "extensions", nargs="*", help="extensions to skip (replaces the built-in list)"
    )
    _compression_flags(parser)
    return parser


def _options(args: argparse.Namespace, extensions: Sequence[str] = ()) -> CompressOptions:
    """``[compression]`` from the configuration, then the flags over it."""
    if getattr(args, "minify", False):
        raise UsageError(MINIFY_REFUSED)
    if args.zstd_dict is not None:
        raise UsageError(ZSTD_DICT_REFUSED)
    if args.zstd_level is not None and (problem := zstd_level_problem(args.zstd_level)):
        raise UsageError(f"--zstd-level {problem}, got {args.zstd_level}")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    if args.config is not None and not os.path.isfile(args.config):
        raise UsageError(f"--config {args.config!r}: no such file")
    configured = _configured(args.config)
    wanted = {"gzip": args.gzip, "br": args.brotli, "zstd": args.zstd}
    return dataclasses.replace(
        configured,
        codings=tuple(coding for coding in configured.codings if wanted[coding]),
        skip_extensions=tuple(extensions or configured.skip_extensions),
        zstd_level=configured.zstd_level if args.zstd_level is None else args.zstd_level,
    )


def _configured(config_file: str | None) -> CompressOptions:
    """``[compression]`` of the configuration, as the build's options (before the flags)."""
    if not has_sources(os.environ, Path.cwd(), config_file):
        # Nothing to read: the model's defaults, which are CompressOptions' defaults
        # (tests/build/test_cli_config.py pins that). Importing the settings model (pydantic)
        # would cost every build ~0.15 s, half of a small one (issue 19 item 5).
        return CompressOptions()
    from servestatic.config import load_settings  # noqa: PLC0415 - see above

    return _from_settings(load_settings(config_file=config_file).settings.compression)


def _from_settings(configured: CompressionSettings) -> CompressOptions:
    """The build's options from the settings' ``[compression]`` group."""
    skip = configured.skip_extensions
    return CompressOptions(
        codings=tuple(configured.encodings),
        min_saving=configured.min_saving,
        skip_extensions=tuple(DEFAULT_SKIP_EXTENSIONS if skip is None else skip),
        gzip_level=configured.gzip_level,
        brotli_quality=configured.brotli_quality,
        zstd_level=configured.zstd_level,
    )


def _run_build(args: argparse.Namespace, reporter: Reporter) -> int:
    if args.minify:
        raise UsageError(MINIFY_REFUSED)
    if args.zstd_dict is not None:
        raise UsageError(ZSTD_DICT_REFUSED)
    if not (args.all or args.hash or args.manifest or args.merge_manifest or args.compress):
        # ServeStatic 4.4's words (scripts may look for them in the output).
        raise UsageError(
            "At least one of --hash, --manifest, --compress, or --all must be provided. "
            "Use --help for usage."
        )
    retain = None
    if args.retain is not None:
        try:
            retain = Retention.parse(args.retain)
        except ValueError as error:
            raise UsageError(f"--retain: {error}") from None
    options = BuildOptions(
        retain=retain,
        hash=args.all or args.hash,
        manifest=args.all or args.manifest,
        merge_manifest=args.merge_manifest,
        compress=args.all or args.compress,
        clear=args.clear,
        copy_original=args.copy_original,
        exclude=tuple(args.exclude),
        strict=not args.allow_missing,
        compression=_options(args),
        workers=args.jobs,
        hints=args.hints,
        csp_hashes=args.csp_hashes,
    )
    result = build(args.src, args.dest, options, on_progress=reporter.progress)
    for warning in result.warnings:
        reporter.warn(warning)
    for missing in result.missing:
        reporter.warn(f"{missing} (kept as written)")
    for name in result.skipped:
        reporter.warn(f"{name!r} left as copied: the name is not valid UTF-8")
    hashed = sum(1 for name, served in result.names.items() if name != served)
    reporter.info(
        f"{len(result.names)} file{'s' if len(result.names) != 1 else ''} from {args.src} "
        f"({result.copied} copied, {hashed} hashed, "
        f"{len(result.excluded)} excluded"
        f"{f', {result.reused} unchanged since the last build' if result.reused else ''}"
        f") in {result.seconds:.1f}s"
    )
    if result.stats is not None:
        for line in summary_lines(result.stats, args.jobs or default_workers()):
            reporter.info(line)
    if result.bundled:
        reporter.info(
            f"{len(result.bundled)} name(s) a bundler already hashed kept as they are "
            f"(such as {result.bundled[0]})"
        )
    if result.entry_points:
        reporter.info(
            f"{len(result.entry_points)} entry point(s) also kept under their own name "
            f"(such as {result.entry_points[0]})"
        )
    if result.manifest is not None:
        pages = f"; hints for {result.pages} page(s)" if result.pages else ""
        reporter.info(f"manifest: {result.manifest}{pages}")
    if result.gc is not None:
        gc = result.gc
        reporter.info(
            f"build {result.build_id}; keeping {len(gc.kept) - 1} previous build"
            f"{'s' if len(gc.kept) != 2 else ''} (retain {gc.retention}); removed "
            f"{len(gc.removed)} file{'s' if len(gc.removed) != 1 else ''} of "
            f"{len(gc.expired)} expired build{'s' if len(gc.expired) != 1 else ''}"
        )
    return OK


def _run_compress(args: argparse.Namespace, reporter: Reporter) -> int:
    if not os.path.isdir(args.root):
        raise UsageError(f"ROOT {args.root!r} is not a directory")
    options = _options(args, args.extensions)
    left_out: list[str] = []
    paths = find_compressible(args.root, options, exclude=tuple(args.exclude), left_out=left_out)
    for path in left_out:
        remove_stale_variants(path)
    cache = CompressCache.open(args.root, options.fingerprint)
    stats = compress_paths(
        paths, options, cache=cache, workers=args.jobs, on_progress=reporter.progress
    )
    try:
        cache.save()
    except OSError as error:
        reporter.warn(f"could not save the incremental record: {error.strerror or error}")
    for line in summary_lines(stats, args.jobs or default_workers()):
        reporter.info(line)
    if stats.failures:
        raise BuildError([f"{path}: {reason}" for path, reason in stats.failures])
    return OK


def main(
    argv: Sequence[str],
    command: str | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    exits: bool = False,
) -> int:
    """``command`` is None for ``servestatic SRC DEST ...``, or ``build`` / ``compress``.

    ``exits``: ServeStatic's behaviour for its entry point: argparse exits by itself (after
    ``--help`` or a usage error) and any other non-zero status raises ``SystemExit``.
    """
    parser = (
        _compress_parser()
        if command == "compress"
        else _build_parser("servestatic build" if command == "build" else "servestatic")
    )
    if exits:
        args = parser.parse_intermixed_args(list(argv))
    else:
        try:
            args = parser.parse_intermixed_args(list(argv))
        except SystemExit as exit_:  # argparse has printed --help (0) or the usage error (2)
            return OK if exit_.code in (0, None) else USAGE
    status = _execute(command, args, stdout, stderr)
    if exits and status != OK:
        raise SystemExit(status)
    return status


def _execute(
    command: str | None, args: argparse.Namespace, stdout: TextIO | None, stderr: TextIO | None
) -> int:
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    reporter = Reporter(out, err, quiet=args.quiet)
    try:
        if command == "compress":
            return _run_compress(args, reporter)
        return _run_build(args, reporter)
    except (UsageError, ConfigError) as error:
        for line in str(error).splitlines():
            reporter.error(line)
        return USAGE
    except BuildError as error:
        for problem in error.problems:
            reporter.error(problem)
        return FAILED
    except OSError as error:  # anything the steps above did not already name
        where = f"{error.filename}: " if error.filename else ""
        reporter.error(f"{where}{error.strerror or error}")
        return FAILED
