"""A site carrying Netlify / Cloudflare Pages ``_headers`` and ``_redirects`` files, under a
real server on 127.0.0.1, answers as those hosts document."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.live import fetch, running

pytestmark = pytest.mark.servers


def test_headers_and_redirects_files_under_uvicorn(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "blog").mkdir(parents=True)
    (root / "index.html").write_text("<h1>app</h1>")
    (root / "app.js").write_text("x")
    (root / "old.html").write_text("still here")
    (root / "blog" / "post.html").write_text("post")
    (root / "_headers").write_text(
        "# every page\n/*\n  X-Frame-Options: DENY\n"
        "/*.js\n  Cache-Control: public, max-age=31536000, immutable\n"
    )
    (root / "_redirects").write_text(
        "/news/* /blog/:splat 301\n/old.html /blog/post.html 302\n/* /index.html 200\n"
    )
    with running(
        "uvicorn", "servestatic.app:create_asgi()", env={"SERVESTATIC_ROOT": str(root)}
    ) as url:
        status, headers, _ = fetch(url, "/app.js")
        assert status == 200
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        assert headers["x-frame-options"] == "DENY"
        status, headers, _ = fetch(url, "/news/post.html")
        assert (status, headers["location"]) == (301, "/blog/post.html")
        # No "!": the file at the path wins over the redirect.
        assert fetch(url, "/old.html")[2] == b"still here"
        status, headers, body = fetch(url, "/some/client/route")
        assert (status, body) == (200, b"<h1>app</h1>")
        assert headers["x-frame-options"] == "DENY"
        # The configuration files themselves are never served.
        status, _, body = fetch(url, "/_headers")
        assert (status, body) == (200, b"<h1>app</h1>")
