"""Configuration sources: one test per source, one per precedence pair, merging rules."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from servestatic.config import ConfigError, LoadedSettings, Settings, load_settings


class Loaded:
    """The settings' attributes, plus ``source_of`` from the loader."""

    def __init__(self, loaded: LoadedSettings) -> None:
        self.loaded = loaded
        self.settings = loaded.settings

    def __getattr__(self, name: str) -> Any:
        return getattr(self.settings, name)

    def source_of(self, key: str) -> str:
        return self.loaded.source_of(key)


def load(tmp_path: Path, environ: dict[str, str] | None = None, **code: Any) -> Any:
    return Loaded(load_settings(code, environ=environ or {}, cwd=tmp_path))


def test_defaults_are_servestatics(tmp_path: Path) -> None:
    settings = load(tmp_path)
    assert settings.root is None
    assert settings.prefix is None
    assert settings.autorefresh is False
    assert settings.max_age == 60
    assert settings.allow_all_origins is True
    assert settings.charset == "utf-8"
    assert settings.mimetypes is None
    assert settings.index_file is None
    assert settings.immutable_file_test is None
    assert settings.allow_unsafe_symlinks is False
    assert settings.add_headers_function is None
    assert settings.source_of("max_age") == "default"


def test_code_source(tmp_path: Path) -> None:
    settings = load(tmp_path, max_age=120, cors={"allow_origins": ["https://a.example"]})
    assert settings.max_age == 120
    assert settings.cors.allow_origins == ["https://a.example"]
    assert settings.source_of("max_age") == "code"


def test_environment_source(tmp_path: Path) -> None:
    environ = {
        "SERVESTATIC_MAX_AGE": "300",
        "SERVESTATIC_AUTOREFRESH": "true",
        "servestatic_prefix": "/static/",  # names are case-insensitive
        "SERVESTATIC_INDEX_FILE": "true",
        "SERVESTATIC_CORS__ALLOW_ORIGINS": '["https://a.example"]',
        "SERVESTATIC_RANGES__MAX_RANGES": "4",
        "SERVESTATIC_RULES": '[{"match": "/x/**", "headers": {"X-A": "1"}}]',
        "SERVESTATIC_MIMETYPES": '{".foo": "text/x-foo"}',
        "SERVESTATIC_ADD_HEADERS_FUNCTION": "tests.config.hooks:add_header",
        "OTHER_VARIABLE": "ignored",
    }
    settings = load(tmp_path, environ)
    assert settings.max_age == 300
    assert settings.autorefresh is True
    assert settings.prefix == "/static/"
    assert settings.index_file is True
    assert settings.cors.allow_origins == ["https://a.example"]
    assert settings.ranges.max_ranges == 4
    assert settings.rules[0].headers == {"X-A": "1"}
    assert settings.mimetypes == {".foo": "text/x-foo"}
    from tests.config.hooks import add_header

    assert settings.add_headers_function is add_header
    assert settings.source_of("max_age") == "SERVESTATIC_MAX_AGE"
    assert settings.source_of("cors.allow_origins") == "SERVESTATIC_CORS__ALLOW_ORIGINS"


@pytest.mark.parametrize("value", ["false", "null", "none", "off"])
def test_environment_can_disable_max_age(tmp_path: Path, value: str) -> None:
    assert load(tmp_path, {"SERVESTATIC_MAX_AGE": value}).max_age is None


def test_environment_group_json_and_key_merge(tmp_path: Path) -> None:
    environ = {
        "SERVESTATIC_SECURITY": '{"preset": "basic", "hsts": "max-age=1"}',
        "SERVESTATIC_SECURITY__PRESET": "strict",
    }
    settings = load(tmp_path, environ)
    assert settings.security.preset == "strict"
    assert settings.security.hsts == "max-age=1"


def test_django_only_names_are_not_unknown(tmp_path: Path) -> None:
    assert load(tmp_path, {"SERVESTATIC_USE_FINDERS": "true"}).max_age == 60


def test_servestatic_toml_source(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "servestatic.toml").write_text(
        '"$schema" = "https://servestatic.dev/schemas/servestatic.schema.json"\n'
        'root = "dist"\nmax_age = 600\n[cors]\nexpose_headers = ["Content-Range"]\n'
        '[[rules]]\nname = "hashed"\nmatch = "/assets/**"\nimmutable = true\n'
    )
    settings = load(tmp_path)
    assert settings.max_age == 600
    assert settings.root == tmp_path / "dist"  # relative to the file
    assert settings.cors.expose_headers == ["Content-Range"]
    assert settings.rules[0].name == "hashed"
    assert settings.source_of("max_age") == "servestatic.toml"


def test_max_age_false_in_toml(tmp_path: Path) -> None:
    (tmp_path / "servestatic.toml").write_text("max_age = false\n")
    assert load(tmp_path).max_age is None


def test_pyproject_source(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.servestatic]\nmax_age = 7\n'
        '[tool.servestatic.spa]\nfallback = "/index.html"\n'
    )
    settings = load(tmp_path)
    assert settings.max_age == 7
    assert settings.spa.fallback == "/index.html"
    assert settings.source_of("max_age") == "pyproject.toml [tool.servestatic]"


def test_pyproject_without_our_table_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load(tmp_path).max_age == 60


def test_config_file_from_environment(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "site.toml"
    config.parent.mkdir()
    config.write_text('max_age = 9\nroot = "public"\n')
    settings = load(tmp_path, {"SERVESTATIC_CONFIG": str(config)})
    assert settings.max_age == 9
    assert settings.root == config.parent / "public"
    assert settings.source_of("max_age") == "etc/site.toml"


def test_config_file_argument_can_be_a_pyproject(tmp_path: Path) -> None:
    other = tmp_path / "other" / "pyproject.toml"
    other.parent.mkdir()
    other.write_text("[tool.servestatic]\nmax_age = 11\n")
    assert load_settings(environ={}, cwd=tmp_path, config_file=other).settings.max_age == 11


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=re.escape("SERVESTATIC_CONFIG: config file 'nope.toml' does not exist")
    ):
        load(tmp_path, {"SERVESTATIC_CONFIG": "nope.toml"})


# --------------------------------------------------------------------------- precedence

SOURCES = ["code", "env", "config", "toml", "pyproject"]  # highest first


def _apply(
    source: str, value: int, tmp_path: Path, environ: dict[str, str], code: dict[str, Any]
) -> None:
    if source == "code":
        code["max_age"] = value
    elif source == "env":
        environ["SERVESTATIC_MAX_AGE"] = str(value)
    elif source == "config":
        path = tmp_path / "chosen.toml"
        path.write_text(f"max_age = {value}\n")
        environ["SERVESTATIC_CONFIG"] = str(path)
    elif source == "toml":
        (tmp_path / "servestatic.toml").write_text(f"max_age = {value}\n")
    else:
        (tmp_path / "pyproject.toml").write_text(f"[tool.servestatic]\nmax_age = {value}\n")


@pytest.mark.parametrize(("higher", "lower"), list(itertools.combinations(SOURCES, 2)))
def test_precedence_pair(tmp_path: Path, higher: str, lower: str) -> None:
    environ: dict[str, str] = {}
    code: dict[str, Any] = {}
    _apply(lower, 1, tmp_path, environ, code)
    _apply(higher, 2, tmp_path, environ, code)
    assert load(tmp_path, environ, **code).max_age == 2


def test_groups_merge_key_by_key_and_lists_are_replaced(tmp_path: Path) -> None:
    (tmp_path / "servestatic.toml").write_text(
        '[security]\npreset = "basic"\nhsts = "max-age=5"\n'
        '[[rules]]\nmatch = "/a"\n[[rules]]\nmatch = "/b"\n'
    )
    environ = {
        "SERVESTATIC_SECURITY__PRESET": "strict",
        "SERVESTATIC_RULES": '[{"match": "/c"}]',
    }
    settings = load(tmp_path, environ)
    assert settings.security.preset == "strict"  # from the environment
    assert settings.security.hsts == "max-age=5"  # kept from the file
    assert [rule.patterns for rule in settings.rules] == [["/c"]]
    assert settings.source_of("security.hsts") == "servestatic.toml"
    assert settings.source_of("security.preset") == "SERVESTATIC_SECURITY__PRESET"
    assert settings.source_of("rules") == "SERVESTATIC_RULES"


def test_load_settings_without_arguments_reads_the_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SERVESTATIC_MAX_AGE", "42")
    (tmp_path / "servestatic.toml").write_text("charset = 'latin-1'\n")
    settings = load_settings().settings
    assert settings.max_age == 42
    assert settings.charset == "latin-1"


def test_the_model_reads_nothing_else(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``Settings`` is pure: neither construction nor ``model_validate`` reads a source."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SERVESTATIC_MAX_AGE", "42")
    monkeypatch.setenv("SERVESTATIC_NOT_A_SETTING", "1")
    (tmp_path / "servestatic.toml").write_text('[compression]\nencodings = ["gzip"]\n')
    assert Settings().max_age == 60
    assert Settings.model_validate({}).compression.encodings == ["zstd", "br", "gzip"]
    assert Settings(charset="latin-1").max_age == 60
    assert Settings.model_validate({"charset": "x"}) == Settings(charset="x")
