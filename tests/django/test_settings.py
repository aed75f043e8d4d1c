"""Django settings → the settings model: names, defaults, precedence, legacy names."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from servestatic.config import LoadedSettings, Settings
from servestatic.django.settings import (
    CHECK_IDS,
    LEGACY_NAMES,
    DjangoOnlySettings,
    collect,
    default_static_prefix,
)
from servestatic.django.settings import load as load_from_django

pytestmark = pytest.mark.django


class WithSources:
    """The settings' attributes, plus ``source_of`` from the loader."""

    def __init__(self, loaded: LoadedSettings) -> None:
        self.loaded = loaded

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loaded.settings, name)

    def source_of(self, key: str) -> str:
        return self.loaded.source_of(key)


def load(django: Any) -> tuple[Any, DjangoOnlySettings, bool]:
    loaded, only, debug = load_from_django(django)
    return WithSources(loaded), only, debug


def django_settings(**values: Any) -> SimpleNamespace:
    """A stand-in for ``django.conf.settings`` (only attributes are read)."""
    base: dict[str, Any] = {"DEBUG": False, "STATIC_URL": "/static/", "STATIC_ROOT": None}
    return SimpleNamespace(**{**base, **values})


#: A valid value for every field of the settings model, given as a Django setting.
MODEL_VALUES: dict[str, Any] = {
    "root": "public",
    "prefix": "/public/",
    "autorefresh": True,
    "max_age": 300,
    "allow_all_origins": False,
    "charset": "latin-1",
    "mimetypes": {".webmanifest": "application/manifest+json"},
    "index_file": True,
    "immutable_file_test": r"\.[0-9a-f]{8}\.",
    "allow_unsafe_symlinks": True,
    "add_headers_function": "os.path:join",
    "roots": [{"path": "more", "prefix": "/more/"}],
    "rules": [{"match": "/static/**/*.html", "cache_control": "no-cache"}],
    "redirects": [{"from": "/old/*", "to": "/new/:splat"}],
    "compression": {"encodings": ["br", "gzip"]},
    "ranges": {"max_ranges": 4},
    "hidden": {"serve_dotfiles": True},
    "cors": {"allow_origins": ["https://app.example"]},
    "security": {"preset": "basic"},
    "spa": {"fallback": "/app/index.html"},
    "errors": {"not_found": "/404.html"},
    "memory_cache": {"max_file_size": 0},
    "streaming": {"budget": 8 * 1024 * 1024},
    "etag": "content",
    "build_tags": ["Surrogate-Key"],
    "strict": True,
    "presets": ["vite"],
    "clean_urls": True,
    "trailing_slash": "remove",
    "hints": {"early_hints": False},
    "watch": True,
}


def test_every_model_field_has_a_test_value_and_a_check_id() -> None:
    fields = {name for name in Settings.model_fields if not name.endswith("_")}
    assert set(MODEL_VALUES) == fields
    assert fields | set(DjangoOnlySettings.model_fields) == set(CHECK_IDS)


def test_django_only_names_match_the_model() -> None:
    assert set(DjangoOnlySettings.model_fields) == Settings.django_only_names


@pytest.mark.parametrize("field", sorted(MODEL_VALUES))
def test_every_model_field_is_a_django_setting(field: str) -> None:
    setting = "SERVESTATIC_" + field.upper()
    collected = collect(django_settings(**{setting: MODEL_VALUES[field]}))
    assert collected.settings is not None, collected.findings
    assert collected.loaded.source_of(field) == f"settings.{setting}"


@pytest.mark.parametrize("debug", [True, False])
def test_defaults_follow_debug_as_in_servestatic(debug: bool) -> None:
    settings, django, _ = load(django_settings(DEBUG=debug))
    assert settings.autorefresh is debug
    assert settings.max_age == (0 if debug else 60)
    assert settings.allow_all_origins is True
    assert settings.charset == "utf-8"
    assert settings.index_file is None
    assert settings.immutable_file_test is None
    assert settings.allow_unsafe_symlinks is False
    assert django == DjangoOnlySettings()
    assert django.keep_only_hashed_files is False
    assert django.manifest_strict is True
    assert (django.use_gzip, django.use_brotli, django.use_zstd) == (True, True, True)


def test_explicit_values_win_over_the_debug_defaults() -> None:
    settings, _, _ = load(
        django_settings(DEBUG=True, SERVESTATIC_AUTOREFRESH=False, SERVESTATIC_MAX_AGE=600)
    )
    assert (settings.autorefresh, settings.max_age) == (False, 600)


def test_none_means_the_default_except_for_max_age() -> None:
    settings, django, _ = load(
        django_settings(
            DEBUG=True,
            SERVESTATIC_AUTOREFRESH=None,
            SERVESTATIC_MAX_AGE=None,
            SERVESTATIC_MANIFEST_STRICT=None,
        )
    )
    assert settings.autorefresh is True
    assert settings.max_age is None  # no Cache-Control on mutable files, as in ServeStatic
    assert django.manifest_strict is True


def test_django_settings_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVESTATIC_MAX_AGE", "30")
    monkeypatch.setenv("SERVESTATIC_CHARSET", "latin-1")
    settings, _, _ = load(django_settings(SERVESTATIC_MAX_AGE=10))
    assert settings.max_age == 10
    assert settings.charset == "latin-1"
    assert settings.source_of("charset") == "SERVESTATIC_CHARSET"


def test_environment_wins_over_the_debug_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVESTATIC_AUTOREFRESH", "false")
    settings, _, _ = load(django_settings(DEBUG=True))
    assert settings.autorefresh is False


def test_a_config_file_fills_what_django_leaves_unset(tmp_path: Path) -> None:
    (Path.cwd() / "servestatic.toml").write_text('charset = "latin-1"\nmax_age = 5\n')
    settings, _, _ = load(django_settings(SERVESTATIC_MAX_AGE=7))
    assert (settings.charset, settings.max_age) == ("latin-1", 7)


def test_django_only_settings_from_the_environment_are_not_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SERVESTATIC_USE_FINDERS", "true")
    collected = collect(django_settings())
    assert collected.errors == []


def test_groups_come_through_as_the_model_reads_them() -> None:
    settings, _, _ = load(
        django_settings(
            SERVESTATIC_RULES=[{"match": "/static/**", "headers": {"X-Team": "web"}}],
            SERVESTATIC_SECURITY={"preset": "strict", "hsts": "max-age=63072000"},
        )
    )
    assert settings.rules[0].headers == {"X-Team": "web"}
    assert settings.security.preset == "strict"
    assert settings.security.hsts == "max-age=63072000"


def test_legacy_names_all_exist() -> None:
    assert LEGACY_NAMES.issubset(CHECK_IDS)


@pytest.mark.parametrize("name", sorted(LEGACY_NAMES))
def test_whitenoise_settings_are_honoured_with_a_deprecation_warning(name: str) -> None:
    values = {"max_age": 123, "root": "legacy", "static_prefix": "/assets/"}
    value = values.get(name, True if name != "charset" else "latin-1")
    if name == "mimetypes":
        value = {".x": "text/x"}
    elif name in {"add_headers_function", "immutable_file_test"}:
        value = "os.path:join" if name == "add_headers_function" else r"\.js$"
    elif name == "index_file":
        value = "home.html"
    elif name == "skip_compress_extensions":
        value = ["css"]
    old, new = f"WHITENOISE_{name.upper()}", f"SERVESTATIC_{name.upper()}"
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated; rename it to {new}"):
        settings, django, _ = load(django_settings(**{old: value}))
    if name in DjangoOnlySettings.model_fields:
        expected = tuple(value) if isinstance(value, list) else value
        assert getattr(django, name) == expected
    else:
        assert settings.source_of(name) == f"settings.{old}"


def test_servestatic_setting_wins_over_the_whitenoise_one() -> None:
    collected = collect(django_settings(WHITENOISE_MAX_AGE=1, SERVESTATIC_MAX_AGE=2))
    assert collected.settings is not None
    assert collected.settings.max_age == 2
    assert [finding.id for finding in collected.findings] == ["servestatic.W003"]


def test_errors_name_the_setting_and_become_improperly_configured() -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        load(django_settings(SERVESTATIC_MAX_AGE="soon", SERVESTATIC_USE_GZIP="maybe"))
    text = str(raised.value)
    assert "invalid servestatic configuration (2 problems)" in text
    assert "[servestatic.E014] settings.SERVESTATIC_MAX_AGE → max_age:" in text
    assert "got 'soon'" in text
    assert "[servestatic.E032] settings.SERVESTATIC_USE_GZIP → use_gzip:" in text


def test_a_bad_legacy_value_is_reported_under_its_own_name() -> None:
    collected = collect(django_settings(WHITENOISE_MAX_AGE=-1))
    errors = collected.errors
    assert [error.id for error in errors] == ["servestatic.E014"]
    assert errors[0].message.startswith("settings.WHITENOISE_MAX_AGE → max_age:")


def test_rule_problems_name_the_rule() -> None:
    collected = collect(django_settings(SERVESTATIC_RULES=[{"name": "html", "match": "[bad"}]))
    (error,) = collected.errors
    assert error.id == "servestatic.E040"
    assert error.message.startswith('settings.SERVESTATIC_RULES [[rules]] #1 "html" → match')


def test_unknown_servestatic_setting_gets_a_suggestion() -> None:
    collected = collect(django_settings(SERVESTATIC_MAXAGE=5))
    (finding,) = collected.findings
    assert finding.id == "servestatic.W004"
    assert finding.hint == "Did you mean SERVESTATIC_MAX_AGE?"
    assert not finding.error


@pytest.mark.parametrize(
    ("static_url", "script_name", "expected"),
    [
        ("/static/", None, "/static/"),
        ("/static", None, "/static/"),
        ("https://cdn.example.com/assets/", None, "/assets/"),
        ("//cdn.example.com/s/", None, "/s/"),
        ("https://static.example.com/", None, "/"),
        ("/app/static/", "/app", "/static/"),
        ("/app/static/", "/app/", "/static/"),
        ("/apple/static/", "/app", "/apple/static/"),
        (None, None, None),
        ("", None, None),
    ],
)
def test_static_prefix_from_static_url(
    static_url: str | None, script_name: str | None, expected: str | None
) -> None:
    settings = django_settings(STATIC_URL=static_url, FORCE_SCRIPT_NAME=script_name)
    assert default_static_prefix(settings) == expected


def test_explicit_static_prefix_is_normalised() -> None:
    _, django, _ = load(django_settings(SERVESTATIC_STATIC_PREFIX="assets"))
    assert django.static_prefix == "/assets/"
