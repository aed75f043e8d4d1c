"""``servestatic explain URL``: how the server answers a request, status and headers exact.

The URL (a path, or a full URL whose scheme and host are ignored) becomes the request record
a WSGI server would hand the application: the path percent-decoded as ``PATH_INFO``, the raw
path kept for the encoded-separator check, the query string, the given headers. The engine
then answers it through the same lookup and the same response plan as a real request:
index files, redirects, the SPA fallback, deny rules and hidden files included.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from urllib.parse import unquote_to_bytes, urlsplit

from servestatic.cli._common import CliError, add_config_argument, boot, parser, run
from servestatic.config import ConfigError
from servestatic.http.environ import request_from_environ
from servestatic.http.paths import decode_wsgi_path, route_path
from servestatic.http.records import FileEntry, Request, reason_phrase
from servestatic.serve.engine import Explanation, explain, explain_notes

__all__ = ["main", "request_for"]


def main(argv: Sequence[str], command: str = "explain") -> int:
    return run(_main, argv)


def request_for(
    url: str, method: str = "GET", headers: Sequence[tuple[str, str]] = (), mount: str = ""
) -> Request:
    """The request record a WSGI server would build for ``url`` (what the adapter reads).

    With ``mount`` (``--root-path``), ``url`` is the full path as the server receives it:
    the part below the mount is looked up, as the ASGI adapter does with ``root_path`` and
    a WSGI server with ``SCRIPT_NAME``."""
    parts = urlsplit(url)
    if not (parts.scheme and parts.netloc):
        # A path: "/a?b", or "a" for "/a". A "//host" start is a path here, not a host.
        raw, _, query = url.partition("?")
        raw = raw.split("#", 1)[0]
    else:
        raw, query = parts.path, parts.query
    if not raw.startswith("/"):
        raw = "/" + raw
    # PEP 3333: PATH_INFO is the percent-decoded path, as latin-1 code points of its bytes.
    full = unquote_to_bytes(raw).decode("latin-1")
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": mount,
        "PATH_INFO": route_path(full, mount) if mount else full,
        "QUERY_STRING": query,
        "RAW_URI": raw + (f"?{query}" if query else ""),
    }
    for name, value in headers:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    path = decode_wsgi_path(environ["PATH_INFO"])
    return request_from_environ(environ, method, path, environ["RAW_URI"], mount)


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        msg = f"expected 'Name: value', got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return name.strip(), value.strip()


def _main(argv: Sequence[str]) -> int:
    arguments = parser("explain", "Show how the server answers a URL: status, headers, rules.")
    arguments.add_argument(
        "url",
        metavar="URL",
        help="a URL path such as /assets/app.js, or a full URL (scheme and host are ignored)",
    )
    arguments.add_argument(
        "-X", "--method", default="GET", help="request method (default: %(default)s)"
    )
    arguments.add_argument(
        "-H",
        "--header",
        type=_header,
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a request header, e.g. 'Accept-Encoding: br' (repeatable)",
    )
    arguments.add_argument(
        "--root-path",
        default="",
        metavar="PREFIX",
        help="the path the application is mounted at (uvicorn --root-path, granian "
        "--url-path-prefix, SCRIPT_NAME): URL is then the full path, such as "
        "/mount/assets/app.js",
    )
    add_config_argument(arguments, django=True)
    options = arguments.parse_args(argv)
    mount = options.root_path
    if mount and not mount.startswith("/"):
        raise CliError(f"servestatic explain: --root-path must start with '/', got {mount!r}")
    result = boot(options)
    # On standard error: the output itself is the response, for scripts to read.
    print(
        f"servestatic: sources read, highest first: {', '.join(result.loaded.sources)}",
        file=sys.stderr,
    )
    if result.failed() or result.engine is None:
        raise ConfigError([problem.as_error() for problem in result.problems])
    method = options.method.upper()
    if not method.isalpha():
        raise CliError(f"servestatic explain: not a method: {options.method!r}")
    request = request_for(options.url, method, options.header, mount)
    shown = request.path
    if mount:
        shown = decode_wsgi_path(mount.rstrip("/") + request.path) if request.path else mount
        full = request_for(options.url, method).path
        if request.path != full:
            below = request.path or "(the mount point)"
            print(f"{full}: looked up as {below} below --root-path {mount}")
        else:
            print(f"{full}: not below --root-path {mount}; looked up as it is")
            shown = full
    explanation = explain(result.engine, request)
    entry = explanation.entry
    notes = (
        explain_notes(result.engine, entry)
        if isinstance(entry, FileEntry) and explanation.kind != "miss"
        else []
    )
    _print(request, explanation, standalone=result.standalone, shown=shown, notes=notes)
    return 0 if explanation.kind != "miss" else 1


def _relative(path: str) -> str:
    """A file below the working directory by its relative path (shorter, and the same on
    every machine for the documentation's examples)."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _print(
    request: Request,
    explanation: Explanation,
    *,
    standalone: bool,
    shown: str | None = None,
    notes: Sequence[str] = (),
) -> None:
    path, entry, plan = shown or request.path, explanation.entry, explanation.plan
    if explanation.kind == "miss" or entry is None:
        handler = "the server answers 404" if standalone else "the request goes to the application"
        print(f"{path}: no file ({explanation.reason}); {handler}")
    elif not isinstance(entry, FileEntry):
        location = dict(plan.extra)["Location"] if plan is not None else entry.location
        origin = f" ({explanation.redirect.label})" if explanation.redirect is not None else ""
        print(f"{path}: redirect {entry.status} to {location}{origin}")
    else:
        labels = {"file": "file", "fallback": "SPA fallback", "not_found": "404 page"}
        shown = _relative(entry.identity.path)
        print(f"{path}: {labels[explanation.kind]} {shown} (status {entry.status})")
        if explanation.reason is not None:
            print(f"  (no file at {path}: {explanation.reason})")
        for note in notes:
            print(note)
        if explanation.rules:
            print("rules applied, in order:")
            for rule in explanation.rules:
                note = " (final)" if rule.final else ""
                print(f"  {rule.label}: {rule.pattern_text}{note}")
        else:
            print("rules applied: none")
    if plan is None:
        return
    print(f"response: {plan.status} {reason_phrase(plan.status)}")
    print("response headers:")
    for name, value in (*plan.headers.pairs, *plan.extra):
        print(f"  {name}: {value}")
    if isinstance(entry, FileEntry) and explanation.kind != "miss":
        for representation in entry.representations[1:]:
            print(
                f"variant {representation.coding}: {representation.size} bytes, "
                f"ETag {representation.etag}"
            )
