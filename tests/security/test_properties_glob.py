"""The glob compiler agrees with wcmatch (``GLOBSTAR | BRACE | DOTGLOB``) on canonical URL
paths, and stays linear on hostile ones.

Known, documented difference: a path ending in ``/`` is matched literally by servestatic
(``/a/`` has an empty last segment), where wcmatch treats the trailing slash as "a
directory". Such paths are filtered out. Paths with ``.``/``..``/empty segments are never
looked up (they are not canonical), so they are filtered out too.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from wcmatch.glob import BRACE, DOTGLOB, GLOBSTAR, globmatch

from servestatic.http.glob import GlobError, compile_glob, expand_braces

SETTINGS = settings(deadline=None, max_examples=600)
FLAGS = GLOBSTAR | BRACE | DOTGLOB

path_segments = st.text(alphabet="ab.-_", min_size=1, max_size=4)
paths = st.lists(path_segments, min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts))

literal = st.sampled_from(["a", "b", ".", "-", "ab", "a.b"])
token = st.one_of(
    literal, literal, st.sampled_from(["*", "?", "[ab]", "[!a]", "[a-b]", "{a,b}", "{a,.b}"])
)
pattern_segment = st.one_of(
    st.lists(token, min_size=1, max_size=4).map("".join), st.just("**"), st.just("*")
)
patterns = st.tuples(
    st.sampled_from(["/", "**/"]), st.lists(pattern_segment, min_size=1, max_size=4)
).map(lambda parts: parts[0] + "/".join(parts[1]))


def canonical(path: str) -> bool:
    parts = path.split("/")[1:]
    return all(part not in {"", ".", ".."} for part in parts)


@SETTINGS
@given(patterns, paths)
@example("/assets/**", "/assets")
@example("/**/*.*", "/a/b.c")
@example("**/a", "/a")
@example("/a/**/b", "/a/b")
@example("/*", "/.b")
@example("/{a,b}/**", "/b/a.b")
def test_agrees_with_wcmatch(pattern: str, path: str) -> None:
    assume(canonical(path))
    try:
        compiled = compile_glob(pattern)
    except GlobError:
        compiled = None
    assume(compiled is not None)
    assert compiled is not None
    assert compiled.match(path) == globmatch(path, pattern, flags=FLAGS), (pattern, path)


@SETTINGS
@given(patterns, paths)
@example("/.well-known/**", "/.well-known/.git/config")
@example("/.well-known/**", "/.well-known/a.b")
@example("**/.a", "/.a")
@example("/**/b", "/.a/b")
@example("/[.]a", "/.a")
@example("/\\.a/*", "/.a/b")
@example("/{a,.b}/**", "/.b/a")
@example("/?b", "/.b")
def test_explicit_dots_agree_with_wcmatch_without_dotglob(pattern: str, path: str) -> None:
    """``match_explicit`` (the ``[hidden] allow`` matcher, issue 13) is the shell rule:
    ``*``, ``?``, classes and ``**`` never match a segment that starts with "."; only a
    pattern segment starting with "." does. wcmatch without DOTGLOB is that rule."""
    assume(canonical(path))
    try:
        compiled = compile_glob(pattern)
    except GlobError:
        compiled = None
    assume(compiled is not None)
    assert compiled is not None
    expected = globmatch(path, pattern, flags=GLOBSTAR | BRACE)
    assert compiled.match_explicit(path) == expected, (pattern, path)


@SETTINGS
@given(patterns, paths)
@example("/.well-known/**", "/.well-known/.git/config")
@example("/.well-known/.git/**", "/.well-known/.git/config")
def test_a_directory_is_walked_whenever_a_file_below_it_can_match(pattern: str, path: str) -> None:
    """``may_match_below`` lets the walk skip ``.git``; it must never skip a directory that
    holds a file the pattern accepts, and skips one no pattern reaches into."""
    try:
        compiled = compile_glob(pattern)
    except GlobError:
        return
    parts = path.split("/")[1:]
    directories = ["/" + "/".join(parts[:depth]) + "/" for depth in range(1, len(parts))]
    if compiled.match_explicit(path):
        assert all(compiled.may_match_below(directory) for directory in directories)
    assert not compiled.may_match_below("relative/")


@pytest.mark.parametrize(
    ("pattern", "directory", "expected"),
    [
        ("/.well-known/**", "/.well-known/", True),
        ("/.well-known/**", "/.well-known/.git/", False),
        ("/.well-known/**", "/.git/", False),
        ("/.well-known/.git/**", "/.well-known/.git/", True),
        ("/.well-known/.*/**", "/.well-known/.git/", True),
        ("**/.well-known/**", "/a/b/.well-known/", True),
        ("**/.well-known/**", "/.hidden/.well-known/", False),
        ("/.well-known/acme", "/.well-known/", True),
        ("/.well-known/acme", "/.well-known/acme/", False),  # names a file: nothing below
    ],
)
def test_which_hidden_directories_are_walked(pattern: str, directory: str, expected: bool) -> None:
    assert compile_glob(pattern).may_match_below(directory) is expected


@SETTINGS
@given(patterns, st.text(max_size=80))
def test_any_path_text_is_handled(pattern: str, path: str) -> None:
    try:
        compiled = compile_glob(pattern)
    except GlobError:
        return
    assert compiled.match(path) in {True, False}
    assert all(path.startswith(prefix) for prefix in compiled.literal_prefixes) or not (
        compiled.match(path)
    )


@SETTINGS
@given(st.text(alphabet="/ab*?[]{},!\\-", max_size=30))
def test_any_pattern_text_compiles_or_explains(pattern: str) -> None:
    """Bad patterns raise :class:`GlobError` (a ValueError with a message), nothing else."""
    try:
        compiled = compile_glob(pattern)
    except GlobError as error:
        message = str(error)
        assert message
        return
    assert compiled.pattern == pattern


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/*a*a*a*a*a*a*a*a*b", "/" + "a" * 10_000, False),
        ("/*a*a*a*a*a*a*a*a*b", "/" + "a" * 10_000 + "b", True),
        ("/**/*a*a*a*a*a*a*a*a*b", "/aaaaaaa" * 2_000, False),
        ("/**/*a*a*a*a*a*a*a*a*b", "/aaaaaaa" * 2_000 + "/aaaaaaaab", True),
        ("/**/**/**/**/**/**/x", "/a" * 2_000, False),
        ("/**/**/**/**/**/**/x", "/a" * 2_000 + "/x", True),
        ("/{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}/*", "/" + "ab" * 5_000, False),
        ("/[!x]*[!x]*[!x]*[!x]*c", "/" + "y" * 10_000, False),
        ("/[!x]*[!x]*[!x]*[!x]*c", "/" + "y" * 10_000 + "c", True),
    ],
)
def test_hostile_inputs_do_not_backtrack(pattern: str, path: str, expected: bool) -> None:
    """ReDoS bait from the security history (a naive ``[^/]*a`` translation of the first
    pattern takes minutes): the answer is computed, and is the correct one."""
    assert compile_glob(pattern).match(path) is expected
    assert globmatch(path, pattern, flags=FLAGS) is expected


def test_brace_expansion_is_capped() -> None:
    with pytest.raises(GlobError, match="limit"):
        expand_braces("/{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}/x")
