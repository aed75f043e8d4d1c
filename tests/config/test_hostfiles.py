"""The ``_headers`` / ``_redirects`` parsers: one test per documented syntax, hostile input,
and a Hypothesis round trip with the Netlify export's writer."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from servestatic.config._hostfiles import (
    MAX_LINE,
    HeaderBlock,
    RedirectLine,
    decode_text,
    parse_headers,
    parse_redirects,
)
from servestatic.export.netlify import HeaderRule, RedirectRule, format_headers, format_redirects

# ----------------------------------------------------------------------------- _headers


def test_headers_blocks_comments_and_indented_values() -> None:
    text = "# a comment\n/secure/page\n  # for that path\n  X-Frame-Options: DENY\n\tX-A: b\n"
    blocks, problems = parse_headers(text)
    assert problems == []
    assert blocks == [HeaderBlock(2, "/secure/page", (("X-Frame-Options", "DENY"), ("X-A", "b")))]


def test_headers_value_keeps_colons_and_repeated_names_join() -> None:
    text = "/*\n  Link: </a.css>; rel=preload\n  link: </b.js>; rel=preload\n  X-T: a: b\n"
    blocks, _ = parse_headers(text)
    assert blocks[0].headers == (
        ("Link", "</a.css>; rel=preload, </b.js>; rel=preload"),
        ("X-T", "a: b"),
    )


def test_headers_splats_placeholders_and_several_paths() -> None:
    text = "/static/*\n  A: 1\n/blog/:year/:slug\n  B: 2\n/*.js\n  C: 3\n"
    blocks, _ = parse_headers(text)
    assert [(block.line, block.path) for block in blocks] == [
        (1, "/static/*"),
        (3, "/blog/:year/:slug"),
        (5, "/*.js"),
    ]


def test_headers_detach_is_cloudflare_bang() -> None:
    blocks, problems = parse_headers("/api/*\n  ! X-Robots-Tag\n  ! Access-Control-Allow-Origin\n")
    assert problems == []
    assert blocks[0].detach == ("X-Robots-Tag", "Access-Control-Allow-Origin")


def test_headers_errors_name_the_line() -> None:
    text = "  X-Early: 1\n/ok\n  no colon here\nnot-a-path\nhttps://example.com/*\n  A: b\n/p q\n"
    _, problems = parse_headers(text)
    errors = sorted((p.line, p.message) for p in problems if not p.warning)
    assert [line for line, _ in errors] == [1, 3, 4, 5, 7]  # line 6 goes with line 5
    assert "before any path" in errors[0][1]
    assert "absolute URL" in errors[3][1]
    assert "one path" in errors[4][1]


def test_headers_path_without_headers_is_a_warning() -> None:
    blocks, problems = parse_headers("/lonely\n/ok\n  A: 1\n")
    assert [block.path for block in blocks] == ["/ok"]
    assert problems[0].warning
    assert problems[0].line == 1


# ----------------------------------------------------------------------------- _redirects


def test_redirects_default_status_force_and_comments() -> None:
    text = "# moved\n/old /new\n/a  /b   302!\n\n/c\t/d 308\n"
    lines, problems = parse_redirects(text)
    assert problems == []
    assert [(r.line, r.source, r.target, r.status, r.force) for r in lines] == [
        (2, "/old", "/new", 301, False),
        (3, "/a", "/b", 302, True),
        (5, "/c", "/d", 308, False),
    ]


def test_redirects_query_and_conditions_are_kept_to_be_refused() -> None:
    lines, _ = parse_redirects(
        "/store id=:id /blog/:id 301\n/ /fr 302 Country=fr Language=fr\n/x /y Role=admin\n"
    )
    assert lines[0].query == ("id=:id",)
    assert lines[1].conditions == ("Country=fr", "Language=fr")
    assert (lines[2].status, lines[2].conditions) == (301, ("Role=admin",))


def test_redirects_errors_name_the_line() -> None:
    _, problems = parse_redirects("/only\n/a b=1\n/a /b banana\n")
    assert [(problem.line, problem.key) for problem in problems] == [
        (1, ""),
        (2, ""),
        (3, "status"),
    ]


# ----------------------------------------------------------------------------- hostile


def test_crlf_files_read_like_lf() -> None:
    blocks, problems = parse_headers("/a\r\n  X-A: 1\r\n")
    assert problems == []
    assert blocks[0].headers == (("X-A", "1"),)
    lines, problems = parse_redirects("/a /b 302\r\n")
    assert problems == []
    assert lines[0].status == 302


def test_a_lone_cr_or_nul_never_reaches_a_header() -> None:
    # "\r" not followed by "\n" would split a header in two on the wire.
    blocks, problems = parse_headers("/a\n  X-A: 1\rSet-Cookie: x=1\n  X-B: \x00\n")
    assert blocks == []  # no header line survived
    assert [problem.line for problem in problems] == [2, 3, 1]
    assert "control character" in problems[0].message


def test_huge_line_is_refused_without_echoing_it() -> None:
    _, problems = parse_redirects("/a " + "/b" * MAX_LINE + " 301\n")
    assert problems[0].line == 1
    assert problems[0].text is None
    assert str(MAX_LINE) in problems[0].message


def test_bom_is_dropped_and_non_utf8_names_its_line() -> None:
    assert decode_text(b"\xef\xbb\xbf/a\n") == ("/a\n", None)
    text, problem = decode_text(b"/a\n  X: 1\n  Y: \xff\n")
    assert text is None
    assert problem is not None
    assert problem.line == 3
    assert "0xff" in problem.message


# ----------------------------------------------------------------------------- round trip

_segment = st.text("abcxyz-_.09", min_size=1, max_size=6).filter(lambda s: s not in {".", ".."})
_path = st.lists(
    st.one_of(_segment, st.just(":name").map(lambda _: ":id")), min_size=1, max_size=4
).map(lambda parts: "/" + "/".join(parts))
_header = st.tuples(
    st.from_regex(r"X-[A-Za-z][A-Za-z0-9-]{0,10}", fullmatch=True),
    st.from_regex(r"[!-~]([ -~]{0,20}[!-~])?", fullmatch=True),
)


@given(
    st.lists(
        st.tuples(
            _path,
            st.lists(_header, min_size=1, max_size=4, unique_by=lambda h: h[0].lower()),
        ),
        max_size=6,
    )
)
def test_headers_written_by_the_export_parse_back(
    blocks: list[tuple[str, list[tuple[str, str]]]],
) -> None:
    written = tuple(HeaderRule(path, tuple(headers)) for path, headers in blocks)
    parsed, problems = parse_headers(format_headers(written, ("# preamble",)))
    assert problems == []
    assert tuple(HeaderRule(block.path, block.headers) for block in parsed) == written


@given(
    st.lists(
        st.builds(
            RedirectRule,
            st.one_of(_path, _path.map(lambda p: p + "/*")),
            st.one_of(_path, st.just("https://example.com/new")),
            st.sampled_from([200, 301, 302, 303, 307, 308, 404]),
            st.booleans(),
            st.sampled_from(["", "a comment"]),
        ),
        max_size=8,
    )
)
def test_redirects_written_by_the_export_parse_back(written: list[RedirectRule]) -> None:
    parsed, problems = parse_redirects(format_redirects(tuple(written)))
    assert problems == []
    assert [RedirectRule(line.source, line.target, line.status, line.force) for line in parsed] == [
        RedirectRule(r.source, r.target, r.status, r.force) for r in written
    ]
    assert all(isinstance(line, RedirectLine) and not line.conditions for line in parsed)
