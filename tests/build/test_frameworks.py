"""Issue 18 on the build side: no double hashing, entry points kept, the README's build →
serve flow, per-page hints and CSP hashes, and the hints helper for dynamic views."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from servestatic.build.pages import analyse_page
from servestatic.cli import main, run
from servestatic.hints import ManifestHints, send_early_hints, with_early_hints
from tests.build.helpers import write
from tests.client import make_server


def _paths(dest: Path) -> dict[str, str]:
    paths: dict[str, str] = json.loads((dest / "staticfiles.json").read_text())["paths"]
    return paths


@pytest.fixture
def readme_site(tmp_path: Path) -> Path:
    """A hand-written site, as the README's `servestatic src/ dist/ --all` expects."""
    src = tmp_path / "src"
    write(
        src / "index.html",
        '<!doctype html><link rel="stylesheet" href="css/app.css">'
        '<script type="module" src="js/app.js"></script><h1>home</h1>',
    )
    write(src / "about" / "index.html", "<p>about</p>")
    write(src / "css" / "app.css", "h1{background:url(../img/dot.png)}")
    write(src / "img" / "dot.png", b"\x89PNG dot")
    write(src / "js" / "app.js", 'import "./util.js";\n')
    write(src / "js" / "util.js", "export const x = 1;\n")
    write(src / "sw.js", 'import "./js/util.js";\n')
    write(src / "robots.txt", "User-agent: *\n")
    write(src / "site.webmanifest", "{}")
    write(src / ".well-known" / "security.txt", "Contact: mailto:a@example.com\n")
    return src


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
@pytest.mark.parametrize("autorefresh", [False, True])
def test_the_readme_flow_serves_every_original_name(
    readme_site: Path, tmp_path: Path, kind: str, autorefresh: bool
) -> None:
    """`servestatic src/ dist/ --all` then `servestatic serve dist` (index_file on): `/`,
    `/index.html` and every original name answer, originals with short-lived caching and
    hashed names immutable."""
    dest = tmp_path / "dist"
    assert main([str(readme_site), str(dest), "--all", "-q"]) == 0
    paths = _paths(dest)
    server = make_server(kind, None, str(dest), index_file=True, autorefresh=autorefresh)
    home = server.get("/")
    assert home.status == 200
    assert "<h1>home</h1>" in home.text
    assert server.get("/index.html").header("location") == "./"
    assert server.get("/about/").text == "<p>about</p>"
    for name, hashed in paths.items():
        if name.endswith("index.html"):
            continue  # answered at its directory's URL (above)
        original, copy = server.get("/" + name), server.get("/" + hashed)
        assert original.status == 200, name
        assert original.body == copy.body == (dest / hashed).read_bytes(), name
        assert "immutable" not in (original.header("cache-control") or ""), name
        assert copy.header("cache-control") == "max-age=315360000, public, immutable", hashed
    # The service worker kept under its name carries the rewritten import.
    assert (dest / "sw.js").read_bytes() == (dest / paths["sw.js"]).read_bytes()
    assert paths["js/util.js"].split("/")[-1] in (dest / "sw.js").read_text()


def test_servestatic_output_is_kept_and_entry_points_are_added(
    readme_site: Path, tmp_path: Path
) -> None:
    """Everything ServeStatic's --hash writes is there (same names, manifest ``paths``);
    entry points are added under their own names, other originals are removed as before."""
    dest = tmp_path / "dist"
    assert main([str(readme_site), str(dest), "--hash", "--manifest", "-q"]) == 0
    paths = _paths(dest)
    for name, hashed in paths.items():
        assert hashed != name
        assert (dest / hashed).is_file()
    kept = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    entry_points = {
        "index.html",
        "about/index.html",
        "sw.js",
        "robots.txt",
        "site.webmanifest",
        ".well-known/security.txt",
    }
    assert entry_points <= kept
    assert not {"css/app.css", "js/app.js", "js/util.js", "img/dot.png"} & kept


@pytest.fixture
def vite_tree(tmp_path: Path) -> Path:
    """Vite's output layout (`vite build`): hashed assets referring to each other."""
    src = tmp_path / "vite"
    write(
        src / "index.html",
        '<script type="module" crossorigin src="/assets/index-BxY3kQ_9.js"></script>'
        '<link rel="stylesheet" crossorigin href="/assets/index-DiwrgTda.css">',
    )
    write(src / "assets" / "index-BxY3kQ_9.js", 'import("./lazy-Ab12Cd34.js");\n')
    write(src / "assets" / "lazy-Ab12Cd34.js", "export default 1;\n")
    write(src / "assets" / "index-DiwrgTda.css", "h1{background:url(./dot-Zz9Yy8Xx.svg)}")
    write(src / "assets" / "dot-Zz9Yy8Xx.svg", "<svg/>")
    write(src / "favicon.svg", "<svg/>")
    return src


@pytest.fixture
def webpack_tree(tmp_path: Path) -> Path:
    """webpack's layout ([contenthash] names, webpack-manifest-plugin's manifest.json)."""
    src = tmp_path / "webpack"
    write(src / "index.html", '<script defer src="/main.3f2a1b4c5d6e7f801234.js"></script>')
    write(src / "main.3f2a1b4c5d6e7f801234.js", 'import("./lazy.9b8c7d6e5f4a3b2c1d0e.js")')
    write(src / "lazy.9b8c7d6e5f4a3b2c1d0e.js", "1")
    write(src / "dot.5d41402abc4b2a76b971.svg", "<svg/>")
    write(src / "manifest.json", json.dumps({"main.js": "/main.3f2a1b4c5d6e7f801234.js"}))
    return src


@pytest.mark.parametrize("tree", ["vite_tree", "webpack_tree"])
def test_a_bundlers_hashed_names_are_not_hashed_again(
    tree: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    src: Path = request.getfixturevalue(tree)
    dest = tmp_path / "dist"
    assert main([str(src), str(dest), "--all", "-q"]) == 0
    paths = _paths(dest)
    bundled = [n for n in paths if not n.endswith((".html", ".json")) and n != "favicon.svg"]
    assert bundled
    for name in bundled:
        assert paths[name] == name  # maps to itself
        assert (dest / name).read_bytes() == (src / name).read_bytes()  # untouched
    assert paths["index.html"] != "index.html"  # ServeStatic still hashes the page...
    assert (dest / "index.html").is_file()  # ...and its own name stays


def test_hints_and_csp_hashes_are_recorded_per_page(vite_tree: Path, tmp_path: Path) -> None:
    write(vite_tree / "index.html", (vite_tree / "index.html").read_text() + "<script>a()</script>")
    dest = tmp_path / "dist"
    assert main([str(vite_tree), str(dest), "--all", "--csp-hashes", "-q"]) == 0
    document = json.loads((dest / "staticfiles.json").read_text())
    record = document["pages"]["index.html"]
    assert record["links"] == [
        {"href": "/assets/index-BxY3kQ_9.js", "rel": "modulepreload", "crossorigin": ""},
        {"href": "/assets/index-DiwrgTda.css", "rel": "preload", "as": "style", "crossorigin": ""},
    ]
    digest = base64.b64encode(hashlib.sha256(b"a()").digest()).decode()
    assert record["csp"] == {"script-src": [f"'sha256-{digest}'"], "style-src": []}
    assert document["pages"][_paths(dest)["index.html"]] == record
    without = tmp_path / "plain"
    assert main([str(vite_tree), str(without), "--manifest", "--no-hints", "-q"]) == 0
    assert "pages" not in json.loads((without / "staticfiles.json").read_text())


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_page_analysis_follows_the_html_standard() -> None:
    html = (
        b"<!doctype html><html><head>"
        b'<link rel="stylesheet" href="../css/a.css?v=2#x" media="print">'
        b'<link rel="alternate stylesheet" href="alt.css">'
        b'<link rel="preload" href="f.woff2" as="font" type="font/woff2">'
        b'<link rel="preload" href="x.bin" as="bogus">'
        b'<link rel="modulepreload" href="https://cdn.example/m.js">'
        b'<script src="classic.js"></script><script nomodule src="legacy.js"></script>'
        b"<script>\r\nvar s = '</scr' + 'ipt>';\r\n</script>"
        b'<script type="application/ld+json">{"a": 1}</script>'
        b"<style>p{color:red}</style><template><script>inert()</script></template>"
        b"</head><body></body></html>"
    )
    record = analyse_page(html, "blog/post.html", csp=True)
    assert record["links"] == [
        {"href": "css/a.css?v=2", "rel": "preload", "as": "style", "media": "print"},
        {"href": "blog/f.woff2", "rel": "preload", "as": "font", "type": "font/woff2",
         "crossorigin": ""},
        {"href": "blog/classic.js", "rel": "preload", "as": "script"},
    ]  # fmt: skip
    # CR LF is normalised to LF before the text is hashed (HTML §13.2.3.5), the JSON-LD
    # data block runs nothing, and the template's script is inert.
    assert record["csp"] == {
        "script-src": [_sha("\nvar s = '</scr' + 'ipt>';\n")],
        "style-src": [_sha("p{color:red}")],
    }
    assert "csp" not in analyse_page(html, "blog/post.html", csp=False)


def test_without_the_parser_the_build_says_so(
    readme_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setattr("servestatic.build.pipeline.parser_available", lambda: False)
    assert main([str(readme_site), str(tmp_path / "dist"), "--manifest"]) == 0
    assert "pip install 'servestatic[build]'" in capsys.readouterr().err
    assert "pages" not in json.loads((tmp_path / "dist" / "staticfiles.json").read_text())
    # Asked for by name, CSP hashes are refused before anything is written (a page served
    # under a CSP without them would break).
    other = tmp_path / "other"
    assert run([str(readme_site), str(other), "--all", "--csp-hashes"]) == 2
    error = capsys.readouterr().err
    assert "--csp-hashes" in error
    assert "pip install 'servestatic[build]'" in error
    assert not other.exists()


# ---------------------------------------------------------------------- the helper


def test_manifest_hints_for_dynamic_views(readme_site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dist"
    assert main([str(readme_site), str(dest), "--all", "-q"]) == 0
    paths = _paths(dest)
    hints = ManifestHints(dest, prefix="static")
    assert hints.url("css/app.css") == "/static/" + paths["css/app.css"]
    assert hints.link("css/app.css", "js/app.js", "fonts/a.woff2") == (
        f"</static/{paths['css/app.css']}>; rel=preload; as=style, "
        f"</static/{paths['js/app.js']}>; rel=preload; as=script, "
        "</static/fonts/a.woff2>; rel=preload; as=font; crossorigin"
    )
    assert hints.link("js/app.js", module=True).endswith("rel=modulepreload")
    assert hints.page("index.html") == (
        "</static/css/app.css>; rel=preload; as=style, </static/js/app.js>; rel=modulepreload"
    )
    assert hints.page("nope.html") is None


def test_with_early_hints_in_a_starlette_view(readme_site: Path, tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from tests.client import call_asgi

    dest = tmp_path / "dist"
    assert main([str(readme_site), str(dest), "--all", "-q"]) == 0
    hints = ManifestHints(dest)

    async def page(request: Request) -> Any:
        return with_early_hints(HTMLResponse("<h1>dynamic</h1>"), hints.link("css/app.css"))

    app = Starlette(routes=[Route("/", page)])
    offered = call_asgi(app, "/", extensions={"http.response.early_hint": {}})
    assert offered.messages[0] == {
        "type": "http.response.early_hint",
        "links": [hints.link("css/app.css").encode()],
    }
    assert offered.status == 200
    assert offered.header("link") == hints.link("css/app.css")
    plain = call_asgi(app, "/")
    assert plain.messages[0]["type"] == "http.response.start"
    assert plain.header("link") == hints.link("css/app.css")


def test_send_early_hints_needs_a_link_and_the_extension() -> None:
    import asyncio

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope: dict[str, Any] = {"extensions": {"http.response.early_hint": {}}}
    assert not asyncio.run(send_early_hints(scope, send, ""))
    assert not asyncio.run(send_early_hints({}, send, "</a.css>; rel=preload; as=style"))
    assert asyncio.run(send_early_hints(scope, send, "</a.css>; rel=preload; as=style"))
    assert sent == [
        {"type": "http.response.early_hint", "links": [b"</a.css>; rel=preload; as=style"]}
    ]
