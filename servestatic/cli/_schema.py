"""``servestatic schema``: write the JSON Schema and the configuration reference."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from servestatic.cli._common import parser, run
from servestatic.config.schema import markdown_reference, schema_text

__all__ = ["main"]


def main(argv: Sequence[str], command: str = "schema") -> int:
    return run(_main, argv)


def _main(argv: Sequence[str]) -> int:
    arguments = parser("schema", "Print or write the JSON Schema of the configuration.")
    arguments.add_argument("--output", metavar="FILE", help="write the JSON Schema here")
    arguments.add_argument("--markdown", metavar="FILE", help="write the Markdown reference here")
    arguments.add_argument(
        "--check", action="store_true", help="exit 1 if the files differ from what would be written"
    )
    options = arguments.parse_args(argv)
    outputs = []
    if options.output:
        outputs.append((Path(options.output), schema_text()))
    if options.markdown:
        outputs.append((Path(options.markdown), markdown_reference()))
    if not outputs:
        if options.check:
            print("servestatic schema: --check needs --output and/or --markdown", file=sys.stderr)
            return 2
        sys.stdout.write(schema_text())
        return 0
    stale = []
    for path, text in outputs:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        if options.check:
            stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(
            f"out of date: {', '.join(stale)} (run `servestatic schema` to regenerate)",
            file=sys.stderr,
        )
        return 1
    return 0
