"""Response splitting through configuration: every setting that reaches a header is checked
at load time, from every source (code, environment, ``servestatic.toml``).

A value with CR, LF, NUL or another control character (HTAB excepted, RFC 9110 §5.5) must
make construction fail with a :class:`ConfigError` naming the key. Servers differ at send
time (h11 raises, some pass the bytes through), which is too late: the error belongs at
start-up, once, with the source of the value.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from servestatic.config import ConfigError, Settings, load_settings
from tests.client import Server, make_server
from tests.security.hostile import (
    Hostile,
    assert_clean,
    assert_healthy,
    build,
    build_with_warnings,
    send,
)
from tests.startup import startup_messages

INJECTIONS = [
    pytest.param("\r\nX-Injected: 1", id="crlf"),
    pytest.param("\nX-Injected: 1", id="lf"),
    pytest.param("\rX-Injected: 1", id="cr"),
    pytest.param("\x00", id="nul"),
    pytest.param("\x0b", id="vt"),
    pytest.param("\x7f", id="del"),
]

# setting → (settings keywords for an injected value, the key the error must name)
HEADER_SETTINGS: dict[str, tuple[Callable[[str], dict[str, Any]], str]] = {
    "rules.headers value": (
        lambda bad: {"rules": [{"match": "/**", "headers": {"X-A": "ok" + bad}}]},
        "headers",
    ),
    "rules.headers name": (
        lambda bad: {"rules": [{"match": "/**", "headers": {"X-A" + bad: "ok"}}]},
        "headers",
    ),
    "rules.append value": (
        lambda bad: {"rules": [{"match": "/**", "append": {"Link": "</a>" + bad}}]},
        "append",
    ),
    "rules.default value": (
        lambda bad: {"rules": [{"match": "/**", "default": {"X-A": "ok" + bad}}]},
        "default",
    ),
    "rules.unset name": (
        lambda bad: {"rules": [{"match": "/**", "unset": ["X-A" + bad]}]},
        "unset",
    ),
    "rules.cache_control": (
        lambda bad: {"rules": [{"match": "/**", "cache_control": "no-cache" + bad}]},
        "cache_control",
    ),
    "rules.content_type": (
        lambda bad: {"rules": [{"match": "/**", "content_type": "text/plain" + bad}]},
        "content_type",
    ),
    "rules.charset": (
        lambda bad: {"rules": [{"match": "/**", "charset": "utf-8" + bad}]},
        "charset",
    ),
    "rules.content_disposition": (
        lambda bad: {"rules": [{"match": "/**", "content_disposition": "attachment" + bad}]},
        "content_disposition",
    ),
    "security.hsts": (lambda bad: {"security": {"hsts": "max-age=1" + bad}}, "hsts"),
    "security.content_security_policy": (
        lambda bad: {"security": {"content_security_policy": "default-src 'self'" + bad}},
        "content_security_policy",
    ),
    "cors.expose_headers": (
        lambda bad: {"cors": {"expose_headers": ["X-A" + bad]}},
        "expose_headers",
    ),
    "cors.allow_origins": (
        lambda bad: {"cors": {"allow_origins": ["https://a.example" + bad]}},
        "allow_origins",
    ),
    "redirects.to": (lambda bad: {"redirects": [{"from": "/a", "to": "/b" + bad}]}, "to"),
    "errors.not_found_cache_control": (
        lambda bad: {"errors": {"not_found_cache_control": "no-cache" + bad}},
        "not_found_cache_control",
    ),
    "charset": (lambda bad: {"charset": "utf-8" + bad}, "charset"),
    "mimetypes": (lambda bad: {"mimetypes": {".js": "text/javascript" + bad}}, "mimetypes"),
}


@pytest.mark.parametrize("bad", INJECTIONS)
@pytest.mark.parametrize("setting", list(HEADER_SETTINGS))
def test_control_characters_in_header_settings_are_refused_at_load(
    setting: str, bad: str, tmp_path: Path
) -> None:
    make, key = HEADER_SETTINGS[setting]
    with pytest.raises(ConfigError) as raised:
        _ = load_settings(environ={}, root=tmp_path, **make(bad)).settings
    assert key in str(raised.value)


def _serve_everything(server: Server) -> list[tuple[str, str]]:
    """Headers of every kind of answer: file, 404, redirect, 304, 206, OPTIONS."""
    headers: list[tuple[str, str]] = []
    for method, target, request_headers in [
        ("GET", "/app.js", {}),
        ("GET", "/app.js", {"Accept-Encoding": "gzip", "Origin": "https://a.example"}),
        ("GET", "/app.js", {"Range": "bytes=0-3,6-9"}),
        ("GET", "/missing", {}),
        ("GET", "/docs", {}),
        ("OPTIONS", "/app.js", {"Origin": "https://a.example"}),
    ]:
        headers.extend(send(server, target, request_headers, method=method).header_list)
    return headers


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SERVESTATIC_SECURITY__HSTS", "max-age=1\r\nX-Injected: 1"),
        ("SERVESTATIC_SECURITY__CONTENT_SECURITY_POLICY", "default-src 'self'\nX-Injected: 1"),
        ("SERVESTATIC_CHARSET", "utf-8\r\nX-Injected: 1"),
        ("SERVESTATIC_ERRORS__NOT_FOUND_CACHE_CONTROL", "no-cache\r\nX-Injected: 1"),
    ],
    ids=["hsts", "csp", "charset", "not_found_cache_control"],
)
def test_environment_values_are_validated_like_code(
    monkeypatch: pytest.MonkeyPatch, hostile: Hostile, adapter: str, variable: str, value: str
) -> None:
    """``SERVESTATIC_*`` variables can carry newlines (systemd, Docker env files)."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        build(adapter, "static", hostile)
    assert variable in str(raised.value)


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[security]\nhsts = "max-age=1\\r\\nX-Injected: 1"\n', "hsts"),
        ('[[rules]]\nmatch = "/**"\nheaders = { X-A = "1\\nX-Injected: 1" }\n', "headers"),
        ('[[redirects]]\nfrom = "/a"\nto = "/b\\r\\nX-Injected: 1"\n', "to"),
        ('charset = "utf-8\\r\\nX-Injected: 1"\n', "charset"),
        ('[mimetypes]\n".js" = "text/javascript\\r\\nX-Injected: 1"\n', "mimetypes"),
    ],
    ids=["hsts", "rules.headers", "redirects.to", "charset", "mimetypes"],
)
def test_toml_values_are_validated_like_code(
    toml: str, key: str, hostile: Hostile, adapter: str
) -> None:
    """TOML basic strings have ``\\r\\n`` escapes; the error names the file and the key."""
    Path("servestatic.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        build(adapter, "static", hostile)
    message = str(raised.value)
    assert "servestatic.toml" in message
    assert key in message


# ---------------------------------------------------------------------------- the hook


def _hook_setting(name: str, value: str) -> Callable[[Any, str, str], None]:
    def hook(headers: Any, path: str, url: str) -> None:
        headers[name] = value

    return hook


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("X-A", "1\r\nX-Injected: 1", id="value-crlf"),
        pytest.param("X-A", "1\nX-Injected: 1", id="value-lf"),
        pytest.param("X-A", "1\x00", id="value-nul"),
        pytest.param("X-A", "1\x0b", id="value-vt"),
        pytest.param("X-A\r\nX-Injected", "1", id="name-crlf"),
        pytest.param("X-A\nX-Injected", "1", id="name-lf"),
        pytest.param("X A", "1", id="name-space"),
        pytest.param("X-A:", "1", id="name-colon"),
        pytest.param("", "1", id="name-empty"),
        pytest.param("Content-Length", "0", id="framing"),
        pytest.param("Transfer-Encoding", "chunked", id="framing-te"),
    ],
)
def test_add_headers_function_cannot_inject(
    name: str, value: str, hostile: Hostile, adapter: str, mode: str
) -> None:
    """ServeStatic's ``add_headers_function(headers, path, url)`` runs once per file; what
    it sets is checked like configuration (names are tokens the server does not manage,
    values have no controls). A header that fails is left out, with a warning, and every
    answer stays clean (issue 13: one file's header must not stop the site)."""
    hook = _hook_setting(name, value)
    server, messages = build_with_warnings(adapter, mode, hostile, add_headers_function=hook)
    with startup_messages() as caught:
        # Autorefresh builds entries per request: the hook runs (and is checked) there.
        headers = _serve_everything(server)
    messages.extend(caught)
    assert any(
        message.startswith("add_headers_function → ") and "left out" in message
        for message in messages
    )
    assert not any("X-Injected" in header or "X-Injected" in v for header, v in headers)
    if name.lower() not in {"content-length", "transfer-encoding"}:
        assert not any(header.lower() == name.lower() for header, _ in headers)
    assert_healthy(server)


# ---------------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    "name",
    [
        "a\r\nX-Injected: 1.txt",
        "a\nX-Injected: 1.txt",
        "tab\tname.txt",
        'quote".txt',
        "back\\slash.txt",
        "semi;colon.txt",
        "ünï.txt",
    ],
    ids=["crlf", "lf", "tab", "quote", "backslash", "semicolon", "non-ascii"],
)
def test_file_names_cannot_inject_through_content_disposition(
    tmp_path: Path, adapter: str, mode: str, name: str
) -> None:
    """``content_disposition = "attachment"`` adds the file name to the header (RFC 6266).
    A file name is data from disk (uploads, a synced bucket), so it is quoted or RFC 8187
    encoded, or the file is not served; never copied raw into the header."""
    root = tmp_path / "root"
    root.mkdir()
    (root / name).write_bytes(b"payload")
    settings = Settings.model_validate(
        {"rules": [{"match": "/**", "content_disposition": "attachment"}]}
    )
    options: dict[str, Any] = {"autorefresh": mode == "autorefresh"}
    with startup_messages() as caught:  # a refused name is reported at start-up
        server = make_server(adapter, None, root, settings=settings, **options)
    skipped = [message for message in caught if name in message]
    from urllib.parse import quote

    response = send(server, "/" + quote(name, safe=""))
    assert response.status in {200, 404}
    assert (response.status == 404) >= bool(skipped)  # a skipped file is not served
    assert_clean(response, [b"X-Injected"])
    if response.status == 200:
        disposition = response.header("content-disposition") or ""
        assert disposition.startswith("attachment; filename=")
        assert not any(
            (ord(char) < 0x20 and char != "\t") or ord(char) >= 0x7F for char in disposition
        ), disposition


def test_rejected_configuration_names_every_problem(tmp_path: Path) -> None:
    """One error lists every bad value with its key (STYLE.md practice 6)."""
    with pytest.raises(ConfigError) as raised:
        _ = load_settings(
            environ={},
            root=tmp_path,
            security={"hsts": "max-age=1\r\nX: 1"},
            rules=[{"match": "/**", "headers": {"X-A": "1\nX: 1"}}],
            redirects=[{"from": "/a", "to": "//evil.com"}],
        ).settings
    message = str(raised.value)
    for key in ("hsts", "headers", "to"):
        assert key in message
    assert os.linesep in message or "\n" in message
