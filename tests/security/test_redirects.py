"""Open redirects: index and trailing-slash redirects, and configured ``[[redirects]]``.

Every ``Location`` servestatic emits must resolve to the same site, must not start with
``//``, ``/\\`` or ``\\`` (browsers read ``\\`` as ``/``), and must carry no control
character. Directory redirects are relative (``docs/``) so that ``Host`` never matters.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest

from servestatic.config import ConfigError, Settings, load_settings
from tests.client import Server
from tests.security.conftest import MakeServer
from tests.security.hostile import (
    ORIGIN,
    Hostile,
    assert_clean,
    assert_healthy,
    assert_safe_location,
    send,
)

# Tornado CVE-2023-28370, Django CVE-2017-7234, serve-static CVE-2015-1164, Caddy
# CVE-2022-28923 / #7330 / #8023, Grafana CVE-2025-4123.
OPEN_REDIRECT_TARGETS = [
    "//evil.com",
    "//evil.com/",
    "//evil.com/..",
    "//evil.com/docs",
    "///evil.com",
    "/\\evil.com",
    "/\\/evil.com",
    "/%5Cevil.com",
    "/%5C%5Cevil.com",
    "/%2F%2Fevil.com/",
    "/%2F%2Fevil.com",
    "/%5C%5Ccaddyserver.com/%252e%252e",
    "/docs/..%2F%5cgithub.com%2F%3f%2F..%2F..",
    "/docs/..%2F%5cgithub.com%2F%3f%2F..%2F..%2F",
    "/docs//evil.com",
    "/docs/%2F%2Fevil.com",
    "/.//evil.com",
    "/evil.com",
    "/evil.com/",
    "/docs?next=//evil.com",
    "/docs?%0d%0aLocation:%20//evil.com",
    "/docs/%0d%0aLocation:%20//evil.com",
    "/static//evil.com/..",
    "/static/%5C%5Cevil.com",
    "/static",
]


@pytest.mark.parametrize("request_target", OPEN_REDIRECT_TARGETS)
def test_no_off_site_location(
    hostile_server: Server, hostile: Hostile, mount: str, request_target: str
) -> None:
    response = send(hostile_server, request_target)
    assert response.status in {302, 404} or request_target == "/evil.com/", response.status
    if response.status == 200:  # the directory named "evil.com" is served as a directory
        assert response.body == b"<h1>not a host</h1>"
    assert_safe_location(response, request_target)
    assert_clean(response, hostile.markers)
    assert_healthy(hostile_server, mount)


def test_index_redirects_are_relative(hostile_server: Server, mount: str) -> None:
    """``/docs`` → ``docs/``; under a prefix, ``/static`` → ``static/``."""
    prefix = mount.rstrip("/")
    response = send(hostile_server, prefix + "/docs")
    assert response.status == 302
    assert response.header("location") == "docs/"
    if prefix:
        bare = send(hostile_server, prefix)
        assert bare.status == 302
        assert bare.header("location") == "static/"
    index = send(hostile_server, prefix + "/docs/index.html")
    assert index.status == 302
    assert index.header("location") == "./"


# Directory names an attacker might get onto disk (uploads, a synced bucket): each must
# redirect to itself on the same site, never to the host or scheme its name spells.
HOSTILE_DIRECTORY_NAMES = [
    "evil.com",
    "@evil.com",
    "\\evil.com",
    "\\\\evil.com",
    "javascript:alert(1)",
    "http:",
    "https:evil.com",
    "evil.com?x=1",
    "a#b",
    "%2F%2Fevil.com",
    "%5Cevil.com",
    " leading space",
    "tab\there",
    "crlf\r\nLocation: https:evil.com",
    "ümlaut",
    "..evil",
]


@pytest.mark.parametrize("name", HOSTILE_DIRECTORY_NAMES)
def test_directory_names_cannot_steer_the_redirect(
    make_hostile_server: MakeServer, fresh_hostile: Hostile, name: str
) -> None:
    """Following the redirect of ``/<name>`` must lead to ``/<name>/`` on the same site."""
    tree = fresh_hostile
    (tree.root / name).mkdir(exist_ok=True)
    (tree.root / name / "index.html").write_bytes(b"<h1>odd</h1>")
    server = make_hostile_server(tree)
    request_target = "/" + quote(name, safe="")
    response = send(server, request_target)
    assert response.status in {302, 404}, response.status
    assert_safe_location(response, request_target)
    if response.status == 302:
        location = response.header("location")
        assert location is not None
        followed = urlsplit(urljoin(ORIGIN + request_target, location))
        assert unquote(followed.path) == "/" + name + "/"
        assert send(server, followed.path).body == b"<h1>odd</h1>"


# ---------------------------------------------------------------------------- [[redirects]]

CAPTURES = [
    "/evil.com",
    "//evil.com",
    "%2F%2Fevil.com",
    "%5C%5Cevil.com",
    "\\\\evil.com",
    "/\\evil.com",
    "%0d%0aSet-Cookie:%20a=b",
    "..%2f..%2fevil.com",
    "%09/evil.com",
    "http://evil.com",
    "@evil.com",
    ".evil.com",
    "%00evil.com",
]


@pytest.mark.parametrize("capture", CAPTURES)
@pytest.mark.parametrize(
    ("source", "to", "host"),
    [
        ("/go/*", "/:splat", "testserver"),
        ("/go/*", "/new/:splat", "testserver"),
        ("/go/:name", "/:name", "testserver"),
        ("/go/*", "https://docs.example/:splat", "docs.example"),
        ("/go/:name/*", "https://docs.example/:name/:splat", "docs.example"),
    ],
)
def test_configured_redirect_captures_cannot_change_the_host(
    make_hostile_server: MakeServer,
    hostile: Hostile,
    source: str,
    to: str,
    host: str,
    capture: str,
) -> None:
    """Captures are percent-encoded and a leading ``//`` is collapsed, so the request picks
    the path of the target, never its host (Netlify-style ``:splat``)."""
    settings = Settings.model_validate({"redirects": [{"from": source, "to": to}]})
    server = make_hostile_server(hostile, settings=settings)
    request_target = "/go/" + capture + ("/x" if source.endswith(":name/*") else "")
    response = send(server, request_target)
    assert response.status in {301, 404}, response.status
    location = response.header("location")
    if location is not None:
        assert not location.startswith(("//", "/\\", "\\"))
        assert not any(ord(char) < 0x21 or ord(char) == 0x7F for char in location)
        resolved = urlsplit(urljoin(ORIGIN + "/go/", location))
        assert resolved.netloc == host, (location, resolved)
    assert_clean(response, hostile.markers)


@pytest.mark.parametrize(
    "to",
    [
        "//evil.com",
        "//evil.com/:splat",
        "/\\evil.com",
        "\\\\evil.com",
        "\\evil.com",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "evil.com",
        "/ok\r\nX-Injected: 1",
        "/ok\nX-Injected: 1",
        "/ok\x00",
        "https:/\\evil.com",
        "ftp://evil.com/",
    ],
)
def test_redirect_targets_are_validated_at_load(to: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _ = load_settings(environ={}, redirects=[{"from": "/go/*", "to": to}]).settings
    assert "to" in str(raised.value)


@pytest.mark.parametrize(
    "to", ["https://example.com:splat", "http://:splat", "https://example.com:name/x"]
)
def test_placeholder_in_the_host_of_a_target_cannot_pick_the_host(
    make_hostile_server: MakeServer, hostile: Hostile, to: str
) -> None:
    """A placeholder in the authority of an absolute target would let the request choose
    where the redirect goes (``/go/.evil.com`` → ``https://example.com.evil.com``). Either
    the configuration is refused at load, or no request can change the host."""
    source = "/go/:name" if ":name" in to else "/go/*"
    configured = "example.com" if "example.com" in to else None
    try:
        settings = load_settings(environ={}, redirects=[{"from": source, "to": to}]).settings
    except ConfigError as error:
        problem = str(error)
    else:
        problem = ""
    if problem:
        assert "to" in problem
        return
    server = make_hostile_server(hostile, settings=settings)
    for capture in (".evil.com", "evil.com", "@evil.com", "evil.com%2F"):
        response = send(server, "/go/" + capture)
        location = response.header("location")
        assert location is not None
        assert urlsplit(location).hostname == configured, (to, capture, location)


def test_keep_query_passes_the_query_through_encoded(
    make_hostile_server: MakeServer, hostile: Hostile
) -> None:
    """The query is appended as received (still percent-encoded): no CR/LF can appear."""
    settings = Settings.model_validate({"redirects": [{"from": "/go", "to": "/docs/"}]})
    server = make_hostile_server(hostile, settings=settings)
    response = send(server, "/go?next=%0d%0aLocation:%20//evil.com&x=//evil.com")
    assert response.status == 301
    assert response.header("location") == "/docs/?next=%0d%0aLocation:%20//evil.com&x=//evil.com"
    assert_safe_location(response, "/go")


@pytest.mark.parametrize(
    "query",
    ["a=\r\nSet-Cookie:%20x=1", "\x00", "a=\x7f", "a=b\tc"],
    ids=["crlf", "nul", "del", "tab"],
)
def test_query_with_control_characters_never_reaches_location(
    make_hostile_server: MakeServer, hostile: Hostile, query: str
) -> None:
    """HTTP/1.1 parsers refuse control characters in the request target, but the ASGI
    ``query_string`` and WSGI ``QUERY_STRING`` are raw bytes that a lenient server (or an
    HTTP/2 front end) may pass on: redirects must not copy them into ``Location``. Found
    by ``fuzz/fuzz_engine.py``."""
    settings = Settings.model_validate({"redirects": [{"from": "/go", "to": "/docs/"}]})
    server = make_hostile_server(hostile, settings=settings)
    for request_target in ("/go", "/docs"):
        response = send(server, request_target + "?" + query)
        location = response.header("location")
        assert location is not None
        assert not any(ord(char) < 0x20 or ord(char) == 0x7F for char in location), location


def test_hostile_directory_tree_redirects_are_all_safe(
    make_hostile_server: MakeServer, tmp_path: Path
) -> None:
    """Crawl: every directory of a tree full of odd names gets a safe redirect."""
    from tests.security.hostile import make_hostile_tree

    tree = make_hostile_tree(tmp_path)
    for name in HOSTILE_DIRECTORY_NAMES:
        os.makedirs(tree.root / "nest" / name, exist_ok=True)
        (tree.root / "nest" / name / "index.html").write_bytes(b"x")
    server = make_hostile_server(tree)
    for name in HOSTILE_DIRECTORY_NAMES:
        request_target = "/nest/" + quote(name, safe="")
        response = send(server, request_target)
        assert_safe_location(response, request_target)


@pytest.mark.parametrize("target", ["/go/%2F%2Fevil.com", "/go/%5Cevil.com", "/go/a%00b"])
def test_encoded_separators_are_misses_for_configured_redirects_too(
    make_hostile_server: MakeServer, hostile: Hostile, target: str
) -> None:
    """A raw %2F, %5C or %00 makes a request a miss (it does not mean what its segments
    say): no file, and no configured redirect built from its decoded form either."""
    settings = Settings.model_validate({"redirects": [{"from": "/go/*", "to": "/:splat"}]})
    server = make_hostile_server(hostile, settings=settings)
    response = send(server, target)
    assert response.status == 404
    assert response.header("location") is None
    assert send(server, "/go/plain").status == 301  # the redirect itself still works
