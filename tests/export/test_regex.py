"""The expressions the exports give nginx (PCRE) and Caddy (RE2) match what servestatic
matches: globs against decoded paths, redirect patterns against the raw path (with the
same captures, still percent-encoded, as servestatic puts in ``Location``)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from servestatic.config import Redirect
from servestatic.export._regex import glob_regex, redirect_regex, redirect_template
from servestatic.http.glob import compile_glob
from servestatic.serve.redirects import compile_redirects

GLOBS = (
    "/**/*.*",
    "/api/**",
    "/*",
    "/a/*/b",
    "/{a,b}/[!x-z]?.js",
    "**/x",
    "/a/**/b",
    "/x\\*y",
    "/[a-c]*.txt",
    "/[^a]x",
    "/**",
    "/a*b*c",
    "/[a\\-]b",
    "/[!\\]]x",
)
PATHS = st.text(alphabet="abcxyz/.js*", max_size=14).map(lambda text: "/" + text)


@pytest.mark.parametrize("pattern", GLOBS)
@given(path=PATHS)
def test_glob_regex_matches_what_servestatic_matches(pattern: str, path: str) -> None:
    expected = compile_glob(pattern).match(path)
    assert (re.fullmatch(glob_regex(pattern), path) is not None) == expected


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/**/*.*", "/app.1234.js", True),
        ("/**/*.*", "/client/route", False),
        ("/api/**", "/api", True),
        ("/api/**", "/apiary", False),
        ("/*", "/", False),
        ("/{a,b}/[!x-z]?.js", "/b/q1.js", True),
    ],
)
def test_glob_regex_examples(pattern: str, path: str, matches: bool) -> None:
    assert (re.fullmatch(glob_regex(pattern), path) is not None) == matches


SOURCES = ("/old/*", "/u/:name", "/a/:x/b/*", "/café/:n", "/lit(eral)/*")
SEGMENT = st.text(alphabet="ab~-_. é%()'!", min_size=1, max_size=6).filter(
    lambda s: s not in {".", ".."}
)


def _servestatic(source: str, path: str) -> str | None:
    redirect = Redirect.model_validate({"from": source, "to": _target(source)})
    compiled = compile_redirects([redirect])[0]
    return compiled.location(path)


def _target(source: str) -> str:
    names = re.findall(r":(\w+)", source) + (["splat"] if source.endswith("/*") else [])
    return "/to/" + "/".join(f":{name}" for name in names)


def _engine(source: str, raw: str) -> str | None:
    found = re.match(redirect_regex(source, query=True, capture_prefix="c_"), raw)
    if found is None:
        return None
    captures = {name[2:]: value or "" for name, value in found.groupdict().items()}
    return redirect_template(_target(source), "{{{name}}}").format(**captures)


@pytest.mark.parametrize("source", SOURCES)
@given(segments=st.lists(SEGMENT, min_size=0, max_size=4), query=st.sampled_from(["", "?q=1"]))
def test_redirect_regex_captures_as_servestatic(
    source: str, segments: list[str], query: str
) -> None:
    literal = source.split("/")[1]
    path = "/" + "/".join([literal, *segments]) if segments else "/" + literal
    raw = quote(path, safe="/") + query
    expected = _servestatic(source, path)
    got = _engine(source, raw)
    # Captures starting with "/" are refused on purpose (redirect-captures); none here.
    assume(expected is None or "//" not in expected)
    assert got == expected


@pytest.mark.parametrize(
    "raw",
    ["/old//evil.example", "/old/\\evil.example", "/u/a\\b", "/u/"],
)
def test_redirect_regex_refuses_captures_that_could_leave_the_site(raw: str) -> None:
    for source in ("/old/*", "/u/:name"):
        found = re.match(redirect_regex(source), raw)
        if found is not None:
            for value in found.groupdict().values():
                assert not (value or "").startswith("/")
                assert "\\" not in (value or "")


def test_literal_characters_match_raw_or_encoded() -> None:
    regex = redirect_regex("/café/:n")
    assert re.match(regex, "/caf%C3%A9/x")
    assert re.match(regex, "/caf%c3%a9/x")
    assert not re.match(regex, "/cafe/x")
    # A character a client may send either way.
    assert re.match(redirect_regex("/a(b)"), "/a%28b%29")
    assert re.match(redirect_regex("/a(b)"), "/a(b)")


def test_absolute_targets_keep_their_host() -> None:
    assert (
        redirect_template("https://h.example:8443/x/:name", "<{name}>")
        == "https://h.example:8443/x/<name>"
    )
