"""``load_settings``: pydantic-settings sources, typed files, coerced environment, stray
variables, and a configuration package with one way in."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

import servestatic
from servestatic.config import (
    ConfigError,
    LoadedSettings,
    MappingSource,
    Problem,
    Settings,
    _merge,
    load_settings,
)
from servestatic.config.schema import json_schema

PACKAGE = Path(servestatic.__file__).resolve().parent


def errors(loaded: LoadedSettings) -> list[str]:
    return [str(problem) for problem in loaded.errors]


# --------------------------------------------------------------------------- the machinery


def _count_merges(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many sources each pydantic-settings merge was given (the loader imports
    ``_merge.merge`` when it needs it, so the patched one is what it calls)."""
    merged: list[int] = []
    real = _merge.merge

    def counting(sources: Any) -> Settings:
        merged.append(len(sources))
        return real(sources)

    monkeypatch.setattr(_merge, "merge", counting)
    return merged


def test_pydantic_settings_merges_only_when_two_sources_give_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    merged = _count_merges(monkeypatch)
    # Code only; an unknown variable and a pyproject.toml without [tool.servestatic] give
    # problems or nothing, but no values: nothing to merge.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "site"\n')
    alone = load_settings({"max_age": 5}, environ={"SERVESTATIC_X": "1"}, cwd=tmp_path)
    assert (alone.settings.max_age, merged) == (5, [])
    assert [problem.source for problem in alone.problems] == ["SERVESTATIC_X"]
    both = load_settings({"max_age": 5}, environ={"SERVESTATIC_CHARSET": "ascii"}, cwd=tmp_path)
    assert (both.settings.max_age, both.settings.charset) == (5, "ascii")
    assert merged == [3]  # code, environment and pyproject.toml, highest first


def test_one_source_gives_the_settings_a_merge_of_the_same_values_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    merged = _count_merges(monkeypatch)
    values: dict[str, Any] = {
        "root": str(tmp_path),
        "max_age": None,
        "mimetypes": {".x": "text/x"},
        "cors": {"allow_origins": ["https://a.example"]},
        "rules": [{"match": "/a/**", "headers": {"X-A": "1"}}],
        "redirects": [{"from": "/old", "to": "/new"}],
    }
    alone = load_settings(values, environ={}, cwd=tmp_path)
    # The same values through pydantic-settings: an adapter source repeats one of them.
    adapter = MappingSource(None, {"max_age": None}, "adapter")
    both = load_settings(values, environ={}, cwd=tmp_path, sources=[adapter])
    assert merged == [3]
    assert alone.settings == both.settings
    assert alone.settings.model_fields_set == both.settings.model_fields_set == set(values)
    assert alone.provenance == both.provenance


def test_the_result_is_the_pure_model_with_provenance_and_problems(tmp_path: Path) -> None:
    (tmp_path / "servestatic.toml").write_text('charset = "latin-1"\n[cors]\nexpose_headers = []\n')
    loaded = load_settings(
        {"max_age": 5},
        environ={"SERVESTATIC_CORS__ALLOW_ORIGINS": '["https://a.example"]', "SERVESTATIC_X": "1"},
        cwd=tmp_path,
    )
    assert type(loaded.settings) is Settings
    assert loaded.provenance == {
        "max_age": "code",
        "charset": "servestatic.toml",
        "cors.allow_origins": "SERVESTATIC_CORS__ALLOW_ORIGINS",
        "cors.expose_headers": "servestatic.toml",
    }
    assert loaded.sources == ("code", "environment", "servestatic.toml")
    (problem,) = loaded.problems
    assert problem == Problem(
        "SERVESTATIC_X", "", "unknown setting", "1", kind="unknown_setting", severity="warning"
    )
    assert loaded.ok
    assert loaded.settings.model_fields_set == {"max_age", "charset", "cors"}


def test_problems_are_records_not_formatted_lines(tmp_path: Path) -> None:
    (tmp_path / "servestatic.toml").write_text(
        '[[rules]]\nname = "html"\nmatch = "/a"\nheaders = { "X-A" = "\\u0007" }\n'
    )
    loaded = load_settings(environ={}, cwd=tmp_path)
    (problem,) = loaded.problems
    assert problem.source == 'servestatic.toml [[rules]] #1 "html"'
    assert problem.key == "headers.X-A"
    assert problem.path == ("rules", 0, "headers", "X-A")
    assert problem.field == "rules"
    assert problem.value == "\x07"
    assert problem.message.startswith("a header value cannot contain control characters")
    assert problem.is_error
    with pytest.raises(ConfigError) as raised:
        _ = loaded.settings
    assert raised.value.problems == (problem,)


def test_a_settings_object_given_in_code(tmp_path: Path) -> None:
    loaded = LoadedSettings.of(Settings(max_age=3))
    assert loaded.source_of("max_age") == "Settings()"
    assert loaded.source_of("charset") == "default"
    over = loaded.with_code({"charset": "latin-1"}, "ServeStatic()")
    assert (over.settings.max_age, over.settings.charset) == (3, "latin-1")
    assert over.source_of("charset") == "ServeStatic()"
    bad = loaded.with_code({"max_age": -1}, "ServeStatic()")
    assert errors(bad) == [
        "ServeStatic() → max_age: Input should be greater than or equal to 0, got -1"
    ]


def test_the_schema_does_not_read_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``servestatic schema`` in a folder with a configuration publishes the model's
    defaults, not that folder's values."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SERVESTATIC_MAX_AGE", "1")
    (tmp_path / "servestatic.toml").write_text('[compression]\nencodings = ["gzip"]\n')
    schema = json_schema()
    assert schema["properties"]["max_age"]["default"] == 60
    encodings = schema["$defs"]["CompressionSettings"]["properties"]["encodings"]
    assert encodings["default"] == ["zstd", "br", "gzip"]


# --------------------------------------------------------------------------- typed files


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'autorefresh = "yes"',
            "servestatic.toml → autorefresh: expected true or false (a TOML boolean, not a "
            "string), got 'yes'",
        ),
        (
            'max_age = "60"',
            "servestatic.toml → max_age: expected a number of seconds (a TOML integer), or "
            "false to disable, got '60'",
        ),
        (
            'index_file = "true"',
            "servestatic.toml → index_file: write index_file = true (a TOML boolean) or a file "
            "name such as 'index.html', got 'true'",
        ),
        (
            'max_age = "off"',
            "servestatic.toml → max_age: expected a number of seconds (a TOML integer), or "
            "false to disable, got 'off'",
        ),
        (
            '[ranges]\nmax_ranges = "4"',
            "servestatic.toml → ranges.max_ranges: Input should be a valid integer (values in "
            "a file are typed: no quotes around numbers or booleans), got '4'",
        ),
        (
            '[[rules]]\nmatch = "/a"\ndeny = "true"',
            "servestatic.toml [[rules]] #1 → deny: expected true or false (a TOML boolean, not "
            "a string), got 'true'",
        ),
    ],
)
def test_a_string_where_a_file_wants_a_boolean_or_number(
    tmp_path: Path, line: str, expected: str
) -> None:
    (tmp_path / "servestatic.toml").write_text(line + "\n")
    assert errors(load_settings(environ={}, cwd=tmp_path)) == [expected]


def test_the_same_strings_from_the_environment_are_coerced(tmp_path: Path) -> None:
    environ = {
        "SERVESTATIC_AUTOREFRESH": "yes",
        "SERVESTATIC_MAX_AGE": "60",
        "SERVESTATIC_INDEX_FILE": "true",
        "SERVESTATIC_RANGES__MAX_RANGES": "4",
    }
    settings = load_settings(environ=environ, cwd=tmp_path).settings
    assert (settings.autorefresh, settings.max_age, settings.index_file) == (True, 60, True)
    assert settings.ranges.max_ranges == 4


def test_typed_values_in_files_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "servestatic.toml").write_text(
        'root = "site"\nautorefresh = true\nmax_age = false\nindex_file = "home.html"\n'
        "[compression]\nmin_saving = 0\n"
    )
    settings = load_settings(environ={}, cwd=tmp_path).settings
    assert settings.root == tmp_path / "site"
    assert (settings.autorefresh, settings.max_age, settings.index_file) == (
        True,
        None,
        "home.html",
    )
    assert settings.compression.min_saving == 0.0


# --------------------------------------------------------------------------- empty variables


@pytest.mark.parametrize(
    "name",
    [
        "SERVESTATIC_MAX_AGE",
        "SERVESTATIC_INDEX_FILE",
        "SERVESTATIC_IMMUTABLE_FILE_TEST",
        "SERVESTATIC_PREFIX",
        "SERVESTATIC_AUTOREFRESH",
        "SERVESTATIC_RULES",
        "SERVESTATIC_SECURITY__HSTS",
    ],
)
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_variable_is_an_error_naming_it(tmp_path: Path, name: str, value: str) -> None:
    """``SERVESTATIC_MAX_AGE=`` (an unset variable in a compose file) must not silently
    switch Cache-Control off, nor make every file immutable (an empty regex)."""
    key = name.removeprefix("SERVESTATIC_").lower().replace("__", ".")
    assert errors(load_settings(environ={name: value}, cwd=tmp_path)) == [
        f"{name} → {key}: the variable is empty; unset it to use the default, or give a "
        f"value, got {value!r}"
    ]


def test_an_empty_charset_is_a_value(tmp_path: Path) -> None:
    """``charset = ""`` means no charset parameter: the one field taking an empty value."""
    assert load_settings(environ={"SERVESTATIC_CHARSET": ""}, cwd=tmp_path).settings.charset == ""


# --------------------------------------------------------------------------- stray variables

#: Exactly what Kubernetes injects into every pod of the namespace for a Service named
#: ``servestatic`` with a port named ``http`` (80/TCP) and one unnamed (8443/TCP).
KUBERNETES = {
    "SERVESTATIC_SERVICE_HOST": "10.96.0.11",
    "SERVESTATIC_SERVICE_PORT": "80",
    "SERVESTATIC_SERVICE_PORT_HTTP": "80",
    "SERVESTATIC_PORT": "tcp://10.96.0.11:80",
    "SERVESTATIC_PORT_80_TCP": "tcp://10.96.0.11:80",
    "SERVESTATIC_PORT_80_TCP_PROTO": "tcp",
    "SERVESTATIC_PORT_80_TCP_PORT": "80",
    "SERVESTATIC_PORT_80_TCP_ADDR": "10.96.0.11",
    "SERVESTATIC_PORT_8443_TCP": "tcp://10.96.0.11:8443",
    "SERVESTATIC_PORT_8443_TCP_PROTO": "tcp",
    "SERVESTATIC_PORT_8443_TCP_PORT": "8443",
    "SERVESTATIC_PORT_8443_TCP_ADDR": "10.96.0.11",
}


@pytest.mark.parametrize("strict", [False, True])
def test_kubernetes_service_variables_are_ignored(tmp_path: Path, strict: bool) -> None:
    loaded = load_settings(environ=KUBERNETES, cwd=tmp_path, strict=strict)
    assert loaded.problems == ()
    assert loaded.settings.strict is strict


def test_no_setting_is_named_like_a_kubernetes_variable() -> None:
    """``SERVESTATIC_PORT`` and ``SERVESTATIC_SERVICE_*`` can be ignored only because no
    setting (or group) is called ``port`` or ``service``."""
    names = set(Settings.model_fields) | Settings.django_only_names
    assert not {name for name in names if name.startswith(("port", "service"))}


def test_an_unknown_variable_warns_with_a_suggestion(tmp_path: Path) -> None:
    loaded = load_settings(environ={"SERVESTATIC_MAXAGE": "5"}, cwd=tmp_path)
    assert loaded.settings.max_age == 60  # the start-up goes on
    assert [str(problem) for problem in loaded.warnings] == [
        "SERVESTATIC_MAXAGE: unknown setting; did you mean SERVESTATIC_MAX_AGE?, got '5'"
    ]


def test_an_unknown_variable_is_an_error_under_strict(tmp_path: Path) -> None:
    (tmp_path / "servestatic.toml").write_text("strict = true\n")
    loaded = load_settings(environ={"SERVESTATIC_MAXAGE": "5"}, cwd=tmp_path)
    assert errors(loaded) == [
        "SERVESTATIC_MAXAGE: unknown setting; did you mean SERVESTATIC_MAX_AGE?, got '5'"
    ]


def test_an_unknown_variable_at_start_up_is_logged_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from servestatic import ServeStatic

    monkeypatch.setenv("SERVESTATIC_MAXAGE", "5")
    monkeypatch.chdir(tmp_path)
    with caplog.at_level("WARNING", logger="servestatic"):
        ServeStatic(None, tmp_path)
    assert [record.getMessage() for record in caplog.records] == [
        "SERVESTATIC_MAXAGE: unknown setting; did you mean SERVESTATIC_MAX_AGE?, got '5'"
    ]
    monkeypatch.setenv("SERVESTATIC_STRICT", "true")
    with pytest.raises(ConfigError, match="SERVESTATIC_MAXAGE: unknown setting"):
        ServeStatic(None, tmp_path)


# --------------------------------------------------------------------------- one way in


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every ``import``/``from ... import`` in a module (at any depth), with its line."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, node.lineno))
            found.extend((f"{node.module}.{alias.name}", node.lineno) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
    return found


def test_the_configuration_package_has_no_import_cycle() -> None:
    modules = {path.stem: path for path in (PACKAGE / "config").glob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {
            target.split(".")[2]
            for target, _ in _imports(path)
            if target.startswith("servestatic.config.") and target.split(".")[2] in modules
        } - {name}
    order: list[str] = []

    def visit(name: str, stack: tuple[str, ...]) -> None:
        assert name not in stack, f"import cycle: {' -> '.join((*stack, name))}"
        if name in order:
            return
        for target in sorted(graph[name]):
            visit(target, (*stack, name))
        order.append(name)

    for name in sorted(graph):
        visit(name, ())
    assert graph["_errors"] == set()  # the records import nothing of the package


def test_the_package_exports_each_name_from_its_module_on_first_use() -> None:
    import servestatic.config as package
    from servestatic.config import _model, _sources

    assert set(package.__all__) <= set(dir(package))
    for name in package.__all__:
        assert getattr(package, name) is getattr(package, name), name
    # The groups' names before issue 15 are the classes they now are.
    assert package.ErrorPages is _model.ErrorPageSettings
    assert package.MemoryCache is _model.MemoryCacheSettings
    assert package.EnvironmentSource is _sources.EnvironmentSource
    with pytest.raises(AttributeError, match=r"'servestatic\.config' has no attribute 'Nope'"):
        _ = package.Nope


def test_nothing_outside_config_touches_its_private_names() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent.name == "config":
            continue
        text = path.read_text()
        for target, line in _imports(path):
            parts = target.split(".")
            if target.startswith("servestatic.config.") and parts[2].startswith("_"):
                offenders.append(f"{path.relative_to(PACKAGE)}:{line}: {target}")
        offenders.extend(
            f"{path.relative_to(PACKAGE)}: {needle}"
            for needle in ("_provenance", "__pydantic_validator__", "._settings")
            if needle in text
        )
    assert offenders == []


def test_load_settings_keywords_do_not_shadow_settings() -> None:
    """``load_settings(**code)`` takes settings as keywords: its own options must not be
    names a setting could have."""
    own = {"environ", "cwd", "config_file", "code_source", "code_labels", "sources"}
    assert not own & set(Settings.model_fields)


def test_a_source_added_by_an_adapter_sits_between_code_and_environment(
    tmp_path: Path,
) -> None:
    adapter = MappingSource(None, {"max_age": 7, "charset": "latin-1"}, "adapter")
    loaded = load_settings(
        {"max_age": 9},
        environ={"SERVESTATIC_CHARSET": "ascii", "SERVESTATIC_ETAG": "off"},
        cwd=tmp_path,
        sources=[adapter],
    )
    settings = loaded.settings
    assert (settings.max_age, settings.charset, settings.etag) == (9, "latin-1", "off")
    assert loaded.sources == ("code", "adapter", "environment")


def test_a_problem_reads_as_a_line_and_round_trips_as_json() -> None:
    problem = Problem("SERVESTATIC_MAX_AGE", "max_age", "bad", "x", path=("max_age",))
    assert str(problem) == "SERVESTATIC_MAX_AGE → max_age: bad, got 'x'"
    fields: dict[str, Any] = {
        "source": problem.source,
        "key": problem.key,
        "path": list(problem.path),
        "value": problem.value,
        "message": problem.message,
        "severity": problem.severity,
    }
    assert json.loads(json.dumps(fields))["path"] == ["max_age"]


# ------------------------------------------------------------ file and variable shapes


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    (tmp_path / "servestatic.toml").write_bytes(b'charset = "\xff"\n')
    (problem,) = load_settings(environ={}, cwd=tmp_path).problems
    assert problem.source == "servestatic.toml"
    assert problem.kind in {"toml_syntax", "config_file"}


def test_an_explicit_pyproject_needs_our_table(tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    loaded = load_settings(environ={}, cwd=tmp_path, config_file="other/pyproject.toml")
    assert errors(loaded) == [
        "other/pyproject.toml [tool.servestatic]: the file has no [tool.servestatic] table"
    ]


def test_a_group_given_whole_and_by_key(tmp_path: Path) -> None:
    environ = {"SERVESTATIC_CORS": '["not a table"]', "SERVESTATIC_CORS__ALLOW_ORIGINS": "[]"}
    assert errors(load_settings(environ=environ, cwd=tmp_path)) == [
        "SERVESTATIC_CORS__ALLOW_ORIGINS → cors: set either SERVESTATIC_CORS or its keys, not "
        "both, got '[]'",
        "SERVESTATIC_CORS → cors: Input should be a valid dictionary or instance of "
        "CorsSettings, got ['not a table']",
    ]


def test_null_in_the_environment(tmp_path: Path) -> None:
    environ = {"SERVESTATIC_MIMETYPES": "null", "SERVESTATIC_PREFIX": "NULL"}
    settings = load_settings(environ=environ, cwd=tmp_path).settings
    assert (settings.mimetypes, settings.prefix) == (None, None)


# --------------------------------------------------------------------------- issue 18's settings


def test_framework_settings_come_through_every_source_with_their_source(tmp_path: Path) -> None:
    (tmp_path / "servestatic.toml").write_text(
        'presets = ["vite", "next"]\nclean_urls = true\n[hints]\nlink = false\n'
    )
    loaded = load_settings(
        {"trailing_slash": "add"},
        environ={
            "SERVESTATIC_HINTS__EARLY_HINTS": "no",
            "SERVESTATIC_SECURITY__CROSS_ORIGIN_ISOLATION": "1",
            "SERVESTATIC_MEMORY_CACHE__CACHE_STATUS": "true",
        },
        cwd=tmp_path,
    )
    settings = loaded.settings
    assert (settings.presets, settings.clean_urls, settings.trailing_slash) == (
        "vite,next",
        True,
        "add",
    )
    assert (settings.hints.link, settings.hints.early_hints, settings.hints.csp) == (
        False,
        False,
        True,
    )
    assert settings.security.cross_origin_isolation
    assert settings.memory_cache.cache_status
    assert {key: loaded.source_of(key) for key in ("presets", "trailing_slash")} == {
        "presets": "servestatic.toml",
        "trailing_slash": "code",
    }
    assert loaded.source_of("hints.early_hints") == "SERVESTATIC_HINTS__EARLY_HINTS"
    assert loaded.source_of("hints.link") == "servestatic.toml"
    assert loaded.source_of("hints.csp") == "default"
    # From the environment, a list is written as names separated by commas.
    from_env = load_settings(environ={"SERVESTATIC_PRESETS": " vite , nuxt,vite"}, cwd=tmp_path)
    assert from_env.settings.presets == "vite,nuxt"
    assert from_env.source_of("presets") == "SERVESTATIC_PRESETS"


@pytest.mark.parametrize(
    ("toml", "environ", "expected"),
    [
        (
            'presets = ["vite", "gatsby"]',
            {},
            "servestatic.toml → presets: expected a list of preset names (vite, webpack, next, "
            "sveltekit, astro, nuxt, angular, parcel); unknown: 'gatsby', got ['vite', 'gatsby']",
        ),
        (
            "",
            {"SERVESTATIC_PRESETS": "vite,,next"},
            "SERVESTATIC_PRESETS → presets: expected 'auto', 'off' or preset names separated by "
            "commas (vite, webpack, next, sveltekit, astro, nuxt, angular, parcel); unknown: '', "
            "got 'vite,,next'",
        ),
        (
            "",
            {"SERVESTATIC_TRAILING_SLASH": "both"},
            "SERVESTATIC_TRAILING_SLASH → trailing_slash: Input should be 'auto', 'add', "
            "'remove' or 'ignore', got 'both'",
        ),
        (
            'clean_urls = "yes"',
            {},
            "servestatic.toml → clean_urls: expected true or false (a TOML boolean, not a "
            "string), got 'yes'",
        ),
        (
            "[hints]\ncsp = 1",
            {},
            "servestatic.toml → hints.csp: expected true or false (a TOML boolean, not a "
            "string), got 1",
        ),
    ],
)
def test_framework_settings_errors_name_source_key_and_value(
    toml: str, environ: dict[str, str], expected: str, tmp_path: Path
) -> None:
    (tmp_path / "servestatic.toml").write_text(toml + "\n")
    assert errors(load_settings(environ=environ, cwd=tmp_path)) == [expected]
