"""``servestatic check`` and ``explain`` for issue 18: presets with their evidence and the
files they cover, cache warnings, original names, page hints and CSP hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servestatic.cli import main
from tests.conftest import write


@pytest.fixture
def vite_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dist = tmp_path / "dist"
    write(dist / "index.html", "<script>a()</script>")
    write(dist / "assets" / "index-BxY3kQ_9.js", "js")
    write(dist / "assets" / "index-DiwrgTda.css", "css")
    write(dist / "css" / "site.0123456789ab.css", "unhashed by rule")
    write(dist / "css" / "site.css.0123456789ab", "x")
    write(dist / "img" / "logo.png", "png")
    pages = {
        "index.html": {
            "links": [{"href": "assets/index-DiwrgTda.css", "rel": "preload", "as": "style"}],
            "csp": {"script-src": ["'sha256-AAAA'"], "style-src": []},
        }
    }
    paths = {"css/site.css": "css/site.0123456789ab.css"}
    write(dist / "staticfiles.json", json.dumps({"paths": paths, "pages": pages}))
    (tmp_path / "servestatic.toml").write_text(
        'root = "dist"\nindex_file = true\n'
        '[[rules]]\nname = "css short"\nmatch = "/css/**"\nmax_age = 30\n'
        '[[rules]]\nname = "images forever"\nmatch = "/img/**"\nimmutable = true\n'
    )
    monkeypatch.chdir(tmp_path)
    return dist


def test_check_lists_presets_with_evidence_and_files(
    vite_dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    assert "preset vite at /: 2 hashed names in assets/ such as assets/index-BxY3kQ_9.js" in out
    assert (
        "  hashed assets: max-age=315360000, public, immutable, 2 URLs "
        "(/assets/index-BxY3kQ_9.js, /assets/index-DiwrgTda.css)"
    ) in out
    assert "  HTML revalidated: no-cache, 1 URLs (/)" in out
    assert (
        "advice: 1 file(s) look content-hashed but are not immutable: /css/site.0123456789ab.css"
    ) in out
    assert (
        "advice: 1 file(s) are immutable but their names carry no content hash: /img/logo.png"
    ) in out
    assert "warning" not in err  # advice is not a start-up warning
    assert out.endswith("the server would start\n")
    # Advice is about choices a user may make on purpose: the server starts under strict
    # (its start-up finds no problem), and check's exit status says so.
    assert main(["check", "--strict"]) == 0


def test_check_says_when_presets_are_off_or_absent(
    vite_dist: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVESTATIC_PRESETS", "off")
    main(["check"])
    assert "presets: off" in capsys.readouterr().out
    monkeypatch.delenv("SERVESTATIC_PRESETS")
    for name in ("assets/index-BxY3kQ_9.js", "assets/index-DiwrgTda.css"):
        (vite_dist / name).unlink()
    main(["check"])
    assert "presets: none detected" in capsys.readouterr().out


def test_explain_shows_hints_csp_and_original_names(
    vite_dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "/"]) == 0
    out = capsys.readouterr().out
    assert "  Link hints from the build: </assets/index-DiwrgTda.css>; rel=preload; as=style" in out
    assert "  CSP hashes from the build: 1 script(s), 0 style(s)" in out
    assert '  preset vite "HTML revalidated"' in out
    assert main(["explain", "/css/site.css"]) == 0
    out = capsys.readouterr().out
    assert "original name of /css/site.0123456789ab.css (staticfiles.json), not immutable" in out
    assert "Cache-Control: max-age=30, public" in out
