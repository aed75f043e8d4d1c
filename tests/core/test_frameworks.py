"""Issue 18's pure parts: hashed-name recognition, entry points, bundler manifests, preset
evidence, CSP merging and the manifest's page records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servestatic.build.manifest import format_link, load_originals, load_pages
from servestatic.serve.entries import merge_csp
from servestatic.serve.frameworks import bundler_hashed, detect, is_entry_point, looks_hashed
from tests.build.helpers import write


@pytest.mark.parametrize(
    ("name", "hashed"),
    [
        ("assets/index-BxY3kQ_9.js", True),  # Vite
        ("assets/lazy-B1ag76s-.js", True),  # Vite (a '-' in the hash)
        ("_astro/index-DiwrgTda.css", True),  # Astro (Rollup names)
        ("assets/site-settings.js", False),  # a word, not a hash
        ("assets/logo-Overview.png", False),
        ("js/index-BxY3kQ_9.js", False),  # base64url hashes only where bundlers put them
        ("main.3f2a1b4c5d6e7f801234.js", True),  # webpack [contenthash]
        ("static/js/787.1a2b3c4d.chunk.js", True),  # create-react-app
        ("index.975ef6c8.js", True),  # Parcel
        ("css/app.48287836b981.css", True),  # Django / servestatic --hash
        ("main-5XJ2YQ7A.js", True),  # Angular
        ("a.12345678.js", False),  # digits only: a version, not a hash
        ("deadbeef.abcdefab.js", False),  # letters only
        ("app.js", False),
        ("MAIN-ABCDEFGH.js", False),
    ],
)
def test_looks_hashed(name: str, hashed: bool) -> None:
    assert looks_hashed(name) is hashed
    assert looks_hashed("/static/" + name) is hashed


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("index.html", True),
        ("docs/guide.htm", True),
        ("sw.js", True),
        ("app/ngsw-worker.js", True),
        ("robots.txt", True),
        (".well-known/security.txt", True),
        ("site.webmanifest", True),
        ("apple-touch-icon-180.png", True),
        ("app.js", False),
        ("css/robots.css", False),
    ],
)
def test_entry_points(name: str, entry: bool) -> None:
    assert is_entry_point(name) is entry


def test_bundler_manifests_list_their_hashed_files(tmp_path: Path) -> None:
    vite = {
        "index.html": {
            "file": "assets/index-BxY3kQ_9.js",
            "css": ["assets/index-DiwrgTda.css"],
            "assets": ["assets/logo-Zz9Yy8Xx.png", 3],
        },
        "odd": 4,
    }
    write(tmp_path / ".vite" / "manifest.json", json.dumps(vite))
    react = {"files": {"main.js": "/static/js/main.1a2b3c4d.js", "up": "../../etc/x.1a2b3c4d.js"}}
    write(tmp_path / "asset-manifest.json", json.dumps(react))
    write(tmp_path / "manifest.json", "[not an object]")
    assert bundler_hashed(str(tmp_path)) == {
        "assets/index-BxY3kQ_9.js",
        "assets/index-DiwrgTda.css",
        "assets/logo-Zz9Yy8Xx.png",
        "static/js/main.1a2b3c4d.js",
    }


def test_create_react_app_is_webpack(tmp_path: Path) -> None:
    write(tmp_path / "index.html", "")
    write(tmp_path / "static" / "js" / "main.1a2b3c4d.js", "")
    write(tmp_path / "static" / "js" / "main.1a2b3c4d.js.LICENSE.txt", "")
    files = {"files": {"main.js": "/static/js/main.1a2b3c4d.js"}}
    write(tmp_path / "asset-manifest.json", json.dumps(files))
    (preset,) = detect(str(tmp_path), "/")
    assert preset.name == "webpack"
    assert preset.evidence == (
        "file asset-manifest.json listing hashed names",
        "extracted licence file static/js/main.1a2b3c4d.js.LICENSE.txt",
    )
    assert all(rule.number < 0 and rule.preset == "webpack" for rule in preset.rules)


def test_hex_hashed_names_in_assets_are_not_vite(tmp_path: Path) -> None:
    """Django's (or ``servestatic --hash``'s) names in an ``assets/`` folder are no sign of
    Vite: its evidence is the Rollup form its own rule makes immutable."""
    write(tmp_path / "index.html", "")
    write(tmp_path / "assets" / "app.0123456789ab.css", "")
    write(tmp_path / "assets" / "app.3f9c1b2a.js", "")
    assert detect(str(tmp_path), "/") == []
    write(tmp_path / "assets" / "index-BxY3kQ_9.js", "")
    (preset,) = detect(str(tmp_path), "/")
    assert preset.name == "vite"
    assert preset.evidence == ("1 hashed names in assets/ such as assets/index-BxY3kQ_9.js",)


def test_presets_of_several_roots_never_share_numbers(tmp_path: Path) -> None:
    write(tmp_path / "a" / "_astro" / "x.css", "")
    write(tmp_path / "b" / "_app" / "immutable" / "x.js", "")
    first = detect(str(tmp_path / "a"), "/")
    second = detect(
        str(tmp_path / "b"), "/b/", first_number=min(r.number for r in first[0].rules) - 1
    )
    numbers = [rule.number for preset in first + second for rule in preset.rules]
    assert len(set(numbers)) == len(numbers)
    assert second[0].rules[0].regex is not None
    assert second[0].rules[0].regex.search("/b/_app/immutable/x.js")
    assert not second[0].rules[0].regex.search("/_app/immutable/x.js")


@pytest.mark.parametrize(
    ("policy", "merged"),
    [
        ("script-src 'self'", "script-src 'self' 'sha256-S'; "),
        (
            "SCRIPT-SRC 'self'; style-src 'self'",
            "script-src 'self' 'sha256-S'; style-src 'self' 'sha256-T'",
        ),
        (
            "script-src 'self'; script-src-elem 'self'",
            "script-src 'self' 'sha256-S'; script-src-elem 'self' 'sha256-S'",
        ),
        ("default-src 'none'", "default-src 'none'; script-src 'sha256-S'; style-src 'sha256-T'"),
        ("default-src 'self' 'unsafe-inline'", "default-src 'self' 'unsafe-inline'"),
        ("script-src 'self' 'sha256-S'", "script-src 'self' 'sha256-S'"),
        ("  ;;frame-ancestors 'none' ; ", "frame-ancestors 'none'"),
    ],
)  # fmt: skip
def test_merge_csp(policy: str, merged: str) -> None:
    styles = ("'sha256-T'",) if "style" in policy or "default" in policy else ()
    result = merge_csp(policy, ("'sha256-S'",), styles)
    assert result == merged.removesuffix("; ")


def test_page_records_are_validated(tmp_path: Path) -> None:
    pages = {
        "index.html": {
            "links": [
                {"href": "a.css", "rel": "preload", "as": "style", "media": "screen and (x)"},
                {"href": "b.js", "rel": "prefetch"},  # not a hint we send
                {"href": 3, "rel": "preload"},
                {"href": "/c.js", "rel": "modulepreload", "type": "bad\r\nvalue"},
                "not a record",
            ],
            "csp": {"script-src": ["'sha256-AAAA'", "'unsafe-inline'"], "style-src": "x"},
        },
        "../outside.html": {"links": [{"href": "a.css", "rel": "preload"}]},
        "empty.html": {"links": []},
        "odd.html": [],
    }
    write(tmp_path / "staticfiles.json", json.dumps({"pages": pages}))
    found = load_pages(str(tmp_path), "/s/")
    assert list(found) == [str(tmp_path / "index.html")]
    page = found[str(tmp_path / "index.html")]
    assert (
        page.link
        == '</s/a.css>; rel=preload; as=style; media="screen and (x)", </c.js>; rel=modulepreload'
    )
    assert page.script_hashes == ("'sha256-AAAA'",)
    assert page.style_hashes == ()
    assert load_pages(str(tmp_path), link=False, csp=False) == {}
    write(tmp_path / "staticfiles.json", "[]")
    assert load_pages(str(tmp_path)) == {}


def test_format_link_refuses_other_origins() -> None:
    assert format_link({"href": "//cdn.example/a.js", "rel": "preload"}) is None
    assert (
        format_link({"href": "a b.css?v=1", "rel": "preload"}, "/x/")
        == "</x/a%20b.css?v=1>; rel=preload"
    )


def test_original_names_are_validated(tmp_path: Path) -> None:
    paths = {
        "a.css": "a.0123456789ab.css",
        "same.css": "same.css",
        "../up.css": "a.0123456789ab.css",
        "b.css": "/abs.css",
        "c.css": 3,
    }
    write(tmp_path / "staticfiles.json", json.dumps({"paths": paths}))
    assert load_originals(str(tmp_path)) == {"a.css": "a.0123456789ab.css"}
    write(tmp_path / "staticfiles.json", json.dumps({"paths": []}))
    assert load_originals(str(tmp_path)) == {}
