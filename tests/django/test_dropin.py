"""Drop-in details of ServeStatic 4.4's Django integration (issue 20), through public names:
the legacy app's warning, the middleware's warning, DEBUG read per request, a request
without a method, and the documented differences of the settings checks."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.http.response import HttpResponseBase
from django.test import RequestFactory, override_settings

from servestatic.middleware import ServeStaticMiddleware
from tests.django.conftest import PLAIN, content, project

pytestmark = pytest.mark.django

LEGACY_WARNING = (
    "The 'servestatic.runserver_nostatic' app is deprecated. Use 'servestatic' instead."
)
CHECKS_WARNING = (
    "Django checks for ServeStatic are disabled because 'servestatic' is not in "
    "INSTALLED_APPS. Add 'servestatic' to enable configuration checks."
)

# Loads Django with one INSTALLED_APPS entry in a fresh interpreter (the app registry
# populates once per process) and prints the warnings and the W001 check it gets.
_SETUP = """
import json, sys, warnings
import django
from django.conf import settings
settings.configure(INSTALLED_APPS=[sys.argv[1], "django.contrib.staticfiles"],
                   STATIC_URL="/static/")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    django.setup()
from django.core.checks import run_checks
print(json.dumps({
    "warnings": [[w.category.__name__, str(w.message), w.filename] for w in caught],
    "checks": [m.id for m in run_checks()],
}))
"""


def _setup(entry: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(category, message, file) of each warning, and the check ids, of a fresh start-up."""
    done = subprocess.run(
        [sys.executable, "-c", _SETUP, entry],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout)
    return [tuple(caught) for caught in result["warnings"]], list(result["checks"])


def test_legacy_app_config_path_warns_with_servestatics_words() -> None:
    """ServeStatic 4.4 warns for its AppConfig path only: same text, category, and place
    (the app registry, ``stacklevel=2``), so ``-W``/``filterwarnings`` entries keep matching."""
    caught, checks = _setup(
        "servestatic.runserver_nostatic.apps.ServeStaticRunserverNoStaticAliasConfig"
    )
    [(category, message, filename)] = caught
    assert (category, message) == ("DeprecationWarning", LEGACY_WARNING)
    assert Path(filename).as_posix().endswith("django/apps/registry.py")
    assert "servestatic.W001" in checks


def test_legacy_module_path_does_not_warn() -> None:
    """ServeStatic 4.4 loaded a plain AppConfig for the module path, which never warned; the
    system check W001 still reports it here."""
    caught, checks = _setup("servestatic.runserver_nostatic")
    assert caught == []
    assert "servestatic.W001" in checks


def test_servestatic_app_does_not_warn() -> None:
    assert _setup("servestatic") == ([], [])


def not_found(request: HttpRequest) -> HttpResponse:
    return HttpResponseNotFound("next handler")


def test_middleware_warning_has_servestatics_words() -> None:
    installed = ["django.contrib.staticfiles", "tests.django.project.app"]
    with (
        project(None, PLAIN, DEBUG=True),
        override_settings(INSTALLED_APPS=installed),
        pytest.warns(UserWarning, match="Django checks for ServeStatic") as caught,
    ):
        ServeStaticMiddleware(not_found)
    assert [str(warning.message) for warning in caught] == [CHECKS_WARNING]


def test_middleware_does_not_warn_with_the_legacy_app() -> None:
    """The legacy app registers the checks too (ServeStatic 4.4 did not warn either)."""
    installed = ["servestatic.runserver_nostatic", "django.contrib.staticfiles"]
    with (
        project(None, PLAIN, DEBUG=True),
        override_settings(INSTALLED_APPS=installed),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("error")
        ServeStaticMiddleware(not_found)


def _get(middleware: ServeStaticMiddleware, path: str) -> HttpResponseBase:
    response = middleware(RequestFactory().get(path))
    assert isinstance(response, HttpResponseBase)
    return response


def test_debug_is_read_per_request(tmp_path: Path) -> None:
    """ServeStatic reads ``DEBUG`` per request for the "not found" help: a test under
    ``override_settings(DEBUG=True)`` sees it even with a middleware built before (a live
    server's handler), and a middleware built in DEBUG stops explaining once it is off."""
    with project(tmp_path, PLAIN, DEBUG=False):
        built_off = ServeStaticMiddleware(not_found)
    with project(tmp_path, PLAIN, DEBUG=True, SERVESTATIC_AUTOREFRESH=False):
        built_on = ServeStaticMiddleware(not_found)
    with project(tmp_path, PLAIN, DEBUG=True):
        explained = _get(built_off, "/static/css/missing.css")
    assert explained.status_code == 404
    assert b"ServeStatic did not find the static file 'css/missing.css'" in content(explained)
    with project(tmp_path, PLAIN, DEBUG=False):
        plain = _get(built_on, "/static/css/missing.css")
    assert (plain.status_code, content(plain)) == (404, b"next handler")


def test_request_without_a_method_is_served_as_get(tmp_path: Path) -> None:
    """A hand-built ``HttpRequest()`` has ``method = None``; ServeStatic served it as GET."""
    (tmp_path / "app.js").write_text("app();")
    with project(tmp_path, PLAIN):
        middleware = ServeStaticMiddleware(not_found)
        request = HttpRequest()
        request.path = request.path_info = "/static/app.js"
        response = middleware(request)
        assert isinstance(response, HttpResponseBase)
        assert (response.status_code, content(response)) == (200, b"app();")
        request.path = request.path_info = "/static/missing.js"
        missed = middleware(request)
        assert isinstance(missed, HttpResponseBase)
        assert (missed.status_code, content(missed)) == (404, b"next handler")


def test_string_booleans_are_read_as_booleans(tmp_path: Path) -> None:
    """Documented difference: ServeStatic reported E011 for ``"false"`` and then used the
    string as true; the settings model reads it as False."""
    with project(tmp_path, PLAIN, DEBUG=True, SERVESTATIC_AUTOREFRESH="false"):
        assert not [m for m in run_checks() if (m.id or "").startswith("servestatic.")]
        middleware = ServeStaticMiddleware(not_found)
    assert middleware.autorefresh is False
