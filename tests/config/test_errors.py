"""ConfigError messages, pinned: source → key.path: message, got VALUE."""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from servestatic.cli import main as cli_main
from servestatic.compress import Compressor
from servestatic.config import ConfigError, Problem, as_strict, load_settings, raise_if_strict


def problems(tmp_path: Path, environ: dict[str, str] | None = None, **code: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _ = load_settings(code, environ=environ or {}, cwd=tmp_path).settings
    error = caught.value
    lines = str(error).splitlines()
    count = len(error.problems)
    plural = "s" if count != 1 else ""
    assert lines[0] == f"invalid servestatic configuration ({count} problem{plural})"
    assert [line.strip() for line in lines[1:]] == [str(problem) for problem in error.problems]
    return [str(problem) for problem in error.problems]


def test_every_problem_at_once_with_its_source(tmp_path: Path) -> None:
    (tmp_path / "servestatic.toml").write_text(
        "max_age = -5\n"
        "[[rules]]\n"
        'name = "html"\n'
        'match = "static/*.js"\n'
        'headres = { "X-A" = "1" }\n'
        'headers = { "X-Bad" = "a\\r\\nb", "Content-Length" = "5" }\n'
        "[[rules]]\n"
        'match = "/x/**"\n'
        'cache_control = "no-cache"\n'
        "immutable = true\n"
    )
    environ = {"SERVESTATIC_MAXAGE": "3", "SERVESTATIC_CORS__ALLOW_ORIGINS": '["*"]'}
    # One source after the other, highest precedence first.
    assert problems(tmp_path, environ, charset=5) == [
        "code → charset: Input should be a valid string, got 5",
        "SERVESTATIC_MAXAGE: unknown setting; did you mean SERVESTATIC_MAX_AGE?, got '3'",
        "SERVESTATIC_CORS__ALLOW_ORIGINS → cors.allow_origins: origins are "
        "'scheme://host[:port]' with no path ('*' is allow_all_origins); bad: '*', got ['*']",
        "servestatic.toml → max_age: Input should be greater than or equal to 0, got -5",
        'servestatic.toml [[rules]] #1 "html" → match[0]: patterns are anchored at the site '
        "root and must start with '/' or '**/'; did you mean '/static/*.js' or "
        "'**/static/*.js'?, got 'static/*.js'",
        'servestatic.toml [[rules]] #1 "html" → headers.X-Bad: a header value cannot '
        "contain control characters (CR, LF, NUL, ...), got 'a\\r\\nb'",
        "servestatic.toml [[rules]] #1 \"html\" → headers.Content-Length: 'Content-Length' is "
        "managed by the server and cannot be set by configuration, got 'Content-Length'",
        'servestatic.toml [[rules]] #1 "html" → headres: unknown key; did you mean '
        "'headers'?, got {'X-A': '1'}",
        "servestatic.toml [[rules]] #2: 'cache_control' sets Cache-Control verbatim; do not "
        "combine it with 'max_age' or 'immutable'",
    ]


def test_toml_syntax_error_keeps_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "servestatic.toml").write_text("max_age = 60\nroot = \n")
    (message,) = problems(tmp_path)
    assert message == "servestatic.toml: TOML syntax error: Invalid value (at line 2, column 8)"


def test_unknown_top_level_key_in_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.servestatic]\nmax_ag = 5\n")
    assert problems(tmp_path) == [
        "pyproject.toml [tool.servestatic] → max_ag: unknown key; did you mean 'max_age'?, got 5"
    ]


def test_unknown_nested_environment_variable(tmp_path: Path) -> None:
    loaded = load_settings(environ={"SERVESTATIC_RANGES__MAX_RANGE": "3"}, cwd=tmp_path)
    assert [str(problem) for problem in loaded.warnings] == [
        "SERVESTATIC_RANGES__MAX_RANGE: unknown setting; did you mean "
        "SERVESTATIC_RANGES__MAX_RANGES?, got '3'"
    ]
    assert loaded.settings.ranges.max_ranges == 16  # a warning: the settings load
    # Under strict, the same problem is an error: the start-up raises it at its end.
    strict = load_settings(
        environ={"SERVESTATIC_RANGES__MAX_RANGE": "3"}, cwd=tmp_path, strict=True
    )
    assert [str(problem) for problem in strict.errors] == [
        "SERVESTATIC_RANGES__MAX_RANGE: unknown setting; did you mean "
        "SERVESTATIC_RANGES__MAX_RANGES?, got '3'"
    ]
    assert strict.deferred == strict.errors


def test_bad_json_in_environment(tmp_path: Path) -> None:
    assert problems(tmp_path, {"SERVESTATIC_RULES": "[{"}) == [
        "SERVESTATIC_RULES → rules: not valid JSON (Expecting property name enclosed in "
        "double quotes at line 1 column 3), got '[{'"
    ]


def test_rules_from_environment_are_numbered(tmp_path: Path) -> None:
    environ = {
        "SERVESTATIC_RULES": '[{"match": "/a"}, {"name": "n", "match": "/b", "deny": "maybe"}]'
    }
    assert problems(tmp_path, environ) == [
        'SERVESTATIC_RULES [[rules]] #2 "n" → deny: expected true or false (the environment '
        "also takes 1/0, yes/no, on/off), got 'maybe'"
    ]


def test_redirect_validation(tmp_path: Path) -> None:
    (tmp_path / "servestatic.toml").write_text(
        '[[redirects]]\nfrom = "/blog/:slug"\nto = "/posts/:id"\n'
        '[[redirects]]\nfrom = "/a/*/b"\nto = "/c"\n'
        '[[redirects]]\nfrom = "/x"\nto = "/\\\\evil.example"\n'
    )
    assert problems(tmp_path) == [
        "servestatic.toml [[redirects]] #1: placeholders :id are not captured by 'from' "
        "(captured: :slug)",
        "servestatic.toml [[redirects]] #2 → from: '*' is only allowed as the last segment, "
        "got '/a/*/b'",
        "servestatic.toml [[redirects]] #3 → to: a target starting with '//' or a backslash "
        "is protocol-relative (open redirect), got '/\\\\evil.example'",
    ]


def test_rule_needs_a_target(tmp_path: Path) -> None:
    assert problems(tmp_path, rules=[{"headers": {"X-A": "1"}}]) == [
        "code [[rules]] #1: a rule needs exactly one of 'match' or 'regex'"
    ]


def test_bad_regex(tmp_path: Path) -> None:
    assert problems(tmp_path, rules=[{"regex": "(unclosed"}], immutable_file_test="[") == [
        "code → immutable_file_test: not a valid regular expression: unterminated character "
        "set at position 0, got '['",
        "code [[rules]] #1 → regex: not a valid regular expression: missing ), unterminated "
        "subpattern at position 0, got '(unclosed'",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nope", "expected a callable or an import string 'package.module:function'"),
        ("tests.config.missing:f", "cannot import module 'tests.config.missing'"),
        ("tests.config.hooks:nothing", "module 'tests.config.hooks' has no attribute 'nothing'"),
        ("tests.config.hooks:NOT_CALLABLE", "'tests.config.hooks:NOT_CALLABLE' is not callable"),
    ],
)
def test_add_headers_function_import_errors(tmp_path: Path, value: str, message: str) -> None:
    (line,) = problems(tmp_path, {"SERVESTATIC_ADD_HEADERS_FUNCTION": value})
    assert line.startswith(f"SERVESTATIC_ADD_HEADERS_FUNCTION → add_headers_function: {message}")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Bad Name": "x"}, "header name 'Bad Name' is not an RFC 9110 token"),
        ({"X-A": " padded"}, "a header value cannot start or end with whitespace"),
        ({"X-A": "caf\u00e9"}, "a header value must be ASCII"),
        ({"ETag": '"x"'}, "'ETag' is managed by the server"),
        ({"X-A": "1", "x-a": "2"}, "'x-a' repeats 'X-A' (header names ignore case)"),
    ],
)
def test_header_checks(tmp_path: Path, headers: dict[str, str], expected: str) -> None:
    (line,) = problems(tmp_path, rules=[{"match": "/a", "headers": headers}])
    assert expected in line


def test_unset_checks(tmp_path: Path) -> None:
    (line,) = problems(tmp_path, rules=[{"match": "/a", "unset": ["Content-Length", "X-*-Y"]}])
    assert "'Content-Length' is managed by the server" in line
    assert "'X-*-Y' is not a header name" in line


def test_index_file_cannot_be_a_path(tmp_path: Path) -> None:
    assert problems(tmp_path, index_file="a/index.html") == [
        "code → index_file: an index file name cannot contain '/' or '\\', got 'a/index.html'"
    ]


def test_max_age_true_is_refused(tmp_path: Path) -> None:
    (line,) = problems(tmp_path, max_age=True)
    assert "expected a number of seconds, or false to disable" in line


def test_nesting_too_deep_in_environment(tmp_path: Path) -> None:
    (line,) = problems(tmp_path, {"SERVESTATIC_CORS__ALLOW_ORIGINS__X": "1"})
    assert "only one level of nesting is addressable" in line


def test_scalar_is_not_a_group(tmp_path: Path) -> None:
    (line,) = problems(tmp_path, {"SERVESTATIC_MAX_AGE__X": "1"})
    assert "'max_age' is not a group; use SERVESTATIC_MAX_AGE" in line


def test_pyproject_table_must_be_a_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool]\nservestatic = "x"\n')
    assert problems(tmp_path) == ["pyproject.toml [tool.servestatic]: expected a table, got 'x'"]


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)
    assert (
        str(ConfigError("plain"))
        == "invalid servestatic configuration (1 problem)\n  configuration: plain"
    )


@pytest.mark.parametrize(
    "code",
    [
        {"root": ""},
        {"root": "   "},
        {"roots": [{"path": ""}]},
    ],
)
def test_an_empty_root_is_refused_not_the_working_directory(
    tmp_path: Path, code: dict[str, Any]
) -> None:
    (found,) = problems(tmp_path, **code)
    assert "an empty path would serve the working directory" in found


def test_an_empty_root_from_the_environment_is_refused(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, {"SERVESTATIC_ROOT": ""})
    assert found == (
        "SERVESTATIC_ROOT → root: the variable is empty; unset it to use the default, or give "
        "a value, got ''"
    )


@pytest.mark.parametrize(
    "pattern",
    ["^/(a+)+$", "(x*)*", "^/(?:[a-z]+/)*[a-z]+(\\.js)+$", "(a|(b+))*", "((ab)*c)+"],
)
def test_nested_unbounded_repeats_are_refused(tmp_path: Path, pattern: str) -> None:
    """Such patterns backtrack exponentially on a crafted file name (start-up would hang)."""
    (found,) = problems(tmp_path, rules=[{"regex": pattern}])
    assert "exponential time" in found
    (found,) = problems(tmp_path, immutable_file_test=pattern)
    assert found.startswith("code → immutable_file_test: a repeated group")


@pytest.mark.parametrize(
    "pattern",
    [
        r"^.+\.[0-9a-f]{12}\..+$",  # ServeStatic's default
        r"^/assets/.*\.(js|css)$",
        r"^/(?:a++)+$",  # possessive: no backtracking
        r"^/(?>a+)+$",  # atomic group
        r"^/(ab){2}c+$",
        r"^/(a?){3}$",
        r"^/[[]x",  # Python warns "possible nested set" (FutureWarning): not an error
    ],
)
def test_linear_regexes_are_accepted(tmp_path: Path, pattern: str) -> None:
    settings = load_settings(environ={}, cwd=tmp_path, rules=[{"regex": pattern}]).settings
    assert settings.rules[0].regex == pattern


def test_an_empty_match_list_is_refused(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, rules=[{"match": []}])
    assert found.startswith("code [[rules]] #1 → match: List should have at least 1 item")


@pytest.mark.parametrize(
    "name", ["Keep-Alive", "Upgrade", "Trailer", "TE", "Proxy-Authenticate", "Status"]
)
def test_hop_by_hop_headers_cannot_be_configured(tmp_path: Path, name: str) -> None:
    """A WSGI server refuses them from the application (PEP 3333): every response would
    fail."""
    (found,) = problems(tmp_path, rules=[{"match": "/**", "headers": {name: "x"}}])
    assert "managed by the server" in found


@pytest.mark.parametrize(
    ("mimetypes", "bad"), [({".js": "text/javaжscript"}, "javaж"), ({".css": "tëxt/css"}, "tëxt")]
)
def test_media_types_are_ascii(tmp_path: Path, mimetypes: dict[str, str], bad: str) -> None:
    (found,) = problems(tmp_path, mimetypes=mimetypes)
    assert "expected a media type" in found
    assert bad in found


def test_non_ascii_redirect_target_is_sent_percent_encoded(tmp_path: Path) -> None:
    settings = load_settings(
        environ={}, cwd=tmp_path, redirects=[{"from": "/r", "to": "/ünï€"}]
    ).settings
    assert settings.redirects[0].to == "/%C3%BCn%C3%AF%E2%82%AC"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ({"prefix": "/a\r\nb/"}, "no control characters"),
        ({"prefix": "/static?x/"}, "'?'"),
        ({"prefix": "/%2e%2e/"}, "'%'"),
        ({"index_file": "in\x00dex.html"}, "control characters"),
        ({"max_age": 2**40}, "less than or equal to 2147483648"),
    ],
)
def test_values_a_header_or_path_could_not_carry(
    tmp_path: Path, code: dict[str, Any], expected: str
) -> None:
    (found,) = problems(tmp_path, **code)
    assert expected in found


@pytest.mark.parametrize(
    ("environ", "code", "expected"),
    [
        ({}, {"autorefresh": None}, "code → autorefresh: expected true or false"),
        ({"SERVESTATIC_RULES": "null"}, {}, "SERVESTATIC_RULES → rules: Input should be a valid"),
        ({}, {"roots": [1]}, "code [[roots]] #1: Input should be a valid dictionary"),
    ],
)
def test_the_bad_value_is_always_shown(
    tmp_path: Path, environ: dict[str, str], code: dict[str, Any], expected: str
) -> None:
    (found,) = problems(tmp_path, environ, **code)
    assert found.startswith(expected)
    assert found.endswith((", got null", ", got 1"))


def test_keys_that_are_not_bare_toml_keys_are_quoted(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, mimetypes={".js": "nonsense"})
    assert found.startswith('code → mimetypes.".js": expected a media type')


def test_max_age_message_says_how_to_disable(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, {"SERVESTATIC_MAX_AGE": "soon"})
    assert found == (
        "SERVESTATIC_MAX_AGE → max_age: expected a number of seconds, or false (None in code) "
        "to disable Cache-Control, got 'soon'"
    )


def test_did_you_mean_only_offers_patterns_that_compile(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, rules=[{"match": "**.js"}])
    assert found.endswith("did you mean '**/*.js'?, got '**.js'")


def test_a_directory_given_as_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (found,) = problems(tmp_path, {"SERVESTATIC_CONFIG": str(tmp_path / "conf")})
    assert "is a directory; give a TOML file" in found


def test_streaming_limits_name_the_source_key_and_value(tmp_path: Path) -> None:
    (tmp_path / "servestatic.toml").write_text('[streaming]\nblock_size = "big"\nmax_wait = 0\n')
    environ = {"SERVESTATIC_STREAMING__BUDGET": "10"}
    assert problems(tmp_path, environ) == [
        "SERVESTATIC_STREAMING__BUDGET → streaming.budget: "
        "Input should be greater than or equal to 4096, got '10'",
        "servestatic.toml → streaming.block_size: Input should be a valid integer "
        "(values in a file are typed: no quotes around numbers or booleans), got 'big'",
        "servestatic.toml → streaming.max_wait: Input should be greater than 0, got 0",
    ]


def test_a_root_with_a_nul_character_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    """Found by the schema-is-the-loader property: ``lstat`` raised ValueError at start-up."""
    (found,) = problems(tmp_path, root="site\x00")
    assert "cannot contain a NUL character" in found
    (found,) = problems(tmp_path, roots=[{"path": "a\x00b"}])
    assert "cannot contain a NUL character" in found


def test_a_zstd_level_out_of_range_reads_the_same_wherever_it_is_given(tmp_path: Path) -> None:
    """One range, one text (issue 15): the settings model, the CLI and ``Compressor``."""
    text = "must be between 1 and 22, got 40"
    assert problems(tmp_path, compression={"zstd_level": 40}) == [
        f"code → compression.zstd_level: {text}"
    ]
    with pytest.raises(ValueError, match=f"^zstd_level {text}$"):
        Compressor(zstd_level=40)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = cli_main(["compress", str(tmp_path), "--zstd-level", "40"])
    assert status == 2
    assert f"--zstd-level {text}" in err.getvalue()


def test_strict_turns_every_warning_into_one_error_and_otherwise_changes_nothing() -> None:
    warning = Problem("SERVESTATIC_MAXAGE", "", "unknown variable", None, severity="warning")
    error = Problem("code", "max_age", "bad", -1)
    assert as_strict([warning, error], strict=False) == [warning, error]
    assert [p.is_error for p in as_strict([warning, error], strict=True)] == [True, True]
    raise_if_strict([warning], strict=False)  # reported by the caller, not raised
    raise_if_strict([], strict=True)
    with pytest.raises(ConfigError) as caught:
        raise_if_strict([warning], strict=True)
    assert caught.value.problems == (replace(warning, severity="error"),)
