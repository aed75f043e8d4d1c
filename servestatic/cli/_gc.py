"""``servestatic gc DEST``: remove the files of builds that are no longer retained.

Exit status 0 ok (also when nothing was due), 1 the removal failed or another build holds
DEST's lock, 2 usage error (no history in DEST, a bad ``--retain``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from servestatic.build.gc import apply_gc
from servestatic.build.history import (
    HISTORY_NAME,
    BuildLockedError,
    History,
    HistoryError,
    Retention,
    build_lock,
    read_history,
)

__all__ = ["main"]

OK, FAILED, USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="servestatic gc",
        description="Remove the hashed files (and their .zst/.br/.gz) of the builds in "
        f"DEST/{HISTORY_NAME} that are no longer retained. Files of the current build, and "
        "files no build recorded, are never removed.",
    )
    parser.add_argument("dest", help="a DEST built with --retain")
    parser.add_argument(
        "--retain",
        default=None,
        metavar="N|DURATION",
        help="a new retention (N previous builds, or a duration: 12h, 7d, 2w), recorded for "
        "later builds; default: the one recorded by the last build",
    )
    parser.add_argument("--dry-run", action="store_true", help="list, do not remove")
    parser.add_argument("--json", action="store_true", help="print a JSON report")
    return parser


def main(
    argv: Sequence[str],
    command: str | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    del command
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exit_:
        return OK if exit_.code in (0, None) else USAGE
    if not os.path.isdir(args.dest):
        print(f"servestatic gc: error: DEST {args.dest!r} is not a directory", file=err)
        return USAGE
    try:
        retention = None if args.retain is None else Retention.parse(args.retain)
    except ValueError as error:
        print(f"servestatic gc: error: --retain: {error}", file=err)
        return USAGE
    try:
        with build_lock(args.dest):
            history = read_history(args.dest)
            if history is None:
                print(
                    f"servestatic gc: error: {os.path.join(args.dest, HISTORY_NAME)}: no build "
                    "history (build into DEST with --retain first)",
                    file=err,
                )
                return USAGE
            if retention is not None:
                history = History(retention, history.builds)
            result = apply_gc(
                args.dest, history, dry_run=args.dry_run, rewrite=retention is not None
            )
    except HistoryError as error:
        print(f"servestatic gc: error: {error}", file=err)
        return USAGE
    except BuildLockedError as error:
        print(f"servestatic gc: error: {error}", file=err)
        return FAILED
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"servestatic gc: error: {where}{error.strerror or error}", file=err)
        return FAILED
    if args.json:
        print(json.dumps(result.to_json(), indent=2), file=out)
        return OK
    verb = "would remove" if args.dry_run else "removed"
    for name in result.removed:
        print(f"{verb} {name}", file=out)
    print(
        f"{verb} {len(result.removed)} file{'s' if len(result.removed) != 1 else ''} "
        f"({result.bytes} bytes) of {len(result.expired)} expired build"
        f"{'s' if len(result.expired) != 1 else ''}; kept {len(result.kept)} "
        f"(current and retained, retain {result.retention})",
        file=out,
    )
    return OK
