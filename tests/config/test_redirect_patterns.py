"""``[[redirects]] from`` patterns: every one is either compiled or refused as a ConfigError
naming the redirect, its source and why (issue 13, item 8), never a raw ``re.error``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from servestatic.cli import main
from servestatic.config import ConfigError, Redirect, load_settings
from servestatic.serve.redirects import compile_redirects, first_match
from tests.live import clean_environment


def _error(tmp_path: Path, source: str, to: str = "/x") -> str:
    loaded = load_settings({"redirects": [{"from": source, "to": to}]}, environ={}, cwd=tmp_path)
    with pytest.raises(ConfigError) as raised:
        _ = loaded.settings
    return str(raised.value)


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("/r/:a/:a", "placeholder ':a' appears twice"),
        ("/r/:a/x/:a/*", "placeholder ':a' appears twice"),
        ("/r/:splat/*", "':splat' is the name of what the trailing '*' captures"),
        ("/r/:a\u00b2", "bad placeholder ':a\u00b2'"),  # \w, but not a regex group name
        ("/r/:\u00e9t\u00e9", "bad placeholder"),
        ("/r/:1a", "bad placeholder"),
        ("/old?page=1", "no '?' or '#'"),
        ("/old#top", "no '?' or '#'"),
        ("/a\nb", "no control characters"),
    ],
)
def test_bad_patterns_are_configuration_errors(tmp_path: Path, source: str, why: str) -> None:
    message = _error(tmp_path, source)
    line = next(line for line in message.splitlines() if "[[redirects]]" in line)
    assert line.strip().startswith("code [[redirects]] #1 → from: ")
    assert why in line
    assert repr(source) in message  # the value given, as written


def test_a_placeholder_inside_a_literal_segment_captures_nothing(tmp_path: Path) -> None:
    """``/r/x:a`` is a literal segment (it is matched as written), so ``:a`` in ``to`` would
    always be empty: refused like any placeholder that ``from`` does not capture."""
    assert "placeholders :a are not captured" in _error(tmp_path, "/r/x:a", "/y/:a")
    settings = load_settings(
        {"redirects": [{"from": "/r/x:a", "to": "/y"}]}, environ={}, cwd=tmp_path
    ).settings
    compiled = compile_redirects(settings.redirects)
    assert first_match(compiled, "/r/x:a") == (compiled[0], "/y")
    assert first_match(compiled, "/r/anything") is None


def test_the_error_names_the_file_and_the_cli_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "servestatic.toml").write_text(
        'root = "site"\n'
        '[[redirects]]\nfrom = "/ok"\nto = "/x"\n'
        '[[redirects]]\nfrom = "/r/:a/:a"\nto = "/x/:a"\n'
        '[[redirects]]\nfrom = "/s/:splat/*"\nto = "/y/:splat"\n'
    )
    monkeypatch.chdir(tmp_path)
    for command in (["check"], ["explain", "/r/1/2"], ["serve", "--port", "0"]):
        assert main(command) == 2, command
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert "servestatic.toml [[redirects]] #2 → from: placeholder ':a' appears twice" in err
        assert "servestatic.toml [[redirects]] #3 → from: ':splat' is the name" in err


def test_the_console_script_prints_no_traceback(tmp_path: Path) -> None:
    """What the issue saw: exit 1 and a ``re.error`` traceback from the installed command."""
    (tmp_path / "site").mkdir()
    (tmp_path / "servestatic.toml").write_text(
        'root = "site"\n[[redirects]]\nfrom = "/r/:a/:a"\nto = "/x"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "servestatic", "check"],
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "[[redirects]] #1 → from: placeholder ':a' appears twice" in done.stderr


def test_an_unvalidated_redirect_is_still_a_configuration_error() -> None:
    """``model_construct`` skips validation; compiling then refuses it, naming the redirect."""
    redirect = Redirect.model_construct(from_="/r/:a/:a", to="/x", status=301, keep_query=True)
    with pytest.raises(ConfigError, match=r"\[\[redirects\]\] #1 from '/r/:a/:a'"):
        compile_redirects([redirect])


# ---------------------------------------------------------------------------- fuzzing

_PIECES = st.sampled_from(
    ["a", "b", "splat", "_x1", "1", ":", "*", "**", ":a", ":b", ":splat", ":_", ":a\u00b2",
     ":\u00e9", "\u00e9", "(", ")", "[", "?", "#", "%", "%2F", "\\", ".", "..", "\x00", "\n",
     " ", "+", "{1}", "(?P<a>", "\ud800"]
)  # fmt: skip
_SEGMENTS = st.one_of(_PIECES, st.lists(_PIECES, min_size=1, max_size=3).map("".join))
_SOURCES = st.one_of(
    st.lists(_SEGMENTS, max_size=6).map(lambda parts: "/" + "/".join(parts)),
    st.text(max_size=30),
)
_TARGETS = st.sampled_from(["/x", "/x/:a", "/x/:splat", "/x/:b/:a", "https://example.com/:a"])
_PATHS = st.lists(st.sampled_from(["a", "b", "1", "splat", ":a", "\u00e9", "%", ""]), max_size=5)


@settings(deadline=None, max_examples=500)
@given(_SOURCES, _TARGETS, _PATHS)
@example("/r/:a/:a", "/x/:a", ["r", "1", "2"])
@example("/r/:splat/*", "/x/:splat", ["r", "1", "2"])
@example("/r/:a\u00b2", "/x", ["r", "1"])
def test_any_from_is_compiled_or_refused(source: str, to: str, parts: list[str]) -> None:
    """Whatever ``from`` is, loading it raises ConfigError or nothing, and the compiled
    redirect matches any path without raising; a match's target never leaves the site
    unless ``to`` is absolute."""
    try:
        loaded = load_settings({"redirects": [{"from": source, "to": to}]}, environ={}).settings
    except ConfigError as error:
        refused = str(error)
    else:
        refused = ""
    if refused:
        assert "[[redirects]] #1" in refused
        return
    compiled = compile_redirects(loaded.redirects)
    for path in ("/" + "/".join(parts), source):
        found = first_match(compiled, path)
        if found is not None:
            location = found[1]
            assert location.startswith("https://example.com/") or (
                location.startswith("/") and not location.startswith("//")
            ), (source, path, location)
