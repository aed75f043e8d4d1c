"""Does every reference in a built package resolve? Runs in the main ``.venv``.

``.venv/bin/python -m benchmarks.npmcheck SRC DEST`` prints one JSON object.

The check of ``tests/build/test_serving.py`` (the built-output test the browser test relies
on), run over a real package: for every CSS and JavaScript file the manifest
(``DEST/staticfiles.json``) lists, the references the build recognises
(:func:`servestatic.build.references.find_references`: CSS ``url()``/``@import``, source
maps, relative JS ``import``/``export … from``/``import()``/``new URL(…, import.meta.url)``)
are read from the file as served and resolved from its served name. Each target must be a
file in DEST, and servestatic's WSGI application over DEST must answer ``GET /target`` with
200 and the file's bytes (the server sees what a browser would ask for).

A reference whose target does not exist in SRC either (a source map the package does not
ship) is counted as ``missing_in_source``: it was broken before any build. Everything else
that does not resolve is ``broken``. Bare specifiers (``three``), absolute URLs and
``data:`` are not files of the build and are not counted.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from servestatic import ServeStatic
from servestatic.build.references import find_references, kind_of, resolve

_EXAMPLES = 5


def _get(app: Any, path: str) -> tuple[int, bytes]:
    """GET ``path`` from a WSGI application called in process."""
    captured: dict[str, int] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = int(status.split(" ", 1)[0])
        return lambda data: None

    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        # PEP 3333: PATH_INFO carries the raw bytes as latin-1 code points.
        "PATH_INFO": path.encode().decode("latin-1"),
        "QUERY_STRING": "",
        "SERVER_NAME": "bench",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": None,
    }
    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], body


def check(src: Path, dest: Path) -> dict[str, Any]:
    paths: dict[str, str] = json.loads((dest / "staticfiles.json").read_text())["paths"]
    original_of = {served: name for name, served in paths.items()}
    app = ServeStatic(None, root=str(dest))
    report: dict[str, Any] = {
        "documents": 0,
        "references": 0,
        "resolved": 0,
        "served": 0,
        "missing_in_source": 0,
        "broken": 0,
        "broken_examples": [],
    }
    fetched: dict[str, bool] = {}
    for _name, served in sorted(paths.items()):
        kind = kind_of(served)
        if kind is None:
            continue
        file = dest / served
        if not file.is_file():
            continue  # a name the manifest maps away; its served name is checked instead
        report["documents"] += 1
        text = file.read_bytes().decode("utf-8", "surrogateescape")
        for reference in find_references(text, kind):
            target = resolve(reference.url, served)
            if target is None:
                continue
            report["references"] += 1
            if (dest / target).is_file():
                report["resolved"] += 1
                if target not in fetched:
                    status, body = _get(app, "/" + target)
                    fetched[target] = status == 200 and body == (dest / target).read_bytes()
                if fetched[target]:
                    report["served"] += 1
                    continue
            source_name = original_of.get(target, target)
            if not (src / source_name).is_file():
                report["missing_in_source"] += 1
                continue
            report["broken"] += 1
            if len(report["broken_examples"]) < _EXAMPLES:
                report["broken_examples"].append(f"{served} → {reference.url}")
    report["files"] = sum(len(files) for _, _, files in os.walk(dest))
    return report


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print("usage: python -m benchmarks.npmcheck SRC DEST", file=sys.stderr)
        return 2
    print(json.dumps(check(Path(args[0]), Path(args[1]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
