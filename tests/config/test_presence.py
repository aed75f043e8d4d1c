"""``has_sources``: whether ``load_settings`` would read anything, decided without the
model (the build CLI skips pydantic when it says no). Each case is checked against the
loader itself, so the two cannot drift apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from servestatic.config import has_sources, load_settings

#: (case, environment, files in the working directory, what has_sources says).
CASES = [
    ("nothing", {}, {}, False),
    ("an unrelated variable", {"PATH": "/bin"}, {}, False),
    ("a setting's variable", {"SERVESTATIC_MAX_AGE": "5"}, {}, True),
    ("a lower-case variable", {"servestatic_max_age": "5"}, {}, True),
    ("an unknown variable (a warning)", {"SERVESTATIC_MAX_AEG": "5"}, {}, True),
    (
        "the config file variable",
        {"SERVESTATIC_CONFIG": "x.toml"},
        {"x.toml": "max_age = 5\n"},
        True,
    ),
    ("a missing config file (a problem)", {"SERVESTATIC_CONFIG": "nope.toml"}, {}, True),
    ("servestatic.toml", {}, {"servestatic.toml": "max_age = 5\n"}, True),
    ("pyproject with the table", {}, {"pyproject.toml": "[tool.servestatic]\nmax_age = 5\n"}, True),
    ("pyproject, the table not a table", {}, {"pyproject.toml": "tool.servestatic = 1\n"}, True),
    ("pyproject, tool not a table", {}, {"pyproject.toml": "tool = 1\n"}, False),
    ("pyproject without the table", {}, {"pyproject.toml": '[project]\nname = "x"\n'}, False),
    ("pyproject with another tool", {}, {"pyproject.toml": "[tool.ruff]\nx = 1\n"}, False),
    ("a broken pyproject (a problem)", {}, {"pyproject.toml": "[tool\n"}, True),
    ("a pyproject that is not UTF-8", {}, {"pyproject.toml": b"x = '\xff'\n"}, True),
]


def _arrange(tmp_path: Path, files: dict[str, str | bytes]) -> None:
    for name, text in files.items():
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)


@pytest.mark.parametrize(
    ("environ", "files", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_agrees_with_the_loader(
    tmp_path: Path, environ: dict[str, str], files: dict[str, str | bytes], expected: bool
) -> None:
    _arrange(tmp_path, files)
    assert has_sources(environ, tmp_path) is expected
    loaded = load_settings(environ=environ, cwd=tmp_path)
    # The loader lists every source that gave a value or a problem.
    assert bool(loaded.sources) is expected


@pytest.mark.parametrize(
    ("environ", "files"),
    [
        # The loader ignores Kubernetes' variables for a Service named servestatic.
        ({"SERVESTATIC_SERVICE_HOST": "10.0.0.1", "SERVESTATIC_SERVICE_PORT": "80"}, {}),
        ({}, {"servestatic.toml": ""}),
        ({}, {"servestatic.toml": "# nothing yet\n"}),
    ],
    ids=["kubernetes service variables", "an empty servestatic.toml", "only a comment"],
)
def test_errs_towards_loading_where_loading_gives_the_defaults(
    tmp_path: Path, environ: dict[str, str], files: dict[str, str | bytes]
) -> None:
    # Saying yes here costs only the time saved elsewhere: the settings come out the same.
    _arrange(tmp_path, files)
    assert has_sources(environ, tmp_path)
    loaded = load_settings(environ=environ, cwd=tmp_path)
    assert loaded.sources == ()
    assert loaded.problems == ()
    assert loaded.settings == load_settings(environ={}, cwd=tmp_path / "nowhere").settings


def test_a_config_file_argument_is_a_source(tmp_path: Path) -> None:
    assert has_sources({}, tmp_path, config_file=tmp_path / "x.toml")
    assert not has_sources({}, tmp_path, config_file=None)


def test_a_directory_named_like_the_files_is_not_a_source(tmp_path: Path) -> None:
    (tmp_path / "servestatic.toml").mkdir()
    (tmp_path / "pyproject.toml").mkdir()
    assert not has_sources({}, tmp_path)
    assert load_settings(environ={}, cwd=tmp_path).sources == ()
