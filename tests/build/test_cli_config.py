"""The build CLI's ``[compression]``: every configuration source still takes effect, and
with none the defaults are the settings model's (read without importing it)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from servestatic.build.codecs import CompressOptions
from servestatic.cli import run
from servestatic.cli._build import _from_settings
from servestatic.config import CompressionSettings, Settings
from tests.build.helpers import text_blob, variants_of, write


def test_the_defaults_without_a_source_are_the_models() -> None:
    # The build skips the settings model when nothing configures it and uses
    # CompressOptions' defaults: they must stay what the model's defaults convert to.
    assert CompressOptions() == _from_settings(Settings().compression)
    assert CompressOptions() == _from_settings(CompressionSettings())


def test_every_field_of_the_options_is_compared() -> None:
    # A new option with its own default would otherwise escape the test above.
    changed = {
        "codings": ("gzip",),
        "min_saving": 0.5,
        "skip_extensions": ("css",),
        "gzip_level": 1,
        "brotli_quality": 1,
        "zstd_level": 1,
    }
    assert {field.name for field in dataclasses.fields(CompressOptions)} == set(changed)
    assert _from_settings(
        CompressionSettings(
            encodings=["gzip"],
            min_saving=0.5,
            skip_extensions=["css"],
            gzip_level=1,
            brotli_quality=1,
            zstd_level=1,
        )
    ) == CompressOptions(**changed)  # type: ignore[arg-type]


GZIP_ONLY = '[compression]\nencodings = ["gzip"]\n'


def _build(src_root: Path, *extra: str) -> tuple[int, list[str]]:
    """Build ``src_root/src`` into ``src_root/out`` (compress only): the status and the
    variants written next to ``a.css``."""
    src, dest = src_root / "src", src_root / "out"
    write(src / "a.css", text_blob())
    status = run([str(src), str(dest), "--compress", "-q", *extra])
    return status, sorted(variants_of(dest / "a.css"))


def test_no_source_writes_every_encoding(tmp_path: Path) -> None:
    assert _build(tmp_path) == (0, [".br", ".gz", ".zst"])


def test_a_pyproject_without_the_table_changes_nothing(tmp_path: Path) -> None:
    write(Path.cwd() / "pyproject.toml", '[project]\nname = "site"\n[tool.other]\nx = 1\n')
    assert _build(tmp_path) == (0, [".br", ".gz", ".zst"])


def test_an_environment_variable_takes_effect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVESTATIC_COMPRESSION__ENCODINGS", '["gzip"]')
    assert _build(tmp_path) == (0, [".gz"])


def test_servestatic_toml_in_the_working_directory_takes_effect(tmp_path: Path) -> None:
    write(Path.cwd() / "servestatic.toml", GZIP_ONLY)
    assert _build(tmp_path) == (0, [".gz"])


def test_the_pyproject_table_takes_effect(tmp_path: Path) -> None:
    write(Path.cwd() / "pyproject.toml", '[tool.servestatic.compression]\nencodings = ["br"]\n')
    assert _build(tmp_path) == (0, [".br"])


def test_config_flag_takes_effect(tmp_path: Path) -> None:
    config = write(tmp_path / "elsewhere.toml", GZIP_ONLY)
    assert _build(tmp_path, "--config", str(config)) == (0, [".gz"])


def test_servestatic_config_variable_takes_effect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVESTATIC_CONFIG", str(write(tmp_path / "elsewhere.toml", GZIP_ONLY)))
    assert _build(tmp_path) == (0, [".gz"])


def test_a_bad_environment_variable_is_still_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SERVESTATIC_COMPRESSION__GZIP_LEVEL", "12")
    assert _build(tmp_path)[0] == 2
    err = capsys.readouterr().err
    assert "SERVESTATIC_COMPRESSION__GZIP_LEVEL" in err
    assert "Traceback" not in err


def test_a_broken_pyproject_is_still_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(Path.cwd() / "pyproject.toml", "[project\n")
    assert _build(tmp_path)[0] == 2
    err = capsys.readouterr().err
    assert "pyproject.toml" in err
    assert "TOML syntax error" in err


def test_flags_win_over_a_source(tmp_path: Path) -> None:
    write(Path.cwd() / "servestatic.toml", '[compression]\nencodings = ["gzip", "br"]\n')
    assert _build(tmp_path, "--no-brotli") == (0, [".gz"])
