"""``servestatic explain`` is the server: for every URL of the test trees (and forms of them a
client may send), and for Hypothesis-generated targets, the status and headers ``explain``
prints equal those of a real request to the WSGI and the ASGI application."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, unquote_to_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servestatic.app import create_asgi, create_wsgi
from servestatic.cli import main
from tests.client import call_asgi, run_wsgi
from tests.conftest import write
from tests.security.hostile import make_hostile_tree
from tests.startup import startup_messages

Headers = list[tuple[str, str]]

CONFIGS = {
    # Index files, a deny rule, presets, a redirect, an immutable rule.
    "index": (
        'index_file = true\n[security]\npreset = "basic"\n'
        '[[redirects]]\nfrom = "/old/*"\nto = "/docs/:splat"\n'
        '[[rules]]\nmatch = "/**/*.bin"\ndeny = true\n'
        '[[rules]]\nname = "hashed"\nregex = "\\\\.[0-9a-f]{12}\\\\."\nimmutable = true\n'
    ),
    # A prefix, the SPA fallback and a 404 page.
    "spa": (
        'prefix = "/static/"\n[spa]\nfallback = "/static/index.html"\n'
        '[errors]\nnot_found = "/static/docs/index.html"\n'
    ),
    # The same answers looked up on disk per request.
    "autorefresh": "autorefresh = true\nindex_file = true\n[hidden]\nserve_dotfiles = true\n",
    # Clean URLs (issue 18) under each trailing-slash policy, from the index and the disk.
    "clean": "index_file = true\nclean_urls = true\n",
    "clean-add": 'index_file = true\nclean_urls = true\ntrailing_slash = "add"\n',
    "clean-remove-autorefresh": (
        'autorefresh = true\nindex_file = true\nclean_urls = true\ntrailing_slash = "remove"\n'
    ),
    "clean-ignore": 'clean_urls = true\ntrailing_slash = "ignore"\n',
}


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import gzip

    site = tmp_path_factory.mktemp("site")
    body = b"function hello() { return 'hello world'; }\n" * 40
    write(site / "app.js", body)
    write(site / "app.js.gz", gzip.compress(body, mtime=0))
    write(site / "app.db8f2edc0c8a.js", "immutable();")
    write(site / "docs" / "index.html", "<h1>docs</h1>")
    write(site / "docs" / "guide.html", "<h1>guide</h1>")
    write(site / "index.html", "<h1>home</h1>")
    write(site / "downloads" / "résumé.pdf", "%PDF")
    write(site / "naïve café.txt", "unicode name")
    write(site / "with space.txt", "space")
    write(site / "data.bin", bytes(range(256)))
    write(site / ".hidden", "dotfile")
    write(site / ".well-known" / "security.txt", "Contact: x")
    write(site / "empty.txt", b"")
    # Issue 18: a page for clean URLs, a Vite-style name (the Vite preset's rules), and an
    # original name a build manifest maps to a hashed file.
    write(site / "about.html", "<h1>about</h1>")
    write(site / "assets" / "index-BxY3kQ_9.js", "vite();")
    write(site / "style.0123456789ab.css", "body{}")
    write(site / "staticfiles.json", '{"paths": {"style.css": "style.0123456789ab.css"}}')
    hostile = make_hostile_tree(tmp_path_factory.mktemp("hostile")).root
    return {"site": site, "hostile": hostile}


def _urls(root: Path) -> list[str]:
    """Every file and directory URL of a tree, in the forms a client may send them."""
    found: set[str] = set()
    for directory, names, files in os.walk(root):
        relative = Path(directory).relative_to(root).as_posix()
        base = "/" if relative == "." else f"/{relative}/"
        found.add(base)
        found.add(base.rstrip("/") or "/")
        for name in [*files, *names]:
            found.add(base + name)
            if name.endswith(".html"):  # its clean URL, in both trailing-slash forms
                found.update({base + name[:-5], base + name[:-5] + "/"})
    targets = set()
    for url in found:
        targets.add(quote(url))  # what a browser sends
        targets.add(quote(url) + "?v=1")
        targets.add(quote(url, safe="/").replace("%2F", "/").upper().replace("%2E", "%2e"))
        targets.add("http://example.com" + quote(url))  # a pasted full URL
        if url.isascii():
            targets.add(url)
    targets.update({"/missing.js", "/a%2Fb", "/docs/..%2findex.html", "/%2e%2e/etc/passwd"})
    targets.update({"/style.css", "/style.css/"})  # a manifest's original name
    return sorted(targets)


def _request_parts(target: str) -> tuple[str, str]:
    if target.startswith("http://"):
        target = "/" + target.split("/", 3)[3]
    path, _, query = target.partition("?")
    return path, query


def real_wsgi(target: str, method: str, headers: Headers) -> tuple[int, Headers]:
    """What a WSGI server hands the application for this request target."""
    path, query = _request_parts(target)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "REQUEST_URI": path + (f"?{query}" if query else ""),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": None,
    }
    for name, value in headers:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    response = run_wsgi(create_wsgi(), environ)
    return response.status, [(name.lower(), value) for name, value in response.header_list]


def real_asgi(target: str, method: str, headers: Headers) -> tuple[int, Headers]:
    """What an ASGI server (uvicorn) puts in the scope for this request target."""
    path, query = _request_parts(target)
    response = call_asgi(
        create_asgi(),
        unquote(path),
        method=method,
        headers=headers,
        query=query,
        raw_path=path.encode("latin-1"),
    )
    return response.status, [(name.lower(), value) for name, value in response.header_list]


def explained(target: str, method: str, headers: Headers) -> tuple[int, Headers]:
    arguments = ["explain", target, "-X", method]
    for name, value in headers:
        arguments += ["-H", f"{name}: {value}"]
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        main(arguments)
    lines = output.getvalue().splitlines()
    status_line = next(line for line in lines if line.startswith("response: "))
    start = lines.index("response headers:") + 1
    found = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        name, _, value = line.strip().partition(": ")
        found.append((name.lower(), value))
    return int(status_line.split()[1]), found


@contextlib.contextmanager
def configured(cwd: Path, root: Path, config: str) -> Iterator[None]:
    (cwd / "servestatic.toml").write_text(f'root = "{root}"\n{config}')
    with startup_messages():
        yield


#: (tree, configuration): every configuration over the test site, and the hostile tree's
#: names under all but two clean-URL policies (its odd names meet the same resolution).
TREE_CASES = [
    (tree, config)
    for config in sorted(CONFIGS)
    for tree in ("site", "hostile")
    if tree == "site" or config not in {"clean-add", "clean-ignore"}
]


@pytest.mark.parametrize(("tree", "config"), TREE_CASES)
def test_every_url_of_the_trees(
    tree: str, config: str, trees: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    root = trees[tree]
    prefix = "/static" if config == "spa" else ""
    with configured(tmp_path, root, CONFIGS[config]):
        for url in _urls(root):
            target = prefix + url if url.startswith("/") else url.replace(".com/", f".com{prefix}/")
            for method, headers in [("GET", []), ("HEAD", [("Accept-Encoding", "gzip")])]:
                expected = explained(target, method, headers)
                assert real_wsgi(target, method, headers) == expected, (target, "wsgi")
                assert real_asgi(target, method, headers) == expected, (target, "asgi")


SEGMENTS = st.sampled_from(
    [
        "app.js",
        "docs",
        "index.html",
        "guide.html",
        "guide",
        "about",
        "style.css",
        "downloads",
        "r%C3%A9sum%C3%A9.pdf",
        "na%C3%AFve%20caf%C3%A9.txt",
        ".hidden",
        ".well-known",
        "security.txt",
        "data.bin",
        "old",
        "static",
        "",
        ".",
        "..",
        "%2e%2e",
        "%2F",
        "%5C",
        "%00",
        "%FF",
        "a b",
        "app.js.gz",
        "CON",
        "x:y",
    ]
)
TARGETS = st.builds(
    lambda parts, query: "/" + "/".join(parts) + query,
    st.lists(SEGMENTS, max_size=4),
    st.sampled_from(["", "?a=1", "?x=%20y"]),
)
REQUEST_HEADERS = st.lists(
    st.sampled_from(
        [
            ("Accept-Encoding", "gzip"),
            ("Accept-Encoding", "br;q=0, gzip;q=0"),
            ("Range", "bytes=0-3"),
            ("Range", "bytes=5-1"),
            ("Origin", "https://a.example"),
            ("If-Modified-Since", "Wed, 21 Oct 2099 07:28:00 GMT"),
        ]
    ),
    max_size=2,
    unique_by=lambda pair: pair[0],
)


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_generated_requests(
    config: str, trees: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        target=TARGETS,
        method=st.sampled_from(["GET", "HEAD", "POST", "OPTIONS"]),
        headers=REQUEST_HEADERS,
    )
    def check(target: str, method: str, headers: Headers) -> None:
        expected = explained(target, method, headers)
        assert real_wsgi(target, method, headers) == expected, (target, "wsgi")
        assert real_asgi(target, method, headers) == expected, (target, "asgi")

    with configured(tmp_path, trees["site"], CONFIGS[config]):
        check()


def test_the_issue_examples(
    trees: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A percent-encoded name is the file; a pasted full URL is its path; a denied URL
    names the rule that denies it."""
    monkeypatch.chdir(tmp_path)
    with configured(tmp_path, trees["site"], CONFIGS["index"]):
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            assert main(["explain", "/downloads/r%C3%A9sum%C3%A9.pdf"]) == 0
            assert main(["explain", "https://example.com/docs/guide.html?x=1"]) == 0
            assert main(["explain", "/data.bin"]) == 1
            assert main(["explain", "/.hidden"]) == 1
    lines = output.getvalue().splitlines()
    assert f"/downloads/résumé.pdf: file {trees['site']}/downloads/résumé.pdf (status 200)" in lines
    assert f"/docs/guide.html: file {trees['site']}/docs/guide.html (status 200)" in lines
    assert (
        "/data.bin: no file (denied by rule #1 (/**/*.bin): deny = true); the server answers 404"
        in lines
    )
    assert (
        "/.hidden: no file (a dot segment: hidden files are not served (see [hidden] in the "
        "configuration)); the server answers 404" in lines
    )


@pytest.mark.parametrize("config", ["clean", "clean-remove-autorefresh"])
def test_a_clean_url_is_explained_as_its_page(
    config: str, trees: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``/about`` is answered by ``about.html`` and ``/style.css`` by the hashed file a
    manifest maps it to: explain names the file and says why, with the server's answer."""
    monkeypatch.chdir(tmp_path)
    site = trees["site"]
    with configured(tmp_path, site, CONFIGS[config]):
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            assert main(["explain", "/about"]) == 0
            assert main(["explain", "/style.css"]) == 0
        for target in ("/about", "/about.html", "/style.css"):
            expected = explained(target, "GET", [])
            assert real_wsgi(target, "GET", []) == expected, target
            assert real_asgi(target, "GET", []) == expected, target
    lines = output.getvalue().splitlines()
    assert f"/about: file {site}/about.html (status 200)" in lines
    assert "  clean URL: /about.html served at /about" in lines
    assert f"/style.css: file {site}/style.0123456789ab.css (status 200)" in lines
    assert "  original name of /style.0123456789ab.css (staticfiles.json), not immutable" in lines
    assert explained("/about.html", "GET", [])[0] == 308  # the .html form redirects


def test_explain_and_the_rule_counts_match_an_original_name_as_the_server_does(
    tmp_path: Path,
) -> None:
    from servestatic.config import Settings
    from servestatic.http.records import Request
    from servestatic.serve.engine import Engine, explain, rule_usage

    write(tmp_path / "lib.0123456789ab.js", "library();")
    write(tmp_path / "staticfiles.json", '{"paths": {"lib.js": "lib.0123456789ab.js"}}')
    rules = [
        {"name": "hashed", "match": "/lib.0123456789ab.js", "headers": {"X-Hashed": "1"}},
        {"name": "original", "match": "/lib.js", "headers": {"X-Original": "1"}},
    ]
    engine = Engine(Settings.model_validate({"root": tmp_path, "rules": rules}), standalone=True)
    # The original name is served with the hashed file's bytes; the rules match the name
    # requested, never the hashed one (the server's truth, from its own headers).
    for path, name, header in (
        ("/lib.js", "original", "X-Original"),
        ("/lib.0123456789ab.js", "hashed", "X-Hashed"),
    ):
        explained = explain(engine, Request("GET", path))
        assert explained.plan is not None
        sent = {key.lower() for key, _ in explained.plan.headers.pairs}
        assert sent & {"x-hashed", "x-original"} == {header.lower()}
        assert [rule.name for rule in explained.rules] == [name]
    assert rule_usage(engine) == {1: 1, 2: 1}


def test_the_preset_report_covers_an_original_name_as_the_server_does(tmp_path: Path) -> None:
    from servestatic.config import Settings
    from servestatic.http.records import Request
    from servestatic.serve.engine import Engine, explain, preset_report

    hashed = "main.0123456789abcdef.js"
    write(tmp_path / hashed, "main();")
    write(tmp_path / "staticfiles.json", json.dumps({"paths": {"main.js": hashed}}))
    settings = Settings.model_validate({"root": tmp_path, "presets": "webpack"})
    engine = Engine(settings, standalone=True)
    # The preset's rule (content-hashed names) shapes the hashed URL, not the original.
    assert [rule.preset for rule in explain(engine, Request("GET", "/" + hashed)).rules] == [
        "webpack"
    ]
    assert explain(engine, Request("GET", "/main.js")).rules == []
    report = "\n".join(preset_report(engine))
    assert f"1 URLs (/{hashed})" in report
    assert "/main.js" not in report
