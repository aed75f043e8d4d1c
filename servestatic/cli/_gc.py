"""``servestatic gc DEST``: remove the files of builds that are no longer retained.

Exit status 0 ok (also when nothing was due), 1 the removal failed or another build holds
DEST's lock, 2 usage error (no history in DEST, a bad ``--retain``).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence

from servestatic.build.gc import GcResult, apply_gc
from servestatic.build.history import (
    HISTORY_NAME,
    BuildLockedError,
    History,
    HistoryError,
    Retention,
    build_lock,
    read_history,
)
from servestatic.cli._common import CliError, CommandFailedError, parser, run

__all__ = ["main"]

_ERROR = "servestatic gc: error:"


def _parser() -> argparse.ArgumentParser:
    arguments = parser(
        "gc",
        "Remove the hashed files (and their .zst/.br/.gz) of the builds in "
        f"DEST/{HISTORY_NAME} that are no longer retained. Files of the current build, and "
        "files no build recorded, are never removed.",
    )
    arguments.add_argument("dest", help="a DEST built with --retain")
    arguments.add_argument(
        "--retain",
        default=None,
        metavar="N|DURATION",
        help="a new retention (N previous builds, or a duration: 12h, 7d, 2w), recorded for "
        "later builds; default: the one recorded by the last build",
    )
    arguments.add_argument("--dry-run", action="store_true", help="list, do not remove")
    arguments.add_argument("--json", action="store_true", help="print a JSON report")
    return arguments


def main(argv: Sequence[str], command: str | None = None) -> int:
    del command
    return run(_main, argv)


def _main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    if not os.path.isdir(args.dest):
        raise CliError(f"{_ERROR} DEST {args.dest!r} is not a directory")
    try:
        retention = None if args.retain is None else Retention.parse(args.retain)
    except ValueError as error:
        raise CliError(f"{_ERROR} --retain: {error}") from None
    try:
        result = _collect(args.dest, retention, dry_run=args.dry_run)
    except HistoryError as error:
        raise CliError(f"{_ERROR} {error}") from None
    except BuildLockedError as error:
        raise CommandFailedError(f"{_ERROR} {error}") from None
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        raise CommandFailedError(f"{_ERROR} {where}{error.strerror or error}") from None
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    verb = "would remove" if args.dry_run else "removed"
    for name in result.removed:
        print(f"{verb} {name}")
    print(
        f"{verb} {len(result.removed)} file{'s' if len(result.removed) != 1 else ''} "
        f"({result.bytes} bytes) of {len(result.expired)} expired build"
        f"{'s' if len(result.expired) != 1 else ''}; kept {len(result.kept)} "
        f"(current and retained, retain {result.retention})"
    )
    return 0


def _collect(dest: str, retention: Retention | None, *, dry_run: bool) -> GcResult:
    """The gc under DEST's build lock (``retention``: a new one, recorded)."""
    with build_lock(dest):
        history = read_history(dest)
        if history is None:
            raise CliError(
                f"{_ERROR} {os.path.join(dest, HISTORY_NAME)}: no build "
                "history (build into DEST with --retain first)"
            )
        if retention is not None:
            history = History(retention, history.builds)
        return apply_gc(dest, history, dry_run=dry_run, rewrite=retention is not None)
