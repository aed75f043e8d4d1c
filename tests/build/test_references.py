"""Finding and rewriting references in CSS and JavaScript (pure text)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servestatic.build.references import (
    _CSS,
    _JS,
    find_references,
    insert_hash,
    kind_of,
    resolve,
    rewrite,
    split_suffix,
)


def urls(text: str, kind: str) -> list[str]:
    return [reference.url for reference in find_references(text, kind)]


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("a{background:url(img/a.png)}", ["img/a.png"]),
        ("a{background:url( 'img/a b.png' )}", ["img/a b.png"]),
        ('a{background:URL("../x.svg#icon")}', ["../x.svg#icon"]),
        ('@import "base.css";', ["base.css"]),
        ("@import 'base.css' screen;", ["base.css"]),
        ('@import url("base.css");', ["base.css"]),
        ("/* a{background:url(old.png)} */ b{}", []),
        ('a::after{content:"url(not-a-ref.png)"}', []),
        ("/*# sourceMappingURL=app.css.map */", ["app.css.map"]),
        ("/* unterminated url(x.png)", []),
        (
            "@font-face{src:url(f.woff2?v=1#iefix) format('woff2'),url(f.woff)}",
            ["f.woff2?v=1#iefix", "f.woff"],
        ),
        ('@IMPORT "b.css";', ["b.css"]),  # at-rules ignore case
        ("a{background:url(img/my\\ pic.png)}", ["img/my\\ pic.png"]),  # CSS escape
    ],
)
def test_css_references(css: str, expected: list[str]) -> None:
    assert urls(css, "css") == expected


@pytest.mark.parametrize(
    ("js", "expected"),
    [
        ('import a from "./a.js";', ["./a.js"]),
        ("import{b as c}from'../lib/b.mjs';", ["../lib/b.mjs"]),
        ("import * as ns from './ns.js'", ["./ns.js"]),
        ("import d, {e} from './d.js'", ["./d.js"]),
        ('export * from "./c.js"', ["./c.js"]),
        ('export {x as y} from "./x.js"', ["./x.js"]),
        ('import "./side.js";', ["./side.js"]),
        ('const m = import("./lazy.js");', ["./lazy.js"]),
        ('import React from "react";', []),
        ('foo.import("./no.js"); reimport("./no.js")', []),
        ('export const from = "./not-a-module.js";', []),
        ("//# sourceMappingURL=app.js.map", ["app.js.map"]),
        ("x = 1; //# sourceMappingURL=inline-not-at-line-start.map", []),
        # Comments and text in strings are not imports.
        ('// Usage: import { thing } from "./removed.js";', []),
        ('/* import("./also-removed.js") */', []),
        ("const s = \"import './in-string.js'\";", []),
        # Forms the scanner also knows.
        ('export { "string name" as z } from "./w.js";', ["./w.js"]),
        ('import("./w.json", { with: { type: "json" } })', ["./w.json"]),
        ('new URL("./logo.png", import.meta.url)', ["./logo.png"]),
        # A minified line: a URL in a string or a quote in a regex hides nothing.
        ('const x = "http://example.com"; import("./a.js")', ["./a.js"]),
        ('e.replace(/\'/g,"");import("./b.js")', ["./b.js"]),
    ],
)
def test_js_references(js: str, expected: list[str]) -> None:
    assert urls(js, "js") == expected


@pytest.mark.parametrize(
    ("url", "from_name", "expected"),
    [
        ("img/a.png", "css/app.css", "css/img/a.png"),
        ("../img/a%20b.png?v=2#x", "css/app.css", "img/a b.png"),
        ("./a.js", "app.js", "a.js"),
        ("../../outside.png", "css/app.css", "../outside.png"),
        ("/static/a.png", "css/app.css", None),
        ("https://cdn.example/a.png", "css/app.css", None),
        ("//cdn.example/a.png", "css/app.css", None),
        ("data:image/png;base64,AAAA", "css/app.css", None),
        ("#icon", "css/app.css", None),
        ("", "css/app.css", None),
        ("${base}/a.png", "css/app.css", None),
        ("img/my\\ pic.png", "css/app.css", "css/img/my pic.png"),
        ("img/logo.png/", "css/app.css", None),  # a directory
    ],
)
def test_resolve(url: str, from_name: str, expected: str | None) -> None:
    assert resolve(url, from_name) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("a.png", "a.0123456789ab.png"),
        ("../img/a%20b.png?v=2#x", "../img/a%20b.0123456789ab.png?v=2#x"),
        ("./lib/x.min.js", "./lib/x.min.0123456789ab.js"),
        ("LICENSE", "LICENSE.0123456789ab"),
        ("img/logo%2Epng", "img/logo.0123456789ab.png"),  # the dot written encoded
        ("img/my\\ pic.png", "img/my\\ pic.0123456789ab.png"),
    ],
)
def test_insert_hash(url: str, expected: str) -> None:
    assert insert_hash(url, "0123456789ab") == expected


def test_split_suffix() -> None:
    assert split_suffix("a.png?x#y") == ("a.png", "?x#y")
    assert split_suffix("a.png#y?z") == ("a.png", "#y?z")
    assert split_suffix("a.png") == ("a.png", "")


def test_kind_of() -> None:
    assert [kind_of(n) for n in ("a.css", "B.CSS", "a.js", "a.mjs", "a.html")] == [
        "css",
        "css",
        "js",
        "js",
        None,
    ]


def test_rewrite_replaces_only_the_chosen_references() -> None:
    text = "a{background:url(x.png)} b{background:url(y.png)}"
    references = find_references(text, "css")
    assert rewrite(text, {1: "y.abc.png"}, references) == (
        "a{background:url(x.png)} b{background:url(y.abc.png)}"
    )


@given(st.text(alphabet=st.sampled_from("abc/.()\"' \n*@#;:urlimportfrom"), max_size=80))
def test_rewriting_nothing_is_the_identity(text: str) -> None:
    for kind in ("css", "js"):
        references = find_references(text, kind)
        assert rewrite(text, {}, references) == text
        for reference in references:
            assert text[reference.start : reference.end] == reference.url


@given(
    st.lists(st.text(alphabet="abcxyz-_", min_size=1, max_size=6), min_size=1, max_size=3),
    st.sampled_from(["png", "css", "js", "tar.gz"]),
)
def test_insert_hash_then_resolve_names_the_hashed_file(
    segments: list[str], extension: str
) -> None:
    url = "/".join(segments) + "." + extension
    resolved = resolve(insert_hash(url, "0123456789ab"), "app.css")
    stem, _, last = url.rpartition(".")
    assert resolved == f"{stem}.0123456789ab.{last}"


# The pieces the scanners look for, and what stands around them, so that random texts hit
# comments, strings, line starts and every kind of reference.
_PIECES = st.sampled_from(
    [
        "import", "export", "from", " from ", "new URL(", ", import.meta.url)", "import(",
        "/*", "*/", "//", "//# sourceMappingURL=a.map", "/*# sourceMappingURL=b.map */",
        '"', "'", "./a.js", "../b.css", "url(", "URL(", "@import ", "@IMPORT", ")", ";",
        "{", "}", ",", " ", "\t", "\n", "x", "$", ".", "`", "\\", "e", "i", "n", "u", "@",
    ]
)  # fmt: skip


def _unguarded(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The scanner without its leading lookahead: the alternatives alone."""
    source = pattern.pattern
    start = source.index("(?:")
    end = source.rindex(")")
    return re.compile(source[start + 3 : end], pattern.flags)


def _matches(
    pattern: re.Pattern[str], text: str
) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    return [(match.span(), match.groupdict()) for match in pattern.finditer(text)]


@pytest.mark.parametrize("pattern", [_JS, _CSS], ids=["js", "css"])
@given(pieces=st.lists(_PIECES, max_size=40))
def test_the_leading_lookahead_never_changes_what_is_found(
    pattern: re.Pattern[str], pieces: list[str]
) -> None:
    # The lookahead only skips positions where no alternative can start (issue 19: the
    # scan of real bundles was the build's slowest single-threaded step).
    text = "".join(pieces)
    assert _matches(pattern, text) == _matches(_unguarded(pattern), text)


def test_the_unguarded_scanner_is_the_alternatives() -> None:
    # The helper above must really strip the guard, or the property compares a regex to
    # itself.
    assert _JS.pattern.lstrip().startswith("(?=")
    assert _CSS.pattern.lstrip().startswith("(?=")
    assert not _unguarded(_JS).pattern.lstrip().startswith("(?=")
    assert _unguarded(_JS).search("import x from './a.js'") is not None
    assert _unguarded(_CSS).search("a{b:url(x.png)}") is not None
