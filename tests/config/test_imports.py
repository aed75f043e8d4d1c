"""``_headers`` / ``_redirects`` as a configuration source: discovery, translation,
problems named ``file:line``, precedence, and what ``check`` / ``explain`` show."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from servestatic.asgi import ServeStaticASGI
from servestatic.cli import run
from servestatic.config import ConfigError, load_settings
from servestatic.config._imports import pattern_for
from tests.export.compare import Request, servestatic_answer


@pytest.fixture(autouse=True)
def _no_django_project(monkeypatch: pytest.MonkeyPatch) -> None:
    """``check`` and ``explain`` read Django settings when the Django tests have set
    ``DJANGO_SETTINGS_MODULE`` for the session (as in tests/cli/conftest.py)."""
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)


def _site(tmp: Path, headers: str = "", redirects: str = "", toml: str = "") -> Path:
    root = tmp / "site"
    (root / "blog").mkdir(parents=True)
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "404.html").write_text("missing")
    (root / "app.js").write_text("x")
    (root / "old.html").write_text("old")
    (root / "blog" / "post.html").write_text("post")
    if headers:
        (root / "_headers").write_text(headers)
    if redirects:
        (root / "_redirects").write_text(redirects)
    (tmp / "servestatic.toml").write_text('root = "site"\n' + toml)
    return tmp


Cli = Callable[..., tuple[str, str]]


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``servestatic ARGV...`` run in ``tmp_path``, its exit status checked: (stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def call(*argv: str, status: int = 0) -> tuple[str, str]:
        assert run(list(argv)) == status
        captured = capsys.readouterr()
        return captured.out, captured.err

    return call


def _answer(tmp: Path, url: str) -> tuple[int, dict[str, str]]:
    app = ServeStaticASGI(None, settings=load_settings(cwd=tmp))
    answer = servestatic_answer(app, Request("GET", url))
    return answer.status, {name.lower(): value for name, value in answer.headers}


def test_files_at_the_top_of_a_root_are_read_and_not_served(tmp_path: Path) -> None:
    _site(tmp_path, "/*\n  X-Frame-Options: DENY\n", "/old /new 301\n")
    loaded = load_settings(cwd=tmp_path)
    assert loaded.sources == ("servestatic.toml", "site/_headers", "site/_redirects")
    assert loaded.settings.rules[1].name == "site/_headers:1"
    assert loaded.settings.redirects[0].name == "site/_redirects:1"
    assert _answer(tmp_path, "/app.js")[1]["x-frame-options"] == "DENY"
    assert _answer(tmp_path, "/_headers")[0] == 404
    assert _answer(tmp_path, "/_redirects")[0] == 404


def test_import_list_is_relative_to_the_config_file_and_replaces_discovery(
    tmp_path: Path,
) -> None:
    _site(tmp_path, "/*\n  X-Auto: 1\n", toml='import = ["conf/h"]\n')
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "h").write_text("/*\n  X-Listed: 1\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    loaded = load_settings(config_file=tmp_path / "servestatic.toml", cwd=elsewhere)
    assert [rule.headers for rule in loaded.settings.rules] == [{"X-Listed": "1"}]
    # An empty list reads nothing, even a _headers at the top of the root.
    assert load_settings({"import": []}, cwd=tmp_path).settings.rules == []


def test_environment_names_the_files(tmp_path: Path) -> None:
    _site(tmp_path)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "_redirects").write_text("/a /b 302\n")
    loaded = load_settings(cwd=tmp_path, environ={"SERVESTATIC_IMPORT": '["conf/_redirects"]'})
    assert loaded.source_of("import") == "SERVESTATIC_IMPORT"
    assert [(r.from_, r.status) for r in loaded.settings.redirects] == [("/a", 302)]


def test_a_missing_listed_file_is_an_error(tmp_path: Path) -> None:
    _site(tmp_path, toml='import = ["nope"]\n')
    with pytest.raises(ConfigError, match=r"nope: cannot read the file"):
        _ = load_settings(cwd=tmp_path).settings


@pytest.mark.parametrize(
    ("line", "key", "reason"),
    [
        ("/api/* https://api.example.com/:splat 200", "to", "proxying to another origin"),
        ("/ /fr 302 Country=fr", "condition", "every country"),
        ("/store id=:id /blog/:id 301", "query", "path only"),
        ("https://old.example.com/* /:splat 301", "from", "every host"),
        ("/gone /index.html 410", "status", "status 410"),
        ("/app/* /app/index.html 200", "to", "one SPA fallback"),
        ("/x /other.html 404", "to", "one 404 page"),
        ("/x/*.js /404.html 404", "from", "spa.exclude takes globs"),
        ("/evil //evil.example 301", "to", "open redirect"),
        ("/up /../../etc/passwd 301", "to", "'..' segments"),
        ("/a/*/b /c 301", "from", "'*'"),
        ("/%2A /c 301", "from", "encoded"),
    ],
)
def test_what_cannot_be_expressed_is_an_error_naming_the_line(
    tmp_path: Path, line: str, key: str, reason: str
) -> None:
    _site(tmp_path, redirects=f"# first\n/ok /fine 301\n{line}\n")
    loaded = load_settings(cwd=tmp_path)
    [problem] = loaded.errors
    assert problem.source == "site/_redirects:3"
    assert problem.key.split(".")[0] == key
    assert reason in problem.message
    assert str(problem).startswith(f"site/_redirects:3 → {problem.key}: ")


def test_a_file_over_the_size_limit_is_an_error_naming_it(tmp_path: Path) -> None:
    _site(tmp_path, headers="/*\n  X-A: 1\n" + "# padding\n" * 500_000)
    [problem] = load_settings(cwd=tmp_path).errors
    assert problem.source == "site/_headers"
    assert "larger than 4194304 bytes" in problem.message


def test_forced_404_and_fallback_lines_answer_existing_files_as_misses(tmp_path: Path) -> None:
    """``FROM /404.html 404!`` and ``FROM /index.html 200!`` (the 404 page, the fallback)
    over files: those files are answered as misses (deny rules), as those hosts would."""
    redirects = "/blog/* /404.html 404!\n/old.html /index.html 200!\n/* /index.html 200\n"
    _site(tmp_path, redirects=redirects)
    loaded = load_settings(cwd=tmp_path)
    denied = [rule for rule in loaded.settings.rules if rule.deny]
    assert [rule.name for rule in denied][1:] == ["site/_redirects:1", "site/_redirects:2"]
    assert loaded.settings.spa.exclude == ["/blog/**"]
    status, _ = _answer(tmp_path, "/blog/post.html")  # a file: the 404 page, not the post
    assert status == 404
    app = ServeStaticASGI(None, settings=load_settings(cwd=tmp_path))
    fallback = servestatic_answer(app, Request("GET", "/old.html"))
    assert (fallback.status, fallback.body) == (200, b"<h1>home</h1>")


def test_header_injection_and_bad_names_are_errors_naming_the_line(tmp_path: Path) -> None:
    _site(tmp_path, headers="/a\n  Content-Length: 5\n/b\n  X-A: 1\rInjected: 1\n")
    errors = load_settings(cwd=tmp_path).errors
    assert [problem.source for problem in errors] == ["site/_headers:4", "site/_headers:1"]


def test_non_utf8_file_names_its_line(tmp_path: Path) -> None:
    _site(tmp_path)
    (tmp_path / "site" / "_headers").write_bytes(b"/a\n  X-A: \xe9t\xe9\n")
    [problem] = load_settings(cwd=tmp_path).errors
    assert problem.source == "site/_headers:2"
    assert "UTF-8" in problem.message


def test_placeholders_and_splats_match_as_the_hosts_document() -> None:
    assert pattern_for("/blog/:year/*") == {"match": ["/blog/*/**"]}
    assert pattern_for("/a[1]/x") == {"match": [r"/a\[1\]/x"]}
    regex = pattern_for("/assets/*.js")["regex"]
    assert regex == r"\A/assets/.*\.js\Z"


def test_splat_and_placeholder_headers_apply(tmp_path: Path) -> None:
    _site(tmp_path, "/blog/:slug\n  X-Post: 1\n/*.js\n  X-Js: 1\n")
    assert _answer(tmp_path, "/blog/post.html")[1]["x-post"] == "1"
    assert "x-post" not in _answer(tmp_path, "/index.html")[1]
    assert _answer(tmp_path, "/app.js")[1]["x-js"] == "1"


def test_toml_rules_win_over_imported_and_detach_removes(tmp_path: Path) -> None:
    toml = '[[rules]]\nmatch = "/app.js"\nheaders = { X-Who = "toml" }\n'
    _site(
        tmp_path, "/*\n  X-Who: file\n  X-Robots-Tag: noindex\n/*.js\n  ! X-Robots-Tag\n", toml=toml
    )
    headers = _answer(tmp_path, "/app.js")[1]
    assert headers["x-who"] == "toml"
    assert "x-robots-tag" not in headers
    assert _answer(tmp_path, "/index.html")[1]["x-robots-tag"] == "noindex"


def test_imported_cache_control_replaces_the_default(tmp_path: Path) -> None:
    _site(tmp_path, "/*.js\n  Cache-Control: public, max-age=31536000, immutable\n")
    assert _answer(tmp_path, "/app.js")[1]["cache-control"] == "public, max-age=31536000, immutable"


def test_redirects_shadowing_force_and_configured_first(tmp_path: Path) -> None:
    toml = '[[redirects]]\nfrom = "/a"\nto = "/toml"\n'
    _site(tmp_path, redirects="/a /file 301\n/old.html /new 301\n/app.js /new 302!\n", toml=toml)
    assert _answer(tmp_path, "/a")[1]["location"] == "/toml"
    # Without "!": the file at the path wins, as on Netlify and Cloudflare Pages.
    assert _answer(tmp_path, "/old.html")[0] == 200
    assert _answer(tmp_path, "/app.js")[0] == 302


def test_unforced_redirects_give_way_to_files_in_autorefresh_too(tmp_path: Path) -> None:
    _site(tmp_path, redirects="/old.html /new 301\n/gone /new 302\n", toml="autorefresh = true\n")
    assert _answer(tmp_path, "/old.html")[0] == 200
    assert _answer(tmp_path, "/gone") == (302, _answer(tmp_path, "/gone")[1])
    assert _answer(tmp_path, "/gone")[1]["location"] == "/new"


@pytest.mark.parametrize("autorefresh", [False, True])
def test_a_file_meets_the_first_forced_redirect_and_a_miss_the_first_of_all(
    tmp_path: Path, autorefresh: bool, cli: Cli
) -> None:
    """An unforced line before a forced one: the file skips the first, a miss takes it; the
    start-up index and autorefresh agree, and explain names the line that answered."""
    toml = f"autorefresh = {'true' if autorefresh else 'false'}\n"
    redirects = "/blog/:name /first/:name 301\n/blog/* /second/:splat 302!\n"
    _site(tmp_path, redirects=redirects, toml=toml)
    assert _answer(tmp_path, "/blog/post.html")[1]["location"] == "/second/post.html"
    assert _answer(tmp_path, "/blog/gone")[1]["location"] == "/first/gone"
    out, _ = cli("explain", "/blog/post.html")
    assert "redirect 302 to /second/post.html (site/_redirects:2)" in out
    out, _ = cli("explain", "/blog/gone")
    assert "redirect 301 to /first/gone (site/_redirects:1)" in out


def test_spa_fallback_and_404_page(tmp_path: Path) -> None:
    _site(tmp_path, redirects="/blog/* /404.html 404\n/* /index.html 200\n")
    loaded = load_settings(cwd=tmp_path)
    assert loaded.settings.spa.fallback == "/index.html"
    assert loaded.source_of("spa.fallback") == "site/_redirects:2"
    assert loaded.settings.spa.exclude == ["/blog/**"]
    assert loaded.settings.errors.not_found == "/404.html"
    assert _answer(tmp_path, "/anything/app.css")[0] == 200  # the hosts fall back for all
    assert _answer(tmp_path, "/blog/missing")[0] == 404


def test_configured_fallback_wins_with_a_warning(tmp_path: Path) -> None:
    _site(tmp_path, redirects="/* /other.html 200\n", toml='spa.fallback = "/index.html"\n')
    loaded = load_settings(cwd=tmp_path)
    assert loaded.settings.spa.fallback == "/index.html"
    [warning] = loaded.warnings
    assert warning.source == "site/_redirects:1"
    assert "servestatic.toml" in warning.message


def test_cloudflare_limits_are_warnings(tmp_path: Path) -> None:
    blocks = "".join(f"/p{n}\n  X-N: {n}\n" for n in range(101))
    _site(tmp_path, blocks)
    warnings = [w for w in load_settings(cwd=tmp_path).warnings if w.kind == "import_limit"]
    assert len(warnings) == 1
    assert "100" in warnings[0].message


def test_check_and_explain_name_the_lines(tmp_path: Path, cli: Cli) -> None:
    _site(tmp_path, "# security\n/*\n  X-Frame-Options: DENY\n", "\n/old /blog/post.html 301\n")
    out, _ = cli("check")
    assert "sources read, highest first: servestatic.toml, site/_headers, site/_redirects" in out
    assert "rule site/_headers:2 (/**): " in out
    out, _ = cli("explain", "/app.js")
    assert "  site/_headers:2: /**\n" in out
    out, _ = cli("explain", "/old")
    assert "/old: redirect 301 to /blog/post.html (site/_redirects:2)" in out


def test_check_reports_every_line_problem(tmp_path: Path, cli: Cli) -> None:
    _site(tmp_path, "/a\n  Bad Name: 1\n", "/api/* https://api.example.com/:splat 200\n")
    _, err = cli("check", status=2)
    assert "site/_headers:1 → headers" in err
    assert "site/_redirects:1 → to: proxying to another origin" in err


ROUND_TRIP = """root = "site"
max_age = 300
[[rules]]
match = "/*.js"
immutable = true
headers = { X-Kind = "script" }
[[rules]]
match = "/blog/**"
headers = { X-Blog = "1" }
append = { Vary = "Cookie" }
[[redirects]]
from = "/old"
to = "/blog/post.html"
[[redirects]]
from = "/b/*"
to = "/blog/:splat"
status = 302
[spa]
fallback = "/index.html"
exclude = []
[errors]
not_found = "/404.html"
"""


def test_export_then_import_answers_the_same(tmp_path: Path) -> None:
    """``servestatic export netlify`` → those files as the only configuration of the same
    root → every URL answers with the same status, Location and headers."""
    _site(tmp_path)
    (tmp_path / "servestatic.toml").write_text(ROUND_TRIP)
    assert (
        run(
            [
                "export",
                "netlify",
                str(tmp_path / "out"),
                "--config",
                str(tmp_path / "servestatic.toml"),
            ]
        )
        == 0
    )
    imported = tmp_path / "imported"
    imported.mkdir()
    (imported / "servestatic.toml").write_text(
        f'root = "{tmp_path / "site"}"\nimport = ["../out/_headers", "../out/_redirects"]\n'
    )
    loaded = load_settings(cwd=imported)
    assert loaded.errors == ()
    original = ServeStaticASGI(None, settings=load_settings(cwd=tmp_path))
    copy = ServeStaticASGI(None, settings=loaded)
    skip = {"etag", "last-modified", "content-length", "accept-ranges", "date"}
    urls = ["/", "/index.html", "/app.js", "/old.html", "/blog/post.html", "/404.html"]
    urls += ["/old", "/b/post.html", "/missing", "/blog/missing.css"]
    for url in urls:
        ours = servestatic_answer(original, Request("GET", url))
        theirs = servestatic_answer(copy, Request("GET", url))
        assert ours.status == theirs.status, url
        assert ours.body == theirs.body, url
        mine = sorted((n.lower(), v) for n, v in ours.headers if n.lower() not in skip)
        other = sorted((n.lower(), v) for n, v in theirs.headers if n.lower() not in skip)
        assert mine == other, url
