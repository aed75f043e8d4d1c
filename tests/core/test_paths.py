"""URL path checks used before any filesystem access, and redirect locations."""

from __future__ import annotations

import pytest

from servestatic.http.paths import (
    decode_wsgi_path,
    has_encoded_separator,
    is_safe_url_path,
    normalize_prefix,
    relative_redirect,
)


@pytest.mark.parametrize(
    "path",
    [
        "/app.js",
        "/a/b/c.txt",
        "/caf\u00e9.txt",
        "/.well-known/security.txt",
        "/dir/",
        "/",
        "/console.txt",  # a device name with more letters is fine
    ],
)
def test_safe(path: str) -> None:
    assert is_safe_url_path(path)


@pytest.mark.parametrize(
    "path",
    [
        "relative",
        "",
        "/../etc/passwd",
        "/a/../b",
        "/a/./b",
        "/a//b",
        "//evil.example",
        "/a\\b",
        "/a\x00b",
        "/a\nb",
        "/C:/windows/win.ini",
        "/c:\\windows",
        "/CON",
        "/sub/nul.js",
        "/aux.txt",
        "/com1",
        "/LPT\u00b9",
        "/conin$",
        "/trailing.",
        "/trailing ",
        "/x" * 5000,
    ],
)
def test_unsafe(path: str) -> None:
    assert not is_safe_url_path(path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/a/b", False),
        ("/a%20b", False),
        ("/a%2Fb", True),
        ("/a%2fb", True),
        ("/a%5Cb", True),
        ("/a%00", True),
        (b"/a%2Fb", True),
        (b"/a/b", False),
        ("/a?x=%2F", False),  # only the path counts
        (None, False),
    ],
)
def test_encoded_separators(raw: str | bytes | None, expected: bool) -> None:
    assert has_encoded_separator(raw) is expected


def test_decode_wsgi_path() -> None:
    raw = "/caf\u00e9".encode().decode("latin-1")
    assert decode_wsgi_path(raw) == "/caf\u00e9"
    assert decode_wsgi_path("/\u0100") == "/\u0100"  # not latin-1: already decoded
    assert decode_wsgi_path("/\xff") == "/\ufffd"  # invalid UTF-8: replacement, a miss


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        (None, "/"),
        ("", "/"),
        ("/", "/"),
        ("static", "/static/"),
        ("/static", "/static/"),
        ("/a/b/", "/a/b/"),
    ],
)
def test_normalize_prefix(prefix: str | None, expected: str) -> None:
    assert normalize_prefix(prefix) == expected


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("./", "./"),
        ("docs/", "docs/"),
        ("caf\u00e9/", "caf%C3%A9/"),
        ("a:b/", "a%3Ab/"),
        ("with space/", "with%20space/"),
    ],
)
def test_relative_redirect(segment: str, expected: str) -> None:
    location = relative_redirect(segment)
    assert location == expected
    assert not location.startswith(("/", "\\"))
