"""Helpers for the hostile-input suite: a tree with secrets around the root, raw requests,
and the checks every hostile response must pass.

Requests go through :func:`send`, which takes the request target exactly as a client would
put it on the wire (``/a/%2e%2e/b?x``) and decodes it the way real servers do before calling
the adapter in-process: WSGI servers put the percent-decoded bytes in ``PATH_INFO`` as
latin-1 code points (PEP 3333) and the undecoded target in ``RAW_URI``/``REQUEST_URI``;
ASGI servers put the percent-decoded UTF-8 text (invalid bytes replaced) in ``path`` and
the undecoded bytes in ``raw_path``. The usual test client encodes a *decoded* path and
so cannot express invalid UTF-8 or a literal ``%2F``.
"""

from __future__ import annotations

import gzip
import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

from tests.client import Response, Server, call_asgi, make_server, run_wsgi
from tests.startup import startup_messages

__all__ = [
    "JS",
    "Hostile",
    "assert_clean",
    "assert_healthy",
    "assert_safe_location",
    "build",
    "build_with_warnings",
    "make_hostile_tree",
    "send",
]

#: The public file every healthy server must keep serving byte for byte.
JS = b"export function greet(name) { return 'hello ' + name; }\n" * 40
ORIGIN = "http://testserver"


@dataclass
class Hostile:
    """A served root (``static/``) with secrets next to it, above it and linked into it."""

    base: Path
    root: Path
    markers: tuple[bytes, ...]
    #: Symlinks in the root whose target is outside it (each must be reported at start-up).
    escaping_links: tuple[str, ...]
    public: dict[str, bytes] = field(default_factory=dict)


def make_hostile_tree(base: Path) -> Hostile:
    """Build the tree below ``base``::

        secret.txt                      parent-directory secret
        static_private/secret.txt       sibling-prefix secret (Starlette CVE-2023-29159)
        static_private/index.html       secret reached through a directory symlink + index
        static/                         the served root
          app.js, app.js.gz             public file and a genuine variant
          app.js.br  -> ../static_private/secret.txt   variant escaping (aiohttp CVE-2024-42367)
          app.js.zst -> <abs>/secret.txt               absolute variant link to the parent
          link.txt   -> ../static_private/secret.txt   file symlink out
          parent.txt -> ../secret.txt                  file symlink to the parent
          absolute.txt -> <abs>/static_private/secret.txt
          chain.txt  -> link.txt                       inside link to an outside link
          linkdir    -> ../static_private              directory symlink out
          private/index.html -> ../../static_private/secret.txt   index file escaping
          inside.js  -> app.js                         a link that stays inside (served)
          broken.txt -> missing                        broken link (skipped, not fatal)
          loop       -> .                              directory loop (skipped, not fatal)
          .env, .git/config                            dotfiles holding a secret
          .well-known/.secret, .well-known/.git/config dotfiles below the allowed .well-known
          index.html, docs/index.html                  index directories
          evil.com/index.html                          a directory named like a host

    Every secret holds a unique marker that must never appear in a response. Secrets are
    shorter than ``app.js`` so a variant link would be chosen if it were not refused.
    """
    token = uuid.uuid4().hex
    markers = (
        f"SIBLING-SECRET-{token}".encode(),
        f"PARENT-SECRET-{token}".encode(),
        f"INDEX-SECRET-{token}".encode(),
        f"DOTFILE-SECRET-{token}".encode(),
    )
    sibling, parent, index, dotfile = markers
    root = base / "static"
    private = base / "static_private"
    for directory in (
        root / "docs",
        root / "evil.com",
        root / "private",
        root / ".git",
        root / ".well-known" / ".git",
        private,
    ):
        directory.mkdir(parents=True, exist_ok=True)
    (base / "secret.txt").write_bytes(parent + b"\n")
    (private / "secret.txt").write_bytes(sibling + b"\n")
    (private / "index.html").write_bytes(index + b"\n")
    (root / ".env").write_bytes(b"TOKEN=" + dotfile + b"\n")
    (root / ".git" / "config").write_bytes(dotfile + b"\n")
    # Below the default allow-list's /.well-known/: still dotfiles (issue 13).
    (root / ".well-known" / ".git" / "config").write_bytes(dotfile + b"\n")
    (root / ".well-known" / ".secret").write_bytes(dotfile + b"\n")
    public = {
        "/app.js": JS,
        "/index.html": b"<h1>home</h1>",
        "/docs/index.html": b"<h1>docs</h1>",
        "/evil.com/index.html": b"<h1>not a host</h1>",
    }
    for url, data in public.items():
        (root / url.lstrip("/")).write_bytes(data)
    (root / "app.js.gz").write_bytes(gzip.compress(JS, mtime=0))
    links = {
        "app.js.br": "../static_private/secret.txt",
        "app.js.zst": str(base / "secret.txt"),
        "link.txt": "../static_private/secret.txt",
        "parent.txt": "../secret.txt",
        "absolute.txt": str(private / "secret.txt"),
        "chain.txt": "link.txt",
        "linkdir": "../static_private",
        "private/index.html": "../../static_private/secret.txt",
    }
    for name, target in links.items():
        os.symlink(target, root / name)
    os.symlink("app.js", root / "inside.js")
    os.symlink("missing", root / "broken.txt")
    os.symlink(".", root / "loop")
    public["/inside.js"] = JS
    return Hostile(base, root, markers, tuple(links), public)


def build(
    kind: str, mode: str, hostile: Hostile, prefix: str | None = None, **options: Any
) -> Server:
    """A standalone server over the hostile root, with index files on.

    In the static mode the start-up scan must report every escaping symlink (it warns and
    skips them); the warnings are checked here, so that a silent skip cannot hide a change
    that starts following links.
    """
    return build_with_warnings(kind, mode, hostile, prefix, **options)[0]


def build_with_warnings(
    kind: str, mode: str, hostile: Hostile, prefix: str | None = None, **options: Any
) -> tuple[Server, list[str]]:
    """:func:`build`, also returning the start-up warnings."""
    options.setdefault("index_file", True)
    if mode == "autorefresh":
        options["autorefresh"] = True
    with startup_messages() as messages:
        server = make_server(kind, None, hostile.root, prefix, **options)
    if mode == "static" and not options.get("allow_unsafe_symlinks"):
        for name in hostile.escaping_links:
            path = str(hostile.root / name)
            assert any(path in message for message in messages), (name, messages)
    return server, messages


def _split_target(target: str) -> tuple[str, str]:
    path, _, query = target.partition("?")
    return path, query


def send(
    server: Server,
    target: str,
    headers: Mapping[str, str] | None = None,
    *,
    method: str = "GET",
) -> Response:
    """Send a raw request target (percent-encoding intact) through the server's adapter."""
    raw_path, query = _split_target(target)
    decoded = unquote_to_bytes(raw_path.encode("utf-8"))
    if server.kind == "asgi":
        # uvicorn, hypercorn and granian: percent-decode, then UTF-8 with replacement.
        return call_asgi(
            server.app,
            decoded.decode("utf-8", "replace"),
            method=method,
            headers=headers,
            query=query,
            raw_path=raw_path.encode("utf-8"),
        )
    return _call_wsgi_raw(server.app, decoded, target, query, method, headers)


def _call_wsgi_raw(
    app: Any,
    path_bytes: bytes,
    target: str,
    query: str,
    method: str,
    headers: Mapping[str, str] | None,
) -> Response:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path_bytes.decode("latin-1"),
        "QUERY_STRING": query,
        "RAW_URI": target,
        "REQUEST_URI": target,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": None,
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return run_wsgi(app, environ)


def assert_clean(response: Response, markers: Iterable[bytes], *, label: str = "") -> None:
    """No secret marker in the body, in any header name or in any header value."""
    for marker in markers:
        assert marker not in response.body, (label, "secret in body")
        for name, value in response.header_list:
            raw = f"{name}: {value}".encode("latin-1", "replace")
            assert marker not in raw, (label, "secret in header", name)
    for name, value in response.header_list:
        assert not any(char in name + value for char in "\r\n\x00"), (label, name, value)


class HasHeaders(Protocol):
    def header(self, name: str) -> str | None: ...


def assert_safe_location(response: HasHeaders, request_path: str) -> None:
    """Any ``Location`` is same-origin once resolved, and never protocol-relative.

    Browsers treat ``\\`` like ``/`` in URLs (Caddy #7330), so ``/\\evil`` and ``\\\\evil``
    are as dangerous as ``//evil``.
    """
    location = response.header("location")
    if location is None:
        return
    assert not location.startswith(("//", "/\\", "\\")), location
    assert "\\" not in location, location
    assert not any(ord(char) < 0x21 or ord(char) == 0x7F for char in location), location
    base = ORIGIN + (request_path if request_path.startswith("/") else "/" + request_path)
    resolved = urlsplit(urljoin(base, location.replace("\\", "/")))
    assert (resolved.scheme, resolved.netloc) == ("http", "testserver"), (location, resolved)


def assert_healthy(server: Server, prefix: str = "") -> None:
    """The server still answers normally: the public file, its variant and a 304."""
    url = prefix.rstrip("/") + "/app.js"
    plain = server.get(url)
    assert plain.status == 200
    assert plain.body == JS
    gzipped = server.get(url, {"Accept-Encoding": "gzip"})
    assert gzipped.status == 200
    assert gzipped.header("content-encoding") == "gzip"
    etag = plain.header("etag")
    assert etag is not None
    revalidated = server.get(url, {"If-None-Match": etag})
    assert revalidated.status == 304
    assert revalidated.body == b""
