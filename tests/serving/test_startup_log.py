"""One INFO line from the ``servestatic`` logger at every start-up, and start-up warnings
through ``logging``; ServeStatic's own warning stays a Python warning at the caller."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from servestatic import ServeStatic, ServeStaticASGI
from servestatic.app import create_asgi, create_wsgi
from servestatic.config import load_settings
from tests.conftest import write


def _records(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.name == "servestatic"
    ]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write(tmp_path / "site" / "app.js", "x" * 100)
    write(tmp_path / "site" / "app.js.gz", "x")
    write(tmp_path / "site" / "docs" / "index.html", "<p>")
    return tmp_path / "site"


@pytest.mark.parametrize("cls", [ServeStatic, ServeStaticASGI])
def test_the_classes_log_one_start_up_line(
    cls: type, tree: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="servestatic"):
        cls(None, tree, prefix="/static/")
    assert _records(caplog) == [
        (
            logging.INFO,
            f"serving 2 files (1 precompressed variant) from {tree} at /static/; 0 rules, "
            "0 redirects",
        )
    ]


@pytest.mark.parametrize("factory", [create_wsgi, create_asgi])
def test_the_factories_log_one_start_up_line(
    factory: object,
    tree: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SERVESTATIC_ROOT", str(tree))
    monkeypatch.setenv("SERVESTATIC_AUTOREFRESH", "true")
    with caplog.at_level(logging.INFO, logger="servestatic"):
        factory()  # type: ignore[operator]
    assert _records(caplog) == [
        (
            logging.INFO,
            f"serving {tree} at / (autorefresh: files are looked up per request); 0 rules, "
            "0 redirects",
        )
    ]


def test_start_up_warnings_are_log_records_not_python_warnings(
    tree: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rules = [{"name": "typo", "match": "/asets/**"}]
    with (
        warnings.catch_warnings(),
        caplog.at_level(logging.INFO, logger="servestatic"),
    ):
        warnings.simplefilter("error")  # no Python warning at all
        ServeStatic(None, settings=load_settings(environ={}, root=tree, rules=rules))
    assert _records(caplog) == [
        (logging.WARNING, "code [[rules]] #1 \"typo\" → match: matches no file, got '/asets/**'"),
        (
            logging.INFO,
            f"serving 2 files (1 precompressed variant) from {tree} at /; 1 rule, 0 redirects; "
            "1 warning",
        ),
    ]


def test_servestatics_own_warning_points_at_the_caller(tmp_path: Path) -> None:
    """``No directory at: ...`` keeps ServeStatic 4.4's text and category (applications
    filter on it), and is attributed to the line that built the application."""
    with pytest.warns(UserWarning, match=r"^No directory at: ") as caught:
        ServeStatic(None, tmp_path / "nope")
    (warning,) = caught
    assert warning.filename == __file__
    assert str(warning.message) == f"No directory at: {tmp_path / 'nope'}"
