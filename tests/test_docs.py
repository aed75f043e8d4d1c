"""Every documented command output in ``docs/`` (and the README) is what the command prints.

A ``text`` block whose lines start with ``$ servestatic ...`` is run in a fresh directory
holding the nearest TOML block above it (in the same page) as ``servestatic.toml`` and a
fixed site tree (fixed contents and times, so that sizes, ETags and dates are stable) at the
configured ``root`` (``root = "site"`` is added when the example sets none). Its output,
standard output and standard error together, must equal the lines shown; a line ``...``
stands for any number of lines. So an example such as the embeddable widget in
``docs/rules.md`` cannot silently stop doing what its text says.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import re
import shlex
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from servestatic.cli import main

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted([*(REPO / "docs").glob("*.md"), REPO / "README.md"])
#: 2026-01-01T00:00:00Z: every fixture file's modification time.
MTIME = 1767225600

TREE = {
    "index.html": "<!doctype html><h1>home</h1>\n",
    "404.html": "<!doctype html><h1>not found</h1>\n",
    "about/index.html": "<!doctype html><h1>about</h1>\n",
    "docs/index.html": "<!doctype html><h1>docs</h1>\n",
    "docs/guide.html": "<!doctype html><h1>guide</h1>\n",
    "assets/app.3f9c1b2a.js": "export function main() { return 'app'; }\n" * 8,
    "assets/app.3f9c1b2a.js.br": "b" * 90,
    "assets/app.css": "body { margin: 0 }\n" * 4,
    "embed/widget.html": "<!doctype html><p>widget</p>\n",
    "sw.js": "self.addEventListener('fetch', () => {});\n",
    "fonts/inter.woff2": "wOF2" + "f" * 60,
    "downloads/report.pdf": "%PDF-1.7\n" + "r" * 50,
    "app.js.map": '{"version":3}\n',
    "search/search_index.json": '{"docs":[]}\n',
    "robots.txt": "User-agent: *\n",
}


@dataclass(frozen=True)
class Example:
    page: str
    line: int
    toml: str | None
    commands: list[tuple[str, list[str]]]  # (command line, expected output lines)

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _blocks(text: str) -> list[tuple[str, int, str]]:
    """(language, line, body) of every fenced code block."""
    return [
        (match.group(1), text[: match.start()].count("\n") + 1, match.group(2))
        for match in re.finditer(r"^```(\w*)\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    ]


#: ``$ servestatic ...``, maybe after environment variables (``$ SERVESTATIC_X=1 servestatic``).
_COMMAND = re.compile(r"\$ (?:[A-Z_]+=\S* )*servestatic ")


def _examples() -> list[Example]:
    examples = []
    for page in PAGES:
        toml: str | None = None
        for language, line, body in _blocks(page.read_text(encoding="utf-8")):
            if language == "toml":
                toml = body
                continue
            if language != "text" or not _COMMAND.match(body):
                continue
            commands: list[tuple[str, list[str]]] = []
            for raw in body.splitlines():
                if raw.startswith("$ "):
                    commands.append((raw[2:], []))
                else:
                    commands[-1][1].append(raw)
            examples.append(Example(page.relative_to(REPO).as_posix(), line, toml, commands))
    return examples


EXAMPLES = _examples()


def _matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` equals ``actual``, where a line ``...`` matches any run of lines."""
    if not expected:
        return not actual
    if expected[0].strip() == "...":
        return any(_matches(expected[1:], actual[skip:]) for skip in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and _matches(expected[1:], actual[1:])


def _build_tree(root: Path) -> None:
    for relative, content in TREE.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        os.utime(path, (MTIME, MTIME))


def _run(command: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run one command line; ``NAME=value`` before it is set for that command only."""
    words = shlex.split(command)
    output = io.StringIO()
    with monkeypatch.context() as patch:
        while "=" in words[0]:
            name, _, value = words.pop(0).partition("=")
            patch.setenv(name, value)
        assert words[0] == "servestatic"
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            main(words[1:])
    return output.getvalue().splitlines()


def test_the_pages_have_examples() -> None:
    pages = {example.page for example in EXAMPLES}
    assert {"docs/rules.md", "docs/cli.md", "docs/getting-started.md"} <= pages
    assert len(EXAMPLES) >= 11


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_documented_output(
    example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.chdir(tmp_path)
    root = "site"
    if example.toml is not None:
        toml = example.toml
        document = tomllib.loads(toml)
        if "root" in document:
            root = str(document["root"])
        else:
            toml = f'root = "{root}"\n' + toml
        (tmp_path / "servestatic.toml").write_text(toml, encoding="utf-8")
    _build_tree(tmp_path / root)
    for command, expected in example.commands:
        actual = _run(command, monkeypatch)
        assert _matches(expected, actual), f"{example.id}: `{command}` printed:\n" + "\n".join(
            actual
        )


def _python_block(page: str, containing: str) -> str:
    text = (REPO / page).read_text(encoding="utf-8")
    return next(
        body for language, _, body in _blocks(text) if language == "python" and containing in body
    )


def test_the_flask_example_leaves_no_second_static_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Flask example serves through servestatic only: a file servestatic refuses (a
    dotfile, its own cache file) must not come back from Flask's static route with a 200."""
    from tests.client import call_wsgi

    monkeypatch.chdir(tmp_path)
    static = tmp_path / "static"
    static.mkdir()
    (static / "app.css").write_text("body{}")
    (static / ".env").write_text("SECRET=1")
    (static / ".servestatic-cache.json").write_text("{}")
    # The example as the module of a project next to its static/ folder (Flask finds its
    # default static folder next to the module).
    (tmp_path / "docs_flask_example.py").write_text(
        _python_block("docs/getting-started.md", "Flask"), encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("docs_flask_example")
    monkeypatch.delitem(sys.modules, "docs_flask_example")
    application = module.app.wsgi_app
    assert call_wsgi(application, "/static/app.css").status == 200
    for refused in ("/static/.env", "/static/.servestatic-cache.json"):
        response = call_wsgi(application, refused)
        assert response.status == 404, refused
        assert b"SECRET" not in response.body
