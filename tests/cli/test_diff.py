"""``servestatic diff OLD NEW``: the purge list of a deploy (issue 16 item 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servestatic.cli import run
from tests.build.helpers import write


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        write(root / name, text)
    return root


def _build(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    src = _tree(tmp_path / f"{name}-src", files)
    dest = tmp_path / name
    assert run([str(src), str(dest), "--all", "-q", "-e", "*.html", "-e", "*.txt"]) == 0
    return dest


OLD = {
    "index.html": "<p>home 1</p>",
    "docs/index.html": "<p>docs 1</p>",
    "about.html": "<p>about</p>",
    "robots.txt": "User-agent: *",
    "gone.txt": "bye",
    "css/app.css": "body { color: red }",
}
NEW = {
    "index.html": "<p>home 2</p>",
    "docs/index.html": "<p>docs 2</p>",
    "about.html": "<p>about</p>",
    "robots.txt": "User-agent: *",
    "new.txt": "hello",
    "css/app.css": "body { color: blue }",
}


def _diff(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    capsys.readouterr()
    assert run(["diff", *argv]) == 0
    return capsys.readouterr().out.splitlines()


def test_lists_the_mutable_urls_whose_bytes_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _build(tmp_path, "old", OLD), _build(tmp_path, "new", NEW)
    (tmp_path / "servestatic.toml").write_text('index_file = true\nprefix = "/static/"\n')
    config = str(tmp_path / "servestatic.toml")
    assert _diff(capsys, str(old), str(new), "--config", config) == [
        "/static/",
        "/static/docs/",
        "/static/docs/index.html",
        "/static/gone.txt",
        "/static/index.html",
        "/static/new.txt",
    ]
    # Unchanged pages (about.html, robots.txt) and the hashed CSS (a new name, immutable)
    # are not listed.


def test_two_manifests_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _build(tmp_path, "old", OLD), _build(tmp_path, "new", NEW)
    out = _diff(capsys, str(old / "staticfiles.json"), str(new / "staticfiles.json"), "--json")
    report = json.loads("\n".join(out))
    assert report["urls"] == [
        {"url": "/docs/index.html", "name": "docs/index.html", "change": "changed"},
        {"url": "/gone.txt", "name": "gone.txt", "change": "removed"},
        {"url": "/index.html", "name": "index.html", "change": "changed"},
        {"url": "/new.txt", "name": "new.txt", "change": "added"},
    ]


def test_prefix_flag_and_base_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _build(tmp_path, "old", OLD), _build(tmp_path, "new", NEW)
    out = _diff(
        capsys, str(old), str(new), "--prefix", "assets", "--base-url", "https://cdn.example/"
    )
    assert out[0] == "https://cdn.example/assets/docs/index.html"


def test_plain_folders_are_hashed_and_names_percent_encoded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _tree(tmp_path / "a", {"café/menu.html": "1", "same.txt": "x", ".env": "1"})
    new = _tree(tmp_path / "b", {"café/menu.html": "2", "same.txt": "x", ".env": "2"})
    write(old / "café" / "menu.html.gz", "variant: not a URL")
    assert _diff(capsys, str(old), str(new)) == ["/caf%C3%A9/menu.html"]


def test_rules_decide_what_is_immutable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _tree(tmp_path / "a", {"fonts/a.woff2": "1", "page.html": "1"})
    new = _tree(tmp_path / "b", {"fonts/a.woff2": "2", "page.html": "2"})
    (tmp_path / "s.toml").write_text('[[rules]]\nmatch = "/fonts/**"\nimmutable = true\n')
    assert _diff(capsys, str(old), str(new), "--config", str(tmp_path / "s.toml")) == ["/page.html"]
    assert _diff(capsys, str(old), str(new)) == ["/fonts/a.woff2", "/page.html"]


def test_nothing_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _build(tmp_path, "old", OLD)
    assert _diff(capsys, str(old), str(old)) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"paths": {}}', "no 'files' listing"),
        ("{not json", "not valid JSON"),
    ],
)
def test_unusable_manifests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    (tmp_path / "m.json").write_text(content)
    (tmp_path / "d").mkdir()
    assert run(["diff", str(tmp_path / "m.json"), str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path / "m.json") in err
    assert message in err


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d").mkdir()
    assert run(["diff", str(tmp_path / "missing"), str(tmp_path / "d")]) == 1
    assert "no such file or folder" in capsys.readouterr().err
    assert run(["diff", str(tmp_path / "d")]) == 2
    assert run(["diff", str(tmp_path / "d"), str(tmp_path / "d"), "--config", "nope.toml"]) == 2
    assert "'nope.toml': no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("max_age = -5\n")
    assert run(["diff", str(tmp_path / "d"), str(tmp_path / "d"), "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err
    assert "max_age" in err


@pytest.mark.parametrize("command", ["diff", "gc", "check", "explain"])
def test_help_returns_zero_instead_of_exiting(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """cli.run never raises SystemExit: ``--help`` of every subcommand built on
    ``cli._common.run`` prints its usage and returns 0 (issue 15 item 4's shared
    boilerplate)."""
    assert run([command, "--help"]) == 0
    assert f"usage: servestatic {command}" in capsys.readouterr().out


def test_gc_usage_errors_keep_their_message_and_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["gc", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err == (
        f"servestatic gc: error: DEST {str(tmp_path / 'missing')!r} is not a directory\n"
    )
    assert run(["gc", str(tmp_path), "--retain", "soon"]) == 2
    assert capsys.readouterr().err.startswith("servestatic gc: error: --retain: ")
    assert run(["gc", str(tmp_path)]) == 2
    assert "no build history" in capsys.readouterr().err
