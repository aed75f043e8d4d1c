"""``manage.py check`` fails exactly when the middleware would fail to start, with the same
problems; ``servestatic check`` in the project (Django settings as a source) says the same."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.checks import ERROR, run_checks
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.test import override_settings
from django.utils.module_loading import import_string

from servestatic.cli import main
from servestatic.config import ConfigError
from tests.django.conftest import MANIFEST, PLAIN, collectstatic, project
from tests.startup import startup_messages

pytestmark = pytest.mark.django


def not_found(request: HttpRequest) -> HttpResponse:
    return HttpResponseNotFound("next handler")


Setup = Callable[[Path], AbstractContextManager[None]]


@contextmanager
def _with(tmp: Path, backend: str, static_root: str | None, **settings: Any) -> Iterator[None]:
    root = {
        "collected": collectstatic(tmp / "collected", MANIFEST) if static_root else None,
        "missing": tmp / "not-collected-yet",
        None: None,
    }[static_root]
    with project(root, backend, **settings):
        yield


def _case(static_root: str | None, backend: str = MANIFEST, **settings: Any) -> Setup:
    def setup(tmp: Path) -> AbstractContextManager[None]:
        return _with(tmp, backend, static_root, **settings)

    return setup


def _public(tmp: Path) -> str:
    (tmp / "public" / "css").mkdir(parents=True, exist_ok=True)
    (tmp / "public" / "css" / "app.css").write_text("body{}")
    return str(tmp / "public")


CORPUS: dict[str, Setup] = {
    "collected": _case("collected"),
    "collected-strict": _case("collected", SERVESTATIC_STRICT=True),
    "static-root-missing": _case("missing", PLAIN),
    "static-root-missing-strict": _case("missing", PLAIN, SERVESTATIC_STRICT=True),
    "bad-values": _case("collected", SERVESTATIC_MAX_AGE="soon", SERVESTATIC_USE_GZIP="x"),
    "bad-streaming": _case("collected", SERVESTATIC_STREAMING={"budget": 0, "max_wait": "x"}),
    "manifest-without-manifest-storage": _case(None, PLAIN, SERVESTATIC_USE_MANIFEST=True),
    "legacy-subclass": _case(
        "collected", MIDDLEWARE=["tests.django.project.legacy.LegacyMiddleware"]
    ),
    # Issue 18's settings, valid and not (E054, E056).
    "frameworks": _case("collected", SERVESTATIC_PRESETS=["vite"], SERVESTATIC_CLEAN_URLS=True),
    "frameworks-bad": _case(
        "collected", SERVESTATIC_PRESETS="gatsby", SERVESTATIC_TRAILING_SLASH="both"
    ),
    # The issue's example: docs/django.md's block, before the folder exists...
    "roots-missing-strict": _case(
        None,
        PLAIN,
        SERVESTATIC_STRICT=True,
        SERVESTATIC_ROOTS=[{"path": "/nonexistent/public", "prefix": "/public/"}],
        SERVESTATIC_RULES=[{"match": "/public/js/**"}, {"match": "/public/img/**"}],
    ),
}


def _issue_example_after_mkdir(tmp: Path) -> AbstractContextManager[None]:
    """...and after: both rules that match nothing are reported by the first run."""
    return _with(
        tmp,
        PLAIN,
        None,
        SERVESTATIC_STRICT=True,
        SERVESTATIC_ROOTS=[{"path": _public(tmp), "prefix": "/public/"}],
        SERVESTATIC_RULES=[{"match": "/public/js/**"}, {"match": "/public/img/**"}],
    )


CORPUS["roots-present-rules-unused-strict"] = _issue_example_after_mkdir


def middleware_outcome() -> tuple[bool, set[str]]:
    """(failed, problem lines) of building the installed middleware."""
    entry = next(
        item for item in django_settings.MIDDLEWARE if "servestatic" in item or "legacy" in item
    )
    cls = import_string(entry)
    try:
        with startup_messages():
            middleware = cls(not_found)
    except ConfigError as error:
        return True, {str(problem) for problem in error.problems}
    except ImproperlyConfigured as error:
        lines = str(error).splitlines()[1:] or [str(error)]
        return True, {line.strip().split("] ", 1)[-1] for line in lines}
    except TypeError as error:
        return True, {f"{cls.__name__}: cannot start: TypeError: {error}"}
    return False, {str(problem) for problem in middleware.engine.problems}


def check_outcome() -> tuple[bool, set[str]]:
    messages = [m for m in run_checks() if str(m.id).startswith("servestatic.")]
    errors = {m.msg for m in messages if m.level >= ERROR}
    if errors:
        return True, errors
    return False, {m.msg for m in messages}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_manage_py_check_fails_exactly_when_the_middleware_would(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with CORPUS[name](tmp_path):
        failed, problems = middleware_outcome()
        assert check_outcome() == (failed, problems)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_servestatic_check_in_the_project_says_the_same(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "tests.django.project.settings"
    with CORPUS[name](tmp_path):
        failed, problems = middleware_outcome()
        status = main(["check"])
    out, err = capsys.readouterr()
    assert status == (2 if failed else 0), err
    assert "servestatic: sources read, highest first: Django settings" in out
    lines = {
        line.removeprefix("  ").removeprefix("warning: ")
        for line in err.splitlines()
        if not line.startswith(("invalid servestatic configuration", "note: "))
    }
    if failed:
        assert lines == problems
    else:
        assert lines == problems
        assert "the configuration is valid; the server would start" in out


def test_the_issue_example_reports_everything_on_the_first_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with CORPUS["roots-missing-strict"](tmp_path):
        failed, problems = middleware_outcome()
    assert failed
    assert problems == {
        "settings.SERVESTATIC_ROOTS [[roots]] #1 → path: No directory at: /nonexistent/public"
    }
    with _issue_example_after_mkdir(tmp_path):
        failed, problems = middleware_outcome()
    assert failed
    assert problems == {
        "settings.SERVESTATIC_RULES [[rules]] #1 → match: matches no file, got '/public/js/**'",
        "settings.SERVESTATIC_RULES [[rules]] #2 → match: matches no file, got '/public/img/**'",
    }


def test_explain_in_the_project_uses_the_middleware(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Finders' files in DEBUG, and misses that go to Django rather than a 404."""
    monkeypatch.chdir(tmp_path)
    with override_settings(DEBUG=True, STATIC_ROOT=None):
        assert main(["explain", "/static/vendor/lib.js"]) == 0
        out, err = capsys.readouterr()
        assert err.startswith("servestatic: sources read, highest first: Django settings")
        assert "/static/vendor/lib.js: file " in out
        assert "response: 200 OK" in out
        assert main(["explain", "/static/nothing.js"]) == 1
        out = capsys.readouterr().out
        assert out.startswith(
            "/static/nothing.js: no file (no such file in any root); the request goes to the "
            "application"
        )


def test_the_middleware_logs_one_start_up_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from servestatic.middleware import ServeStaticMiddleware

    root = collectstatic(tmp_path / "collected", MANIFEST)
    with project(root, MANIFEST), caplog.at_level(logging.INFO, logger="servestatic"):
        ServeStaticMiddleware(not_found)
    (record,) = [record for record in caplog.records if record.name == "servestatic"]
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith("serving ")
    assert f"from {root} at /static/; 0 rules, 0 redirects" in record.getMessage()
