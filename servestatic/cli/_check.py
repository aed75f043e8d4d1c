"""``servestatic check``: validate the configuration and show where each value came from."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from servestatic._engine import Engine, cache_warnings, preset_report, rule_usage
from servestatic.cli._common import add_config_argument, load_settings, parser, run
from servestatic.config import Settings

__all__ = ["main"]


def main(argv: Sequence[str], command: str = "check") -> int:
    return run(_main, argv)


def _show(value: Any) -> str:
    if callable(value):
        return f"{getattr(value, '__module__', '?')}:{getattr(value, '__qualname__', value)}"
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except TypeError:  # pragma: no cover - every settings value is JSON-able or callable
        return repr(value)


def describe(settings: Settings) -> list[str]:
    """One line per setting: ``key = value    # source``."""
    data = settings.model_dump(mode="python", exclude={"schema_"})
    lines = []
    for key, value in data.items():
        if (
            isinstance(value, dict)
            and key in type(settings).model_fields
            and key not in {"mimetypes"}
        ):
            for sub, sub_value in value.items():
                lines.append((f"{key}.{sub}", _show(sub_value), settings.source_of(f"{key}.{sub}")))
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append((key, f"[{len(value)} entries]", settings.source_of(key)))
            continue
        lines.append((key, _show(value), settings.source_of(key)))
    width = max(len(name) + len(shown) for name, shown, _ in lines) + 4
    return [
        f"  {name} = {shown}".ljust(width + 2) + f"  # {source}" for name, shown, source in lines
    ]


def _main(argv: Sequence[str]) -> int:
    arguments = parser("check", "Validate the configuration and print the effective settings.")
    add_config_argument(arguments)
    arguments.add_argument(
        "--strict", action="store_true", help="treat warnings (missing root, unused rule) as errors"
    )
    options = arguments.parse_args(argv)
    settings = load_settings(options.config)
    print("servestatic: configuration is valid")
    for line in describe(settings):
        print(line)
    # Built leniently so every problem is listed (a strict engine stops at the first);
    # `strict` then decides the exit status.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        engine = Engine(settings.model_copy(update={"strict": False}), standalone=True)
    problems = [str(warning.message) for warning in caught]
    files = sum(1 for _ in engine.files)
    if not settings.autorefresh:
        print(f"indexed {files} URLs from {len(engine.roots)} root(s)")
        usage = rule_usage(engine)
        for rule in engine.builder.rules.rules:
            if rule.preset is None:
                print(f"  rule {rule.label} ({rule.pattern_text}): {usage[rule.number]} URLs")
        for line in preset_report(engine):
            print(line)
        problems.extend(cache_warnings(engine))
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 2 if problems and (options.strict or settings.strict) else 0
