"""Built output through the real server: every hashed reference resolves, variants match."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path

import pytest

from servestatic.build.references import find_references, kind_of, resolve
from servestatic.cli import main
from tests.build.helpers import DECODERS
from tests.client import make_server


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_hashed_css_and_js_still_resolve_through_the_server(
    site: Path, tmp_path: Path, kind: str
) -> None:
    dest = tmp_path / "out"
    assert main([str(site), str(dest), "--all", "-q", "-e", "*.html"]) == 0
    paths = json.loads((dest / "staticfiles.json").read_text())["paths"]
    server = make_server(kind, None, str(dest))
    followed = 0
    queue = [hashed for hashed in paths.values() if kind_of(hashed) is not None]
    seen: set[str] = set()
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        response = server.get("/" + name)
        assert response.status == 200, name
        assert response.body == (dest / name).read_bytes()
        document_kind = kind_of(name)
        if document_kind is None:
            continue
        for reference in find_references(response.body.decode(), document_kind):
            target = resolve(reference.url, name)
            if target is None:
                continue  # "react", an absolute URL
            assert target in paths.values(), f"{name} → {reference.url} is not a hashed file"
            queue.append(target)
            followed += 1
    assert followed >= 8  # @import, url() ×2, two source maps, static, dynamic, export-from


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
@pytest.mark.parametrize(("coding", "suffix"), [("zstd", ".zst"), ("br", ".br"), ("gzip", ".gz")])
def test_served_variants_decode_to_the_identity_body(
    site: Path, tmp_path: Path, kind: str, coding: str, suffix: str
) -> None:
    dest = tmp_path / "out"
    assert main([str(site), str(dest), "--all", "-q"]) == 0
    paths = json.loads((dest / "staticfiles.json").read_text())["paths"]
    server = make_server(kind, None, str(dest))
    url = "/" + paths["css/app.css"]
    identity = server.get(url, {"Accept-Encoding": "identity"})
    encoded = server.get(url, {"Accept-Encoding": coding})
    assert encoded.header("Content-Encoding") == coding
    assert DECODERS[suffix](encoded.body) == identity.body
    assert "max-age=315360000" in (identity.header("Cache-Control") or "")
    assert posixpath.basename(url).count(".") == 2
