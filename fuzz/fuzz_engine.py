"""Fuzz the whole request path: ``Engine.handle`` on a hostile tree, in both index modes.

Input fields (NUL-separated): method, path, raw path, Accept-Encoding, Range, If-Range,
If-None-Match, If-Modified-Since, Origin, query. Invariants for every plan:

* the status is one servestatic sends, and the body fits the status;
* a file body is inside the root's real path (never the sibling or parent secret);
* byte spans stay inside the representation;
* no header name or value carries CR, LF or NUL;
* a ``Location`` never starts with ``//``, ``/\\`` or ``\\`` and never names another host.
"""

from __future__ import annotations

import gzip
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from fuzz._common import fields, run_atheris
from servestatic.config import Settings
from servestatic.http.records import FileBody, MultipartBody, Plan, Request
from servestatic.serve.engine import Engine

# 400: a request without a method (a WSGI environ lacking REQUEST_METHOD), for a file.
STATUSES = {200, 204, 206, 301, 302, 304, 400, 404, 405, 406, 412, 416}
METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "get", "")


def build_tree(base: Path) -> Path:
    """A root with variants, an index directory, a dotfile and links out to secrets."""
    root = base / "static"
    (root / "docs").mkdir(parents=True)
    (base / "static_private").mkdir()
    (base / "static_private" / "secret.txt").write_bytes(b"sibling secret")
    (base / "secret.txt").write_bytes(b"parent secret")
    body = b"console.log('fuzz');\n" * 50
    (root / "app.js").write_bytes(body)
    (root / "app.js.gz").write_bytes(gzip.compress(body, mtime=0))
    (root / "docs" / "index.html").write_bytes(b"<h1>docs</h1>")
    (root / "index.html").write_bytes(b"<h1>home</h1>")
    (root / ".env").write_bytes(b"dotfile")
    (root / "empty.txt").write_bytes(b"")
    os.symlink("../static_private/secret.txt", root / "link.txt")
    os.symlink("../secret.txt", root / "app.js.br")
    os.symlink("../static_private", root / "linkdir")
    return root


class Harness:
    def __init__(self, base: Path) -> None:
        self.root = build_tree(base)
        self.real_root = os.path.realpath(self.root)
        common: dict[str, Any] = {
            "root": self.root,
            "index_file": True,
            "redirects": [{"from": "/old/*", "to": "/docs/:splat"}],
            "cors": {"allow_origins": ["https://app.example"]},
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the links out of the root are reported
            self.engines = [
                Engine(Settings(**common), standalone=True),
                Engine(Settings(autorefresh=True, **common), standalone=True),
                Engine(
                    Settings(spa={"fallback": "/index.html"}, prefix="/static", **common),
                    standalone=True,
                ),
            ]

    def run(self, data: bytes) -> None:
        method, path, raw, accept, ranges, if_range, inm, ims, origin, query = fields(data, 10)
        request = Request(
            METHODS[ord(method[0]) % len(METHODS)] if method else "GET",
            "/" + path.lstrip("/") if path and not path.startswith("//") else path or "/",
            query,
            accept or None,
            inm or None,
            ims or None,
            None,
            None,
            ranges or None,
            if_range or None,
            origin or None,
            raw or None,
        )
        for engine in self.engines:
            plan = engine.handle(request)
            assert plan is not None  # standalone: always an answer
            self.check(plan, request)

    def check(self, plan: Plan, request: Request) -> None:
        status, body = plan.status, plan.body
        assert status in STATUSES, status
        pairs = [*plan.headers.pairs, *plan.extra]
        for name, value in pairs:
            assert not any(char in name + value for char in "\r\n\x00"), (name, value)
        location = next((value for name, value in pairs if name.lower() == "location"), None)
        if location is not None:
            assert not location.startswith(("//", "/\\", "\\")), location
            base = "http://site.example" + (request.path if request.path.startswith("/") else "/")
            resolved = urlsplit(urljoin(base, location))
            assert resolved.netloc == "site.example", location
        if isinstance(body, FileBody | MultipartBody):
            real = os.path.realpath(body.representation.path)
            assert os.path.commonpath([self.real_root, real]) == self.real_root, real
            size = body.representation.size
            spans = (
                [(body.offset, body.length)]
                if isinstance(body, FileBody)
                else [(offset, length) for offset, length, _ in body.parts]
            )
            for offset, length in spans:
                assert offset >= 0
                assert length >= 0
                assert offset + length <= size
        if status in {204, 304, 412, 416} or request.method == "HEAD":
            assert body is None or body == b""


_HARNESS: Harness | None = None


def test_one_input(data: bytes) -> None:
    global _HARNESS  # noqa: PLW0603 - one tree per fuzzing process
    if _HARNESS is None:
        _HARNESS = Harness(Path(tempfile.mkdtemp(prefix="servestatic-fuzz-")))
    _HARNESS.run(data)


if __name__ == "__main__":
    run_atheris(test_one_input)
