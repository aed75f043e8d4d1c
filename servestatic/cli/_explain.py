"""``servestatic explain URL_PATH``: the rules that matched, in order, and the final headers."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from servestatic._engine import Engine, explain, explain_notes
from servestatic._paths import route_path
from servestatic._records import FileEntry, Request
from servestatic._respond import respond_redirect
from servestatic.cli._common import CliError, add_config_argument, load_settings, parser, run

__all__ = ["main"]


def main(argv: Sequence[str], command: str = "explain") -> int:
    return run(_main, argv)


def _main(argv: Sequence[str]) -> int:
    arguments = parser("explain", "Show how a URL path is answered and which rules apply.")
    arguments.add_argument("path", metavar="URL_PATH", help="a URL path such as /assets/app.js")
    arguments.add_argument(
        "--root-path",
        default="",
        metavar="PREFIX",
        help="the path the application is mounted at (uvicorn --root-path, granian "
        "--url-path-prefix, SCRIPT_NAME): URL_PATH is the full path, such as "
        "/mount/assets/app.js",
    )
    add_config_argument(arguments)
    options = arguments.parse_args(argv)
    mount = options.root_path
    if mount and not mount.startswith("/"):
        raise CliError(f"servestatic explain: --root-path must start with '/', got {mount!r}")
    settings = load_settings(options.config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine = Engine(settings, standalone=True)
    path, _, query = options.path.partition("?")
    path = path if path.startswith("/") else "/" + path
    # What the ASGI adapter does with a scope's root_path (and a WSGI server with
    # SCRIPT_NAME before servestatic sees PATH_INFO).
    below = route_path(path, mount) if mount else path
    if below != path:
        print(f"{path}: looked up as {below or '(the mount point)'} below --root-path {mount}")
    elif mount:
        print(f"{path}: not below --root-path {mount}; looked up as it is")
    kind, entry, rules = explain(engine, below, mount)
    if entry is None:
        print(f"{path}: no file; the request goes to the wrapped application (404 when standalone)")
        return 1
    if not isinstance(entry, FileEntry):
        # The Location a request would get, query string included.
        plan = respond_redirect(entry, Request("GET", below, query, mount=mount))
        location = dict(plan.extra)["Location"]
        print(f"{path}: redirect {entry.status} to {location}")
        for name, value in entry.headers.pairs:
            print(f"  {name}: {value}")
        return 0
    labels = {
        "file": "file",
        "fallback": "SPA fallback",
        "not_found": "404 page",
    }
    print(f"{path}: {labels[kind]} {entry.identity.path} (status {entry.status})")
    for line in explain_notes(engine, entry):
        print(line)
    if rules:
        print("rules applied, in order:")
        for rule in rules:
            note = " (final)" if rule.final else ""
            print(f"  {rule.label}: {rule.pattern_text}{note}")
    else:
        print("rules applied: none")
    print("response headers:")
    for name, value in entry.identity.ok.pairs:
        print(f"  {name}: {value}")
    for representation in entry.representations[1:]:
        print(
            f"variant {representation.coding}: {representation.size} bytes, "
            f"ETag {representation.etag}"
        )
    return 0
