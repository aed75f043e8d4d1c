"""Cold start (issue 19): what a fresh process imports to build an application.

Serverless functions and the CLI pay every import on every start, so the serving path
imports only what the configuration it finds needs: pydantic-settings only when two sources
give values (a ``SERVESTATIC_*`` variable or a file besides the code), the ``_headers`` /
``_redirects`` parser only when such a file is there, asyncio and asgiref only for ASGI, and
never the build tool, the CLI, the exporters or Django; a build (``servestatic SRC DEST``)
imports pydantic only when a configuration source is there. Each case runs in a new
interpreter and asserts on ``sys.modules``, not on time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

#: Modules the serving path must not import unless the configuration asks for them.
WATCHED = [
    "asgiref",
    "asyncio",
    "django",
    "pydantic_settings",
    "servestatic.build",
    "servestatic.cli",
    "servestatic.config._hostfiles",
    "servestatic.config._imports",
    "servestatic.config._merge",
    "servestatic.config.schema",
    "servestatic.django",
    "servestatic.export",
    "tomllib",
]

_PROBE = """
import json, sys
import {module} as adapter
app = adapter.{cls}(None, sys.argv[1])
print(json.dumps({{
    "loaded": [name for name in json.loads(sys.argv[2]) if name in sys.modules],
    "files": sorted(app.files),
    "max_age": app.settings.max_age,
}}))
"""


def _run_probe(
    tmp_path: Path, code: str, arguments: list[str], env: dict[str, str] | None
) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter whose working directory is ``tmp_path``; return
    the JSON report it prints.

    No SERVESTATIC_* variable of the caller's, and no coverage in the child: coverage reads
    its configuration with tomllib, which would hide what servestatic imports."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith(("SERVESTATIC", "COVERAGE_", "COV_CORE_"))
    }
    environ.update(env or {})
    completed = subprocess.run(
        [sys.executable, "-c", code, *arguments],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environ,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


def _start(
    tmp_path: Path, *, asgi: bool = False, env: dict[str, str] | None = None
) -> tuple[set[str], dict[str, object]]:
    """Build an application over ``tmp_path/static`` in a fresh interpreter whose working
    directory is ``tmp_path``: (the watched modules it imported, what it reported)."""
    root = tmp_path / "static"
    root.mkdir(exist_ok=True)
    (root / "app.js").write_text("1")
    module, cls = (
        ("servestatic.asgi", "ServeStaticASGI") if asgi else ("servestatic.wsgi", "ServeStatic")
    )
    report = _run_probe(
        tmp_path, _PROBE.format(module=module, cls=cls), [str(root), json.dumps(WATCHED)], env
    )
    assert isinstance(report["loaded"], list)
    return set(report["loaded"]), report


def test_wsgi_with_code_only_imports_no_merge_no_asyncio_no_build_or_django(
    tmp_path: Path,
) -> None:
    loaded, report = _start(tmp_path)
    assert loaded == set()
    assert report["files"] == ["/app.js"]
    assert report["max_age"] == 60


def test_asgi_imports_asyncio_and_asgiref_but_not_pydantic_settings(tmp_path: Path) -> None:
    loaded, report = _start(tmp_path, asgi=True)
    assert loaded == {"asyncio", "asgiref"}
    assert report["files"] == ["/app.js"]


def test_an_environment_variable_is_merged_by_pydantic_settings(tmp_path: Path) -> None:
    loaded, report = _start(tmp_path, env={"SERVESTATIC_MAX_AGE": "5"})
    assert {"pydantic_settings", "servestatic.config._merge"} <= loaded
    assert report["max_age"] == 5


def test_an_unknown_variable_alone_gives_nothing_to_merge(tmp_path: Path) -> None:
    # A warning, no value: the code's values are the only ones.
    loaded, report = _start(tmp_path, env={"SERVESTATIC_MAX_AEG": "5", "PYTHONWARNINGS": "ignore"})
    assert "pydantic_settings" not in loaded
    assert report["max_age"] == 60


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("servestatic.toml", "max_age = 7\n"),
        ("pyproject.toml", "[tool.servestatic]\nmax_age = 7\n"),
    ],
)
def test_a_configuration_file_is_read_and_merged(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    loaded, report = _start(tmp_path)
    assert {"tomllib", "pydantic_settings"} <= loaded
    assert report["max_age"] == 7


def test_a_pyproject_without_a_servestatic_table_is_read_but_not_merged(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "site"\n')
    loaded, report = _start(tmp_path)
    assert loaded == {"tomllib"}
    assert report["max_age"] == 60


def test_a_headers_file_imports_its_parser(tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "_headers").write_text("/app.js\n  X-Test: 1\n")
    loaded, report = _start(tmp_path)
    assert loaded == {"servestatic.config._hostfiles", "servestatic.config._imports"}
    assert report["files"] == ["/app.js"]


# ------------------------------------------------------------------ the build command

_BUILD_PROBE = """
import json, sys
from servestatic.cli import run
status = run([sys.argv[1], sys.argv[2], "--all", "-q"])
print(json.dumps({"status": status, "pydantic": sorted(
    name for name in sys.modules if name.split(".")[0] in ("pydantic", "pydantic_core")
), "loaded": [name for name in json.loads(sys.argv[3]) if name in sys.modules]}))
"""


def _build(tmp_path: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``servestatic SRC DEST --all`` in a fresh interpreter whose working directory is
    ``tmp_path``: the pydantic modules and the watched modules it imported."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "app.css").write_text("body { color: red }\n" * 50)
    watched = ["difflib", "servestatic.compress", "servestatic.config._model"]
    report = _run_probe(
        tmp_path, _BUILD_PROBE, [str(src), str(tmp_path / "out"), json.dumps(watched)], env
    )
    assert report["status"] == 0
    return report


def test_a_build_with_no_configuration_imports_no_pydantic(tmp_path: Path) -> None:
    # Issue 19 item 5: pydantic was ~0.15 s of every build; with nothing to read, the
    # defaults need no model. Nor does the build import the Compressor module or difflib.
    report = _build(tmp_path)
    assert report["pydantic"] == []
    assert report["loaded"] == []
    assert {".br", ".gz", ".zst"} <= {path.suffix for path in (tmp_path / "out").iterdir()}


@pytest.mark.parametrize(
    ("env", "files"),
    [
        ({"SERVESTATIC_COMPRESSION__ENCODINGS": '["gzip"]'}, {}),
        ({}, {"servestatic.toml": '[compression]\nencodings = ["gzip"]\n'}),
        ({}, {"pyproject.toml": '[tool.servestatic.compression]\nencodings = ["gzip"]\n'}),
    ],
    ids=["environment", "servestatic.toml", "pyproject.toml"],
)
def test_a_build_with_a_configuration_source_loads_it(
    tmp_path: Path, env: dict[str, str], files: dict[str, str]
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    report = _build(tmp_path, env)
    assert "pydantic" in report["pydantic"]
    written = {path.suffix for path in (tmp_path / "out").iterdir()}
    assert ".gz" in written
    assert not {".br", ".zst"} & written
