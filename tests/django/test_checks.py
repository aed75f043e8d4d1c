"""System checks: every id is triggered here, by a real ``run_checks`` over the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.checks import CheckMessage, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from servestatic.django.settings import CHECK_IDS, CRASH_ID, OTHER_ID, WARNING_IDS
from tests.django.conftest import PLAIN, project

pytestmark = pytest.mark.django

#: (setting, a bad value, the id that reports it): one row per setting.
BAD_SETTINGS: list[tuple[str, Any, str]] = [
    ("SERVESTATIC_ROOT", 123, "servestatic.E010"),
    ("SERVESTATIC_AUTOREFRESH", "sometimes", "servestatic.E011"),
    ("SERVESTATIC_USE_MANIFEST", "sometimes", "servestatic.E012"),
    ("SERVESTATIC_USE_FINDERS", "sometimes", "servestatic.E013"),
    ("SERVESTATIC_MAX_AGE", -1, "servestatic.E014"),
    ("SERVESTATIC_INDEX_FILE", "a/index.html", "servestatic.E015"),
    ("SERVESTATIC_MIMETYPES", ["text/plain"], "servestatic.E016"),
    ("SERVESTATIC_CHARSET", 8, "servestatic.E017"),
    ("SERVESTATIC_ALLOW_ALL_ORIGINS", "sometimes", "servestatic.E018"),
    ("SERVESTATIC_SKIP_COMPRESS_EXTENSIONS", "css", "servestatic.E019"),
    ("SERVESTATIC_USE_ZSTD", "sometimes", "servestatic.E020"),
    ("SERVESTATIC_ZSTD_DICTIONARY", b"dictionary", "servestatic.E021"),
    ("SERVESTATIC_ZSTD_DICTIONARY_IS_RAW", "sometimes", "servestatic.E022"),
    ("SERVESTATIC_ZSTD_LEVEL", 99, "servestatic.E023"),
    ("SERVESTATIC_ADD_HEADERS_FUNCTION", "not an import string", "servestatic.E024"),
    ("SERVESTATIC_IMMUTABLE_FILE_TEST", "(", "servestatic.E025"),
    ("SERVESTATIC_STATIC_PREFIX", "/a/../b/", "servestatic.E026"),
    ("SERVESTATIC_KEEP_ONLY_HASHED_FILES", "sometimes", "servestatic.E027"),
    ("SERVESTATIC_MANIFEST_STRICT", "sometimes", "servestatic.E028"),
    ("SERVESTATIC_ALLOW_UNSAFE_SYMLINKS", "sometimes", "servestatic.E029"),
    ("SERVESTATIC_USE_STATIC_ROOT", "sometimes", "servestatic.E030"),
    ("SERVESTATIC_MINIFY", True, "servestatic.E031"),
    ("SERVESTATIC_USE_GZIP", "sometimes", "servestatic.E032"),
    ("SERVESTATIC_USE_BROTLI", "sometimes", "servestatic.E033"),
    ("SERVESTATIC_RETAIN", "a week", "servestatic.E034"),
    ("SERVESTATIC_RULES", [{"match": "/a/**", "regex": "b"}], "servestatic.E040"),
    ("SERVESTATIC_SECURITY", {"preset": "paranoid"}, "servestatic.E041"),
    ("SERVESTATIC_SPA", {"fallback": "index.html"}, "servestatic.E042"),
    ("SERVESTATIC_REDIRECTS", [{"from": "old", "to": "/new"}], "servestatic.E043"),
    ("SERVESTATIC_CORS", {"allow_origins": ["*"]}, "servestatic.E044"),
    ("SERVESTATIC_ETAG", "sometimes", "servestatic.E045"),
    ("SERVESTATIC_RANGES", {"max_ranges": 0}, "servestatic.E046"),
    ("SERVESTATIC_HIDDEN", {"allow": ["[bad"]}, "servestatic.E047"),
    ("SERVESTATIC_COMPRESSION", {"encodings": ["lzma"]}, "servestatic.E048"),
    ("SERVESTATIC_MEMORY_CACHE", {"max_file_size": -1}, "servestatic.E049"),
    ("SERVESTATIC_ERRORS", {"not_found": "404.html"}, "servestatic.E050"),
    ("SERVESTATIC_ROOTS", [{"prefix": "/more/"}], "servestatic.E051"),
    ("SERVESTATIC_PREFIX", "/a/../", "servestatic.E052"),
    ("SERVESTATIC_STRICT", "sometimes", "servestatic.E053"),
    ("SERVESTATIC_PRESETS", ["gatsby"], "servestatic.E054"),
    ("SERVESTATIC_CLEAN_URLS", "sometimes", "servestatic.E055"),
    ("SERVESTATIC_TRAILING_SLASH", "both", "servestatic.E056"),
    ("SERVESTATIC_HINTS", {"link": "maybe"}, "servestatic.E057"),
    ("SERVESTATIC_STREAMING", {"budget": 0}, "servestatic.E058"),
    ("SERVESTATIC_BUILD_TAGS", ["Bad Header"], "servestatic.E059"),
    ("SERVESTATIC_WATCH", "sometimes", "servestatic.E060"),
]
#: Ids triggered by the other tests of this module.
OTHER_TRIGGERS = {
    "servestatic.E001",
    OTHER_ID,
    CRASH_ID,
    "servestatic.W006",
    "servestatic.W001",
    "servestatic.W002",
    "servestatic.W003",
    "servestatic.W004",
    "servestatic.W005",
}


def servestatic_messages() -> list[CheckMessage]:
    return [message for message in run_checks() if str(message.id).startswith("servestatic.")]


def ids() -> list[str]:
    return [str(message.id) for message in servestatic_messages()]


def test_every_id_is_triggered_by_a_test() -> None:
    known = {*CHECK_IDS.values(), *WARNING_IDS.values(), OTHER_ID, CRASH_ID, "servestatic.E001"}
    triggered = {row[2] for row in BAD_SETTINGS} | OTHER_TRIGGERS
    assert triggered == known
    assert len({row[0] for row in BAD_SETTINGS}) == len(CHECK_IDS)


def test_a_clean_project_has_no_messages() -> None:
    assert servestatic_messages() == []


@pytest.mark.parametrize(("setting", "value", "check_id"), BAD_SETTINGS)
def test_bad_setting_is_an_error_with_its_id(setting: str, value: Any, check_id: str) -> None:
    with override_settings(**{setting: value}):
        messages = servestatic_messages()
    assert [(str(message.id), message.level) for message in messages] == [(check_id, 40)]
    assert messages[0].msg.startswith(f"settings.{setting}")


def test_message_is_the_config_error_line() -> None:
    with override_settings(SERVESTATIC_MAX_AGE="soon"):
        (message,) = servestatic_messages()
    assert message.msg == (
        "settings.SERVESTATIC_MAX_AGE → max_age: expected a number of seconds, or false "
        "(None in code) to disable Cache-Control, got 'soon'"
    )


def test_every_problem_is_reported_at_once() -> None:
    with override_settings(SERVESTATIC_MAX_AGE=-1, SERVESTATIC_USE_GZIP="x", SERVESTATIC_ETAG=1):
        assert sorted(ids()) == ["servestatic.E014", "servestatic.E032", "servestatic.E045"]


def test_environment_problem_uses_the_setting_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVESTATIC_MAX_AGE", "soon")
    (message,) = servestatic_messages()
    assert message.id == "servestatic.E014"
    assert message.msg.startswith("SERVESTATIC_MAX_AGE → max_age:")


def test_unknown_variable_is_w004_and_e002_under_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stray variable warns (a Kubernetes Service must not take the site down), and
    stops the start-up only under strict, a problem tied to no setting: E002."""
    monkeypatch.setenv("SERVESTATIC_MAX_AEG", "5")
    (message,) = servestatic_messages()
    assert (message.id, message.level) == ("servestatic.W004", 30)
    assert "unknown setting; did you mean SERVESTATIC_MAX_AGE?" in message.msg
    with override_settings(SERVESTATIC_STRICT=True):
        (message,) = servestatic_messages()
    assert (message.id, message.level) == (OTHER_ID, 40)


def test_config_file_problem_uses_the_setting_id() -> None:
    (Path.cwd() / "servestatic.toml").write_text('etag = "sometimes"\n')
    (message,) = servestatic_messages()
    assert message.id == "servestatic.E045"
    assert message.msg.startswith("servestatic.toml → etag:")


def test_problem_in_a_named_config_file_uses_the_setting_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (Path.cwd() / "servestatic_prod.toml").write_text("max_age = -5\n")
    monkeypatch.setenv("SERVESTATIC_CONFIG", "servestatic_prod.toml")
    (message,) = servestatic_messages()
    assert message.id == "servestatic.E014"
    assert message.msg.startswith("servestatic_prod.toml → max_age:")


def test_use_manifest_without_a_manifest_storage_is_e012(tmp_path: Path) -> None:
    with project(tmp_path, PLAIN, SERVESTATIC_USE_MANIFEST=True):
        (message,) = servestatic_messages()
    assert message.id == "servestatic.E012"
    assert "keeps no manifest" in message.msg


@pytest.mark.parametrize(
    ("middleware", "expected"),
    [
        (
            [
                "django.middleware.gzip.GZipMiddleware",
                "servestatic.middleware.ServeStaticMiddleware",
            ],
            ["servestatic.E001"],
        ),
        (
            [
                "servestatic.middleware.ServeStaticMiddleware",
                "django.middleware.gzip.GZipMiddleware",
            ],
            [],
        ),
    ],
)
def test_gzip_middleware_must_come_after(middleware: list[str], expected: list[str]) -> None:
    with override_settings(MIDDLEWARE=middleware):
        assert ids() == expected


def test_whitenoise_middleware_left_over_is_w005() -> None:
    middleware = [
        "servestatic.middleware.ServeStaticMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]
    with override_settings(MIDDLEWARE=middleware):
        (message,) = servestatic_messages()
    assert (message.id, message.level) == ("servestatic.W005", 30)


def test_legacy_app_is_w001() -> None:
    installed = [
        "servestatic.runserver_nostatic",
        "django.contrib.staticfiles",
        "tests.django.project.app",
    ]
    with override_settings(INSTALLED_APPS=installed):
        (message,) = servestatic_messages()
    assert (message.id, message.level) == ("servestatic.W001", 30)
    assert "'servestatic.runserver_nostatic' in INSTALLED_APPS is deprecated" in message.msg


def test_whitenoise_setting_is_w002() -> None:
    with override_settings(WHITENOISE_MAX_AGE=5):
        (message,) = servestatic_messages()
    assert (message.id, message.level) == ("servestatic.W002", 30)
    assert message.msg == "WHITENOISE_MAX_AGE is deprecated; rename it to SERVESTATIC_MAX_AGE"


def test_shadowed_whitenoise_setting_is_w003() -> None:
    with override_settings(WHITENOISE_MAX_AGE=5, SERVESTATIC_MAX_AGE=6):
        (message,) = servestatic_messages()
    assert message.id == "servestatic.W003"


def test_unknown_setting_is_w004() -> None:
    with override_settings(SERVESTATIC_USE_FINDER=True):
        (message,) = servestatic_messages()
    assert message.id == "servestatic.W004"
    assert message.hint == "Did you mean SERVESTATIC_USE_FINDERS?"


def test_collectstatic_runs_the_checks(tmp_path: Path) -> None:
    with project(tmp_path, PLAIN, SERVESTATIC_USE_GZIP="maybe"), pytest.raises(SystemCheckError):
        call_command("collectstatic", interactive=False, verbosity=0, skip_checks=False)
    assert not tmp_path.joinpath("css").exists()


# --------------------------------------------------------------------------- start-up


def test_start_up_problems_warn_and_fail_under_strict(tmp_path: Path) -> None:
    """manage.py check runs the middleware's start-up: a missing STATIC_ROOT is W006, and an
    error (the start-up would fail) under SERVESTATIC_STRICT."""
    missing = tmp_path / "collected"
    with project(missing, PLAIN):
        (message,) = servestatic_messages()
    assert (message.id, message.level) == ("servestatic.W006", 30)
    assert message.msg == f"settings.STATIC_ROOT: No directory at: {missing}"
    with project(missing, PLAIN, SERVESTATIC_STRICT=True):
        (message,) = servestatic_messages()
    assert (message.id, message.level) == (OTHER_ID, 40)


def test_every_start_up_problem_at_once_with_its_setting_id(tmp_path: Path) -> None:
    """Both unused rules and the missing SPA fallback, each with the id of its setting."""
    root = tmp_path / "public"
    (root / "css").mkdir(parents=True)
    (root / "css" / "app.css").write_text("body{}")
    with project(
        None,
        PLAIN,
        SERVESTATIC_ROOT=str(root),
        SERVESTATIC_STRICT=True,
        SERVESTATIC_RULES=[{"match": "/js/**", "immutable": True}, {"match": "/img/**"}],
        SERVESTATIC_SPA={"fallback": "/index.html"},
    ):
        messages = servestatic_messages()
    assert [(str(message.id), message.level) for message in messages] == [
        ("servestatic.E042", 40),
        ("servestatic.E040", 40),
        ("servestatic.E040", 40),
    ]
    assert [message.msg for message in messages] == [
        "settings.SERVESTATIC_SPA → spa.fallback: no file for '/index.html' (the SPA fallback)",
        "settings.SERVESTATIC_RULES [[rules]] #1 → match: matches no file, got '/js/**'",
        "settings.SERVESTATIC_RULES [[rules]] #2 → match: matches no file, got '/img/**'",
    ]


def test_a_middleware_that_cannot_start_is_e003() -> None:
    """A subclass overriding a ServeStatic 4 method refuses to start: so does the check."""
    middleware = ["tests.django.project.legacy.LegacyMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        (message,) = servestatic_messages()
    assert (message.id, message.level) == (CRASH_ID, 40)
    assert message.msg.startswith("LegacyMiddleware: cannot start: TypeError: ")
    assert "LegacyMiddleware.find_file overrides a ServeStatic 4.x method" in message.msg


def test_no_start_up_check_without_the_middleware(tmp_path: Path) -> None:
    with project(tmp_path / "missing", PLAIN, MIDDLEWARE=[]):
        assert servestatic_messages() == []
