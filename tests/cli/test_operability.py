"""The command line's manners: a version, suggestions for a mistyped command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from servestatic import __version__
from servestatic.cli import main, run


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([flag]) == 0
    assert capsys.readouterr().out == f"servestatic {__version__}\n"


def test_version_of_the_installed_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "servestatic", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, f"servestatic {__version__}\n")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("chek", "check"), ("explian", "explain"), ("serv", "serve"), ("shcema", "schema")],
)
def test_a_mistyped_command_gets_a_suggestion(
    typed: str, meant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([typed]) == 2
    assert capsys.readouterr().err == (
        f"servestatic: {typed!r} is not a command; did you mean {meant!r}? "
        "(`servestatic --help` lists the commands)\n"
    )


def test_a_directory_named_like_a_typo_is_still_the_build_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``servestatic chek out --all``: a folder named ``chek`` is ServeStatic's SRC."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "chek").mkdir()
    (tmp_path / "chek" / "a.txt").write_text("a")
    assert main(["chek", "out", "--hash"]) == 0
    assert "did you mean" not in capsys.readouterr().err
    assert (tmp_path / "out").is_dir()


def test_an_unrelated_word_keeps_servestatics_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["zzzz", "dest", "--all"]) != 0
    assert "did you mean" not in capsys.readouterr().err
