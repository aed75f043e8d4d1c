"""``model_from_engine``: the engine's table as the records every writer reads."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from servestatic.config import Settings, load_settings
from servestatic.export import ExportError, model_from_engine
from servestatic.serve.engine import Engine
from servestatic.serve.index import ScannedFile
from tests.conftest import write
from tests.export.site import make_site


def _engine(config: Path, **options: Any) -> Engine:
    return Engine(load_settings(options, config_file=config).settings, standalone=True)


def test_model_lists_files_redirects_and_specials(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    model = model_from_engine(_engine(site.config))
    urls = [answer.url for answer in model.files]
    assert urls == sorted(urls)
    app = next(answer for answer in model.files if answer.url == "/assets/app.js")
    assert app.relative == "assets/app.js"
    assert dict(app.variants) == {"br": ".br", "zstd": ".zst", "gzip": ".gz"}
    assert app.ranking == ("br", "zstd", "gzip", "identity")  # smallest file first
    assert app.cors_origins == ("https://app.example",)
    names = {name.lower() for name, _ in app.headers}
    assert {"content-type", "cache-control", "vary", "x-asset"} <= names
    assert not names & {"content-length", "etag", "last-modified", "accept-ranges"}
    only = next(answer for answer in model.files if answer.url == "/assets/only.css")
    assert only.variants == (("zstd", ".zstd"),)
    tiny = next(answer for answer in model.files if answer.url == "/assets/tiny.txt")
    assert tiny.variants == ()  # the .gz is larger than the file: never sent
    undated = next(answer for answer in model.files if answer.url == "/undated.txt")
    assert not undated.dated
    docs = next(answer for answer in model.files if answer.url == "/docs/")
    assert docs.relative == "docs/index.html"
    assert docs.is_index
    redirects = {answer.url: answer for answer in model.redirects}
    assert redirects["/docs"].location == "docs/"
    assert redirects["/docs"].configured is None
    assert redirects["/docs/index.html"].location == "./"
    assert redirects["/legacy.html"].configured == 4  # over a file
    assert redirects["/about-us"].status == 308
    assert [r.literal for r in model.configured] == [
        *(False, False, True, True, True, False),
        *(False, True, False, False),
    ]
    assert [r.number for r in model.patterns] == [1, 2, 6, 7, 9, 10]
    assert [r.force for r in model.configured][6:] == [False, False, False, True]
    # force = false: the files at those paths win; a file meets a forced pattern after one
    # that gives way to it.
    served = {answer.url for answer in model.files}
    assert {"/kept/page.html", "/kept.html"} <= served
    assert redirects["/mixed/a.txt"].location == "/second/a.txt"
    assert redirects["/mixed/a.txt"].configured == 10
    assert model.fallback is not None
    assert model.fallback.url == "/index.html"
    assert model.not_found is not None
    assert model.not_found.status == 404
    assert model.spa_exclude == ("/**/*.*", "/api/**")
    assert model.index_file == "index.html"
    assert model.variant_codings() == {"br", "zstd", "gzip"}


def test_unserved_lists_what_servestatic_does_not_serve(tmp_path: Path) -> None:
    model = model_from_engine(_engine(make_site(tmp_path).config))
    assert {
        "/.env",
        "/.git/config",
        "/private/secret.txt",
        "/assets/app.js.gz",
        "/assets/tiny.txt.gz",
    } <= set(model.unserved)
    served = {answer.url for answer in model.files}
    assert not served & set(model.unserved)
    assert "/.well-known/security.txt" in served  # allowed by hidden.allow


def test_later_roots_win_and_prefixes_are_kept(tmp_path: Path) -> None:
    site = make_site(tmp_path, "prefixed")
    model = model_from_engine(_engine(site.config))
    assert [root.prefix for root in model.roots] == ["/", "/static/"]
    lib = next(answer for answer in model.files if answer.url == "/static/lib.js")
    assert lib.root == 1
    assert lib.relative == "lib.js"
    assert model.fallback is None
    assert model.not_found is None
    assert not model.etag
    assert not model.ranges
    redirects = {answer.url: answer.location for answer in model.redirects}
    assert redirects["/static"] == "static/"


def test_autorefresh_engines_are_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    with pytest.raises(ExportError, match="autorefresh"):
        model_from_engine(_engine(site.config, autorefresh=True))


def test_files_from_outside_the_roots_are_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    engine = _engine(site.config)
    extra = write(tmp_path / "elsewhere" / "x.txt", "x")
    stat = extra.stat()
    engine.add_files([ScannedFile("/x.txt", str(extra), stat.st_size, stat.st_mtime_ns, ())])
    with pytest.raises(ExportError, match=r"/x\.txt is served from .* not below a configured root"):
        model_from_engine(engine)


def test_names_that_cannot_be_written_are_left_out(tmp_path: Path) -> None:
    root = tmp_path / "site"
    write(root / "ok.txt", "ok")
    write(root / "bad\x01name.txt", "never servable")
    # Not valid UTF-8: os.walk gives it with surrogates, which no URL can carry.
    (root / "bad\udcffname.txt").write_bytes(b"never servable")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine = Engine(Settings(root=root), standalone=True)
    model = model_from_engine(engine)
    assert [answer.url for answer in model.files] == ["/ok.txt"]
    assert model.unserved == ()
