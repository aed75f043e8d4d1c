"""The writers: golden output for a small site, determinism, stable group names, escaping,
and the mistakes they refuse."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path
from typing import Any

import pytest

from servestatic.config import load_settings
from servestatic.export import (
    CaddyOptions,
    ExportError,
    NginxOptions,
    SiteModel,
    model_from_engine,
    render_caddy,
    render_netlify,
    render_nginx,
)
from servestatic.serve.engine import Engine
from tests.conftest import write

GOLDEN = Path(__file__).parent / "golden"
REMOTE = "/srv/www"
CONFIG = """
root = "site"
index_file = true

[spa]
fallback = "/index.html"
exclude = ["/api/**"]

[errors]
not_found = "/missing.html"

[[rules]]
match = "/*.js"
headers = { X-Script = "a \\"quoted\\" $value {braces}" }

[[redirects]]
from = "/blog/:slug"
to = "/posts/:slug"
"""


def _site(base: Path, config: str = CONFIG) -> Path:
    root = base / "site"
    write(root / "index.html", "<h1>home</h1>")
    write(root / "missing.html", "<h1>missing</h1>")
    write(root / "app.js", "let a = 1;\n" * 50)
    write(root / "app.js.gz", gzip.compress(b"let a = 1;\n" * 50, mtime=0))
    write(root / "docs" / "index.html", "<h1>docs</h1>")
    write(root / ".env", "SECRET=1")
    (base / "servestatic.toml").write_text(config, encoding="utf-8")
    return base / "servestatic.toml"


def _model(config: Path, **options: Any) -> SiteModel:
    return model_from_engine(
        Engine(load_settings(options, config_file=config).settings, standalone=True)
    )


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):  # pragma: no cover - a maintainer's tool
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        f"{path} differs; review the change and rerun with UPDATE_GOLDEN=1"
    )


def test_golden_outputs(tmp_path: Path) -> None:
    model = _model(_site(tmp_path))
    _check_golden("nginx.conf", render_nginx(model, NginxOptions(roots=(REMOTE,))))
    _check_golden("Caddyfile", render_caddy(model, CaddyOptions(roots=(REMOTE,))))
    netlify = render_netlify(model)
    _check_golden("_headers", netlify["_headers"])
    _check_golden("_redirects", netlify["_redirects"])


def test_output_is_deterministic_and_group_names_are_stable(tmp_path: Path) -> None:
    config = _site(tmp_path)
    first = render_nginx(_model(config))
    assert render_nginx(_model(config)) == first
    groups = set(re.findall(r"g-[0-9a-f]{8}", first))
    # A new file with headers of its own adds a group; the others keep their names.
    write(tmp_path / "site" / "new.js.map", "{}")
    second = render_nginx(_model(config))
    assert groups < set(re.findall(r"g-[0-9a-f]{8}", second))


def test_nginx_escapes_dollars_and_quotes(tmp_path: Path) -> None:
    text = render_nginx(_model(_site(tmp_path)))
    assert 'geo $servestatic_dollar { default "$"; }' in text
    assert (
        'add_header "X-Script" "a \\"quoted\\" ${servestatic_dollar}value {braces}" always;' in text
    )


def test_nginx_urls_differing_in_case_are_exact_expressions(tmp_path: Path) -> None:
    config = _site(tmp_path)
    write(tmp_path / "site" / "A.txt", "upper")
    write(tmp_path / "site" / "a.txt", "lower")
    text = render_nginx(_model(config))
    assert '"~^/A\\\\.txt$" g-' in text
    assert '"~^/a\\\\.txt$" g-' in text
    assert '"/app.js" g-' in text


def test_nginx_options(tmp_path: Path) -> None:
    config = _site(tmp_path)
    model = _model(config)
    text = render_nginx(model, NginxOptions(listen="8080", server_name="example.com"))
    assert "listen 8080;" in text
    assert "server_name example.com;" in text
    assert "brotli_static" not in text  # no .br in this site
    write(tmp_path / "site" / "app.js.br", b"tiny")
    brotli_model = _model(config)
    assert "brotli_static on;" in render_nginx(brotli_model)
    assert "brotli_static" not in render_nginx(brotli_model, NginxOptions(brotli=False))
    off = _model(config, etag="off", ranges={"enabled": False})
    off_text = render_nginx(off)
    assert "etag off;" in off_text
    assert "max_ranges 0;" in off_text
    with pytest.raises(ExportError, match="2 paths given"):
        render_nginx(model, NginxOptions(roots=("/a", "/b")))


def test_nginx_refuses_a_site_using_its_internal_prefix(tmp_path: Path) -> None:
    config = _site(tmp_path)
    write(tmp_path / "site" / ".servestatic" / "x.txt", "x")
    model = _model(config, hidden={"serve_dotfiles": True})
    with pytest.raises(ExportError, match=r"/\.servestatic/x\.txt: paths under /\.servestatic/"):
        render_nginx(model)


def test_caddy_escapes_placeholders_and_refuses_bad_addresses(tmp_path: Path) -> None:
    config = _site(tmp_path)
    model = _model(config)
    text = render_caddy(model, CaddyOptions(address="example.com"))
    assert text.count("\nexample.com {\n") == 1
    assert 'X-Script `a "quoted" $value \\{braces\\}`' in text
    with pytest.raises(ExportError, match="no spaces"):
        render_caddy(model, CaddyOptions(address="a b"))
    with pytest.raises(ExportError, match="2 paths given"):
        render_caddy(model, CaddyOptions(roots=("/a", "/b")))


def test_caddy_uses_only_dot_zst_for_zstd(tmp_path: Path) -> None:
    config = _site(tmp_path)
    write(tmp_path / "site" / "app.js.zstd", b"z")
    assert "precompressed zstd" not in render_caddy(_model(config))
    os.rename(tmp_path / "site" / "app.js.zstd", tmp_path / "site" / "app.js.zst")
    assert "precompressed zstd gzip" in render_caddy(_model(config))


def test_netlify_rules_for_misses(tmp_path: Path) -> None:
    config = _site(tmp_path)
    redirects = render_netlify(_model(config))["_redirects"]
    lines = [line for line in redirects.splitlines() if line and not line.startswith("#")]
    assert lines == [
        "/blog/:slug  /posts/:slug  301!",
        "/.env  /index.html  200!",  # a miss there: the SPA fallback
        "/app.js.gz  /index.html  200!",
        "/api/*  /missing.html  404",
        "/*  /index.html  200",
        "/*  /missing.html  404",
    ]


def test_repeated_header_names_and_a_file_without_headers(tmp_path: Path) -> None:
    root = tmp_path / "site"
    write(root / "a.txt", "a")
    config = tmp_path / "servestatic.toml"
    config.write_text(
        'root = "site"\nadd_headers_function = "tests.export.hooks:two_links"\n',
        encoding="utf-8",
    )
    model = _model(config)
    assert model.files[0].headers == (
        ("Link", "</a.css>; rel=preload"),
        ("Link", "</b.css>; rel=preload"),
    )
    nginx = render_nginx(model)
    assert nginx.count('add_header "Link"') == 2
    assert 'default_type "";' in nginx  # the hook removed Content-Type
    caddy = render_caddy(model)
    assert "\t\t\tLink `</a.css>; rel=preload`" not in caddy
    assert '\t\t\tLink "</a.css>; rel=preload"' in caddy
    assert '\t\t\t+Link "</b.css>; rel=preload"' in caddy
    assert "-Content-Type" in caddy


def test_netlify_skips_empty_blocks_and_formats_without_preamble(tmp_path: Path) -> None:
    from servestatic.export.netlify import HeaderRule, format_headers, rules

    root = tmp_path / "site"
    write(root / "a.txt", "a")
    config = tmp_path / "servestatic.toml"
    config.write_text(
        'root = "site"\nmax_age = false\nallow_all_origins = false\n'
        '[[rules]]\nmatch = "/a.txt"\nunset = ["Content-*"]\n',
        encoding="utf-8",
    )
    assert rules(_model(config))[0] == ()
    blocks = (HeaderRule("/x", (("A", "1"),)), HeaderRule("/y", ()))
    assert format_headers(blocks) == "/x\n  A: 1\n\n/y\n"


def test_fallback_without_exclusions(tmp_path: Path) -> None:
    config = _site(tmp_path, CONFIG.replace('exclude = ["/api/**"]', "exclude = []"))
    model = _model(config)
    assert model.spa_exclude == ()
    caddy = render_caddy(model)
    assert "not vars_regexp" not in caddy
    assert "method GET HEAD" in caddy
    assert "spa.exclude" not in render_nginx(model)


def test_an_empty_site_exports_a_table_with_no_url(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    config = tmp_path / "servestatic.toml"
    config.write_text('root = "site"\n', encoding="utf-8")
    model = _model(config)
    assert model.files == ()
    assert 'map $uri $servestatic_answer {\n    default "";\n}' in render_nginx(model)
    assert 'default "" ""' in render_caddy(model)
    assert render_netlify(model)["_redirects"].count("\n/") == 0


def test_caddy_globs_with_literal_braces_stay_regular_expressions(tmp_path: Path) -> None:
    config = _site(tmp_path, CONFIG.replace('exclude = ["/api/**"]', 'exclude = ["/x\\\\{y"]'))
    caddy = render_caddy(_model(config))
    assert 'not vars_regexp {path} "^/x\\{y$"' in caddy
