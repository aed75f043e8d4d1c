"""``servestatic check``: run the server's start-up and say what it found.

The configuration is read from every source (Django settings too, in a Django project),
then the start-up the server performs is run without serving: the roots are indexed, rules,
redirects, the SPA fallback and the 404 page are resolved. Every problem is printed at once,
each naming its source and key; the exit status is the server's outcome: 2 when it would
refuse to start, 0 when it would start (warnings and all). Framework presets are listed with
their evidence, and cache policies that contradict a file's name are printed as advice.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from servestatic.cli._common import add_config_argument, boot, parser, run
from servestatic.config import ConfigError, LoadedSettings
from servestatic.serve.boot import Boot
from servestatic.serve.engine import cache_warnings, preset_report, rule_usage

__all__ = ["describe", "main"]


def main(argv: Sequence[str], command: str = "check") -> int:
    return run(_main, argv)


def _show(value: Any) -> str:
    if isinstance(value, Path):
        # Below the working directory: the relative path (what the user wrote, usually).
        relative = os.path.relpath(value)
        value = str(value) if relative.startswith("..") else relative
    if callable(value):
        return f"{getattr(value, '__module__', '?')}:{getattr(value, '__qualname__', value)}"
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except TypeError:  # pragma: no cover - every settings value is JSON-able or callable
        return repr(value)


def describe(loaded: LoadedSettings) -> list[str]:
    """One line per setting: ``key = value    # source``."""
    settings = loaded.settings
    data = settings.model_dump(mode="python", exclude={"schema_"}, by_alias=True)
    lines = []
    for key, value in data.items():
        if (
            isinstance(value, dict)
            and key in type(settings).model_fields
            and key not in {"mimetypes"}
        ):
            for sub, sub_value in value.items():
                lines.append((f"{key}.{sub}", _show(sub_value), loaded.source_of(f"{key}.{sub}")))
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append((key, f"[{len(value)} entries]", loaded.source_of(key)))
            continue
        lines.append((key, _show(value), loaded.source_of(key)))
    width = max(len(name) + len(shown) for name, shown, _ in lines) + 4
    return [
        f"  {name} = {shown}".ljust(width + 2) + f"  # {source}" for name, shown, source in lines
    ]


def _main(argv: Sequence[str]) -> int:
    arguments = parser("check", "Run the start-up the server performs and report every problem.")
    add_config_argument(arguments, django=True)
    arguments.add_argument(
        "--strict",
        action="store_true",
        help="fail on warnings too (a missing root, a rule that matches no file), as "
        "`strict = true` does",
    )
    options = arguments.parse_args(argv)
    result = boot(options)
    print(f"servestatic: sources read, highest first: {', '.join(result.loaded.sources)}")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if result.failed(options.strict):
        # The error the server raises at start-up, word for word.
        raise ConfigError([problem.as_error() for problem in result.problems])
    _summary(result)
    for problem in result.problems:
        print(f"warning: {problem}", file=sys.stderr)
    count = len(result.problems)
    warned = f" ({count} warning{'s' if count != 1 else ''})" if count else ""
    print(f"servestatic: the configuration is valid; the server would start{warned}")
    return 0


def _summary(result: Boot) -> None:
    for line in describe(result.loaded):
        print(line)
    engine = result.engine
    if engine is None or engine.autorefresh:
        return
    print(f"indexed {len(engine.files)} URLs from {len(engine.roots)} root(s)")
    usage = rule_usage(engine)
    for rule in engine.builder.rules.rules:
        if rule.preset is None:  # listed with their preset below
            print(f"  rule {rule.label} ({rule.pattern_text}): {usage[rule.number]} URLs")
    for line in preset_report(engine):
        print(line)
    # Judgements about cache policies a user may have chosen on purpose (fonts kept
    # immutable under fixed names...): check's advice, with the report rather than the
    # start-up's warnings, so they change neither the exit status nor what `strict`
    # refuses (issue 18).
    for text in cache_warnings(engine):
        print(f"advice: {text}")
