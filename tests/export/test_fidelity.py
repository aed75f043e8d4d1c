"""Item 2 of issue 17: the exported configurations, run by real nginx and Caddy, answer every
URL of a test site as servestatic does, for every Accept-Encoding of the list, GET and HEAD,
apart from server-managed headers and the documented differences (see ``compare.py``).

Two configurations of the same files: ``full`` (one root, index.html, SPA fallback, 404
page, rules, CORS allow-list, redirects) and ``prefixed`` (two roots, one under
``/static/``, a custom index name, no Cache-Control, no ETag, no ranges, the plain 404).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import unquote

import pytest

from servestatic.asgi import ServeStaticASGI
from servestatic.cli import run
from servestatic.config import load_settings
from servestatic.export import SiteModel, model_from_engine
from tests.export.compare import (
    Comparison,
    Request,
    compare,
    compare_not_modified,
    engine_answer,
    servestatic_answer,
)
from tests.export.engines import running_caddy, running_nginx
from tests.export.site import ACCEPT_ENCODINGS, CONFIGS, MISSES, make_site

Runner = Callable[[str, Path], AbstractContextManager[str]]
ENGINES: dict[str, Runner] = {"nginx": running_nginx, "caddy": running_caddy}
Headers = tuple[tuple[str, str], ...]


def _requests(model: SiteModel) -> Iterator[Request]:
    urls = [answer.url for answer in model.files]
    urls += [answer.url for answer in model.redirects]
    urls += [*model.unserved, *MISSES]
    for url in urls:
        for accept in ACCEPT_ENCODINGS:
            headers: Headers = () if accept is None else (("Accept-Encoding", accept),)
            yield Request("GET", url, headers=headers)
        yield Request("HEAD", url)
        yield Request("HEAD", url, headers=(("Accept-Encoding", "gzip, br"),))
    for url, query in (
        ("/docs", "x=1&y=%20z"),
        ("/static", "a=b"),
        ("/assets/app.js", "v=1"),
        ("/old/a/b", "keep=me"),
        ("/u/bob", "dropped=1"),
        ("/contact", "dropped=1"),
        ("/nope", "q=1"),
    ):
        yield Request("GET", url, query)
    for origin in ("https://app.example", "https://evil.example"):
        for url in ("/assets/app.js", "/fonts/font.woff2", "/nope", "/404.html"):
            yield Request("GET", url, headers=(("Origin", origin),))
    for url in ("/data.bin", "/assets/app.js", "/with space.txt"):
        yield Request("GET", url, headers=(("Range", "bytes=0-9"),))
        yield Request("GET", url, headers=(("Range", "bytes=-5"),))
    yield Request(
        "GET", "/assets/app.js", headers=(("Range", "bytes=0-9"), ("Accept-Encoding", "gzip"))
    )
    # Misses (the 404 page, the fallback) ignore ranges and validators, as servestatic does.
    for url in ("/nope", "/missing.js"):
        yield Request("GET", url, headers=(("Range", "bytes=0-9"),))
        yield Request("GET", url, headers=(("If-None-Match", "*"),))
    for url in ("/assets/app.js", "/about.html", "/static/lib.js"):
        yield Request("GET", url, headers=(("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT"),))
    for method in ("POST", "OPTIONS", "DELETE"):
        yield Request(method, "/assets/app.js")
    # Targets that are not canonical paths (path-normalization).
    for raw in (
        "/docs%2F",
        "/assets%2Fapp.js",
        "//about.html",
        "/docs/./guide.html",
        "/docs/../about.html",
    ):
        path = unquote(raw)
        yield Request("GET", path, raw=raw)


def _revalidations(model: SiteModel) -> Iterator[Request]:
    """Requests whose answer both servers should revalidate with 304 by ETag."""
    if not model.etag:
        return
    for url in ("/assets/app.js", "/docs/", "/about.html", "/fonts/font.woff2"):
        for accept in (None, "gzip"):
            yield Request(
                "GET", url, headers=() if accept is None else (("Accept-Encoding", accept),)
            )


def _with_etag(request: Request, etag: str | None) -> Request:
    assert etag, request
    return Request(
        request.method, request.path, headers=(*request.headers, ("If-None-Match", etag))
    )


@pytest.mark.servers
@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_engine_answers_like_servestatic(engine: str, config: str, tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", config)
    app = ServeStaticASGI(None, settings=load_settings(config_file=site.config))
    model = model_from_engine(app.engine)
    dest = tmp_path / f"exported.{engine}"
    assert run(["export", engine, str(dest), "--config", str(site.config)]) == 0
    comparison = Comparison(engine, model)
    with ENGINES[engine](dest.read_text(encoding="utf-8"), tmp_path) as base:
        for request in _requests(model):
            ours, theirs = servestatic_answer(app, request), engine_answer(base, request)
            compare(comparison, request, ours, theirs)
        for request in _revalidations(model):
            # Each server is asked with its own validator (the formats differ by design).
            asked = _with_etag(request, engine_answer(base, request).header("etag"))
            mine = _with_etag(request, servestatic_answer(app, request).header("etag"))
            compare_not_modified(
                comparison, asked, servestatic_answer(app, mine), engine_answer(base, asked)
            )
        # RFC 9110 §13.1.3: not modified since a later date (nginx: if_modified_since before).
        for url in ("/assets/app.js", "/about.html", "/static/lib.js"):
            if any(answer.url == url for answer in model.files):
                later = (("If-Modified-Since", "Thu, 01 Jan 2037 00:00:00 GMT"),)
                request = Request("GET", url, headers=later)
                compare_not_modified(
                    comparison,
                    request,
                    servestatic_answer(app, request),
                    engine_answer(base, request),
                )
    for line in comparison.log:
        print(engine, *line)
    print(
        f"{engine}/{config}: {comparison.compared} compared, {comparison.identical} identical, "
        f"excused {comparison.excused}"
    )
    failures = "\n".join(comparison.failures[:80])
    assert not comparison.failures, f"{len(comparison.failures)} mismatches:\n{failures}"
    comparison.check_excuses()
    # Most answers match exactly: the excuses stay exceptions.
    assert comparison.compared > 500
    assert comparison.identical > 0.7 * comparison.compared, comparison.excused


def test_a_missing_engine_fails_the_run_instead_of_skipping_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CI runs scripts/install, which installs both: without them the tests must fail."""
    import os
    import shutil

    from tests.export import engines

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(pytest.fail.Exception, match="installs Debian's nginx-light"):
        engines.nginx_binary()
    with pytest.raises(pytest.fail.Exception, match="installs Debian's caddy"):
        engines.caddy_binary()
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/sbin/nginx")
    monkeypatch.setattr(engines, "BROTLI_MODULE", Path("/nonexistent/module.so"))
    with pytest.raises(pytest.fail.Exception, match="libnginx-mod-http-brotli-static"):
        engines.nginx_binary()


@pytest.mark.servers
def test_nginx_starts_with_a_large_table_of_long_urls(tmp_path: Path) -> None:
    """3,000 URLs, some of 200 bytes: more than nginx's default map hash holds."""
    root = tmp_path / "site"
    for number in range(3000):
        name = f"{number:04d}-" + "x" * (190 if number % 100 == 0 else 10) + ".txt"
        (root / f"d{number % 30}").mkdir(parents=True, exist_ok=True)
        (root / f"d{number % 30}" / name).write_text(str(number), encoding="utf-8")
    config = tmp_path / "servestatic.toml"
    config.write_text('root = "site"\n', encoding="utf-8")
    dest = tmp_path / "large.conf"
    assert run(["export", "nginx", str(dest), "--config", str(config)]) == 0
    exported = dest.read_text(encoding="utf-8")
    assert "map_hash_bucket_size 256;" in exported
    assert "map_hash_max_size 16384;" in exported
    with running_nginx(exported, tmp_path) as base:
        url = "/d0/0000-" + "x" * 190 + ".txt"
        answer = engine_answer(base, Request("GET", url))
        assert (answer.status, answer.body) == (200, b"0")
