"""``servestatic check``, ``explain`` and ``schema``: output, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servestatic.cli import main
from tests.conftest import write


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write(tmp_path / "dist" / "app.js", "x")
    write(tmp_path / "dist" / "assets" / "app.0123456789ab.js", "y")
    write(tmp_path / "dist" / "docs" / "index.html", "<p>")
    (tmp_path / "servestatic.toml").write_text(
        'root = "dist"\nindex_file = true\n'
        '[[rules]]\nname = "assets"\nmatch = "/assets/**"\nimmutable = true\n'
        '[[rules]]\nname = "html"\nmatch = ["/", "/**/*.html"]\ncache_control = "no-cache"\n'
        '[[rules]]\nname = "typo"\nmatch = "/asets/**"\nheaders = { X-A = "1" }\n'
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_prints_values_and_sources(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVESTATIC_MAX_AGE", "90")
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(
        "servestatic: sources read, highest first: environment, servestatic.toml\n"
    )
    assert out.endswith(
        "servestatic: the configuration is valid; the server would start (1 warning)\n"
    )
    assert any(
        line.strip().startswith("max_age = 90") and line.endswith("# SERVESTATIC_MAX_AGE")
        for line in out.splitlines()
    )
    assert any(
        line.strip().startswith("index_file = true") and line.endswith("# servestatic.toml")
        for line in out.splitlines()
    )
    assert any(
        line.strip().startswith('charset = "utf-8"') and line.endswith("# default")
        for line in out.splitlines()
    )
    assert 'rule #1 "assets" (/assets/**): 1 URLs' in out
    assert err == (
        'warning: servestatic.toml [[rules]] #3 "typo" → match: matches no file, '
        "got '/asets/**'\n"
    )


def test_check_strict_fails_on_warnings(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--strict"]) == 2
    out, err = capsys.readouterr()
    assert "valid" not in out  # never "valid" and then a failure
    assert err.splitlines() == [
        "invalid servestatic configuration (1 problem)",
        "  servestatic.toml [[rules]] #3 \"typo\" → match: matches no file, got '/asets/**'",
    ]


def test_check_reports_errors_with_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "servestatic.toml").write_text("max_age = -1\n")
    assert main(["check"]) == 2
    _, err = capsys.readouterr()
    assert err.splitlines() == [
        "invalid servestatic configuration (1 problem)",
        "  servestatic.toml → max_age: Input should be greater than or equal to 0, got -1",
    ]


def test_check_with_explicit_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = write(project / "other.toml", "charset = 'latin-1'\n")
    assert main(["check", "--config", str(other)]) == 0
    assert "# other.toml" in capsys.readouterr().out


def test_check_missing_root_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "servestatic.toml").write_text('root = "nowhere"\n')
    assert main(["check"]) == 0
    assert capsys.readouterr().err == (
        f"warning: servestatic.toml → root: No directory at: {tmp_path / 'nowhere'}\n"
    )
    assert main(["check", "--strict"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "invalid servestatic configuration (1 problem)",
        f"  servestatic.toml → root: No directory at: {tmp_path / 'nowhere'}",
    ]


def test_explain_lists_rules_in_order_and_headers(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "/assets/app.0123456789ab.js"]) == 0
    out = capsys.readouterr().out
    assert 'rules applied, in order:\n  #1 "assets": /assets/**\n' in out
    assert "  Cache-Control: max-age=315360000, public, immutable\n" in out
    assert main(["explain", "/docs/"]) == 0
    out = capsys.readouterr().out
    assert '#2 "html": /, /**/*.html' in out
    assert "Cache-Control: no-cache" in out


def test_explain_redirect_and_miss(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "/docs"]) == 0
    assert "/docs: redirect 302 to docs/" in capsys.readouterr().out
    # With a query string: the Location a request would get (the query kept, escaped).
    assert main(["explain", "/docs?x=a b"]) == 0
    assert "/docs: redirect 302 to docs/?x=a%20b" in capsys.readouterr().out
    assert main(["explain", "missing.js"]) == 1
    assert "/missing.js: no file" in capsys.readouterr().out


def test_explain_with_root_path(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--root-path``: the URL path as the server receives it under a mount (uvicorn
    --root-path, granian --url-path-prefix), resolved as the ASGI adapter does (issue 13)."""
    with (project / "servestatic.toml").open("a") as config:
        config.write('[[redirects]]\nfrom = "/old/*"\nto = "/docs/:splat"\n')
    mount = ["--root-path", "/mount"]
    assert main(["explain", *mount, "/mount/app.js"]) == 0
    out = capsys.readouterr().out
    assert "/mount/app.js: looked up as /app.js below --root-path /mount\n" in out
    assert "/mount/app.js: file dist/app.js (status 200)" in out
    assert main(["explain", *mount, "/mount/docs"]) == 0
    assert "/mount/docs: redirect 302 to docs/\n" in capsys.readouterr().out
    assert main(["explain", *mount, "/mount"]) == 1  # nothing answers "/" yet
    capsys.readouterr()
    write(project / "dist" / "index.html", "<p>home")
    assert main(["explain", *mount, "/mount"]) == 0
    out = capsys.readouterr().out
    assert "/mount: looked up as (the mount point) below --root-path /mount\n" in out
    assert "/mount: redirect 302 to mount/\n" in out
    assert main(["explain", *mount, "/mount/old/x?q=1"]) == 0
    assert (
        "/mount/old/x: redirect 301 to /mount/docs/x?q=1 ([[redirects]] #1)\n"
        in capsys.readouterr().out
    )
    # Not below the mount: looked up as it is (as Starlette and the adapter do).
    assert main(["explain", *mount, "/app.js"]) == 0
    assert "/app.js: not below --root-path /mount; looked up as it is\n" in (
        capsys.readouterr().out
    )
    assert main(["explain", *mount, "/mountain/app.js"]) == 1
    assert main(["explain", "--root-path", "mount", "/mount/app.js"]) == 2
    assert "--root-path must start with '/'" in capsys.readouterr().err


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "servestatic explain: the following arguments are required: URL"
    assert main(["check", "--bogus"]) == 2
    assert capsys.readouterr().err.strip() == "servestatic check: unrecognized arguments: --bogus"


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ["serve", "check", "explain", "schema", "compress"]:
        assert f"  {command}" in out
    assert main([]) == 2


def test_schema_prints_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["$id"] == "https://servestatic.dev/schemas/servestatic.schema.json"
    target = tmp_path / "schema.json"
    assert main(["schema", "--output", str(target), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["schema", "--output", str(target)]) == 0
    assert main(["schema", "--output", str(target), "--check"]) == 0
    assert main(["schema", "--check"]) == 2


def test_output_into_a_closed_pipe_is_not_a_traceback(project: Path) -> None:
    """``servestatic explain ... | head -1``: the reader leaves early; no BrokenPipeError."""
    import subprocess
    import sys

    script = "from servestatic.cli import entry_point; entry_point()"
    child = subprocess.Popen(
        [sys.executable, "-c", script, "explain", "/docs/"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    child.stdout.close()  # the reader is gone before the first line is written
    with child.stderr:
        errors = child.stderr.read().decode()
    assert child.wait(timeout=60) == 1
    assert "Traceback" not in errors
    assert "BrokenPipe" not in errors


def test_rules_keep_their_configured_numbers_beside_imported_ones(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ``_headers`` file puts its rules (and a rule hiding itself) before ``[[rules]]``:
    ``explain`` and ``check`` still call the first configured rule #1, as the warning and
    the configuration do, and name an imported rule by its file and line."""
    write(project / "dist" / "_headers", "/app.js\n  X-From-Headers: 1\n")
    assert main(["explain", "/assets/app.0123456789ab.js"]) == 0
    out, _ = capsys.readouterr()
    assert 'rules applied, in order:\n  #1 "assets": /assets/**\n' in out
    assert main(["explain", "/app.js"]) == 0
    out, _ = capsys.readouterr()
    assert "rules applied, in order:\n  dist/_headers:1: /app.js\n" in out
    assert "x-from-headers: 1" in out.lower()
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    assert 'rule #1 "assets" (/assets/**): 1 URLs' in out
    assert 'rule #2 "html" (/, /**/*.html): 1 URLs' in out
    assert "rule dist/_headers:1 (/app.js): 1 URLs" in out
    assert '#3 "assets"' not in out
    assert err == (
        'warning: servestatic.toml [[rules]] #3 "typo" → match: matches no file, '
        "got '/asets/**'\n"
    )
