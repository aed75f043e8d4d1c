"""The hostile-input suite over the wire: real servers for both interfaces, both index
modes, raw sockets (the request target is sent exactly as written, ``..`` included).

Servers may refuse some targets themselves (uvicorn answers 400 to a raw non-ASCII
target); what matters is that no answer carries a secret byte, any redirect stays on the
site, and the server then serves normally.
"""

from __future__ import annotations

import gzip

import pytest

from tests.reliability.rawhttp import RawResponse, fetch
from tests.reliability.servers import serve
from tests.security.hostile import JS, Hostile, assert_safe_location
from tests.security.payloads import PAYLOADS
from tests.security.test_redirects import OPEN_REDIRECT_TARGETS

pytestmark = pytest.mark.servers

TARGETS = {"asgi": "servestatic.app:create_asgi()", "wsgi": "servestatic.app:create_wsgi()"}
SERVERS = [
    ("uvicorn", "asgi"),
    ("granian-asgi", "asgi"),
    ("gunicorn-sync", "wsgi"),
    ("granian-wsgi", "wsgi"),
]
_LOOPS = {"{m}/loop/app.js", "{m}/loop/loop/loop/app.js"}
# Granian's WSGI environ has no RAW_URI/REQUEST_URI, so "%2F" cannot be told from "/":
# there, an encoded-slash target is answered as its decoded path (a documented limit).
_NO_RAW_TARGET = {"granian-wsgi"}


def _no_secret(response: RawResponse, hostile: Hostile, target: str) -> None:
    for marker in hostile.markers:
        assert marker not in response.raw, target


@pytest.mark.parametrize("mode", ["static", "autorefresh"])
@pytest.mark.parametrize(("server", "interface"), SERVERS)
def test_hostile_targets_over_the_wire(
    hostile: Hostile, server: str, interface: str, mode: str
) -> None:
    env = {
        "SERVESTATIC_ROOT": str(hostile.root),
        "SERVESTATIC_INDEX_FILE": "true",
        "SERVESTATIC_AUTOREFRESH": "true" if mode == "autorefresh" else "false",
    }
    base = str(hostile.base).lstrip("/")
    targets = [
        (kind, template.format(m="", base=base))
        for kind, templates in PAYLOADS.items()
        for template in templates
        if template not in _LOOPS
    ]
    with serve(server, TARGETS[interface], env=env) as live:
        for kind, target in targets:
            response = fetch(live.port, target)
            _no_secret(response, hostile, target)
            assert_safe_location(response, target)
            if kind == "encoded-slash" and server in _NO_RAW_TARGET:
                assert response.status in {200, 302, 404}, (target, response.status)
                continue
            assert response.status in {400, 404}, (target, response.status)
            if response.status == 404:
                assert response.body == b"Not Found", target
        for target in OPEN_REDIRECT_TARGETS:
            response = fetch(live.port, target)
            _no_secret(response, hostile, target)
            assert response.status in {200, 302, 400, 404}, (target, response.status)
            assert_safe_location(response, target)
        for accept in ("br", "zstd", "br, zstd, gzip", "*"):
            response = fetch(live.port, "/app.js", {"Accept-Encoding": accept})
            _no_secret(response, hostile, accept)
            assert response.status == 200
            coding = response.header("content-encoding")
            assert (gzip.decompress(response.body) if coding == "gzip" else response.body) == JS
        # Still healthy: the file, then a 304.
        plain = fetch(live.port, "/app.js")
        assert plain.status == 200
        assert plain.body == JS
        etag = plain.header("etag")
        assert etag is not None
        assert fetch(live.port, "/app.js", {"If-None-Match": etag}).status == 304
        assert live.process.poll() is None
