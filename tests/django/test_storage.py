"""The compressing storages, through Django's real ``collectstatic``."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import brotli
import pytest
import zstandard
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from servestatic.storage import (
    CompressedManifestStaticFilesStorage,
    MissingFileError,
    get_compressor_kwargs,
)
from tests.django.conftest import COMPRESSED, MANIFEST, collectstatic, hashed_name, project

pytestmark = pytest.mark.django


def variants(root: Path, name: str) -> set[str]:
    return {suffix for suffix in (".gz", ".br", ".zst") if (root / f"{name}{suffix}").exists()}


def test_compressed_storage_writes_variants(static_root: Path) -> None:
    root = collectstatic(static_root, COMPRESSED)
    original = (root / "js" / "app.js").read_bytes()
    assert variants(root, "js/app.js") == {".gz", ".br", ".zst"}
    assert gzip.decompress((root / "js" / "app.js.gz").read_bytes()) == original
    assert brotli.decompress((root / "js" / "app.js.br").read_bytes()) == original
    zst = (root / "js" / "app.js.zst").read_bytes()
    assert zstandard.ZstdDecompressor().decompress(zst) == original
    assert variants(root, "img/logo.png") == set()  # already compressed formats are skipped
    assert not (root / "staticfiles.json").exists()


def test_manifest_storage_hashes_then_compresses(static_root: Path) -> None:
    root = collectstatic(static_root, MANIFEST)
    hashed = hashed_name(root, "css/site.css")
    assert hashed != "css/site.css"
    assert variants(root, hashed) == {".gz", ".br", ".zst"}
    assert variants(root, "css/site.css") == {".gz", ".br", ".zst"}
    hashed_body = gzip.decompress((root / f"{hashed}.gz").read_bytes())
    assert hashed_body == (root / hashed).read_bytes()


def test_manifest_lists_every_file_with_size_and_mtime(static_root: Path) -> None:
    root = collectstatic(static_root, MANIFEST)
    document = json.loads((root / "staticfiles.json").read_text())
    assert {"paths", "version", "hash", "files"} <= set(document)
    files = document["files"]
    on_disk = {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and path.name != "staticfiles.json"
    }
    assert set(files) == on_disk
    hashed = hashed_name(root, "js/app.js")
    info = (root / hashed).stat()
    record = files[hashed]
    assert (record["size"], record["mtime_ns"]) == (info.st_size, info.st_mtime_ns)
    assert record["hash"] == hashlib.sha256((root / hashed).read_bytes()).hexdigest()
    assert record["integrity"].startswith("sha384-")
    # Django still reads its own keys.
    with project(root, MANIFEST):
        assert staticfiles_storage.url("js/app.js") == f"/static/{hashed}"


def test_keep_only_hashed_files(static_root: Path) -> None:
    root = collectstatic(static_root, MANIFEST, SERVESTATIC_KEEP_ONLY_HASHED_FILES=True)
    hashed = hashed_name(root, "css/site.css")
    assert (root / hashed).exists()
    assert not (root / "css" / "site.css").exists()
    assert variants(root, "css/site.css") == set()
    assert variants(root, hashed) == {".gz", ".br", ".zst"}


class KeepOnlyHashed(CompressedManifestStaticFilesStorage):
    """A project's storage subclass, as ServeStatic 4.4 allowed."""

    keep_only_hashed_files = True


def test_storage_subclass_can_keep_only_hashed_files(static_root: Path) -> None:
    root = collectstatic(static_root, f"{__name__}.KeepOnlyHashed")
    hashed = hashed_name(root, "css/site.css")
    assert (root / hashed).exists()
    assert not (root / "css" / "site.css").exists()


def test_legacy_keep_only_setting(static_root: Path) -> None:
    root = collectstatic(static_root, MANIFEST, WHITENOISE_KEEP_ONLY_HASHED_FILES=True)
    assert not (root / "css" / "site.css").exists()


@pytest.mark.parametrize(
    ("setting", "suffix"),
    [
        ("SERVESTATIC_USE_GZIP", ".gz"),
        ("SERVESTATIC_USE_BROTLI", ".br"),
        ("SERVESTATIC_USE_ZSTD", ".zst"),
    ],
)
def test_each_format_can_be_turned_off(static_root: Path, setting: str, suffix: str) -> None:
    root = collectstatic(static_root, MANIFEST, **{setting: False})
    assert variants(root, "js/app.js") == {".gz", ".br", ".zst"} - {suffix}


def test_skip_compress_extensions_replace_the_list(static_root: Path) -> None:
    root = collectstatic(static_root, COMPRESSED, SERVESTATIC_SKIP_COMPRESS_EXTENSIONS=["css"])
    assert variants(root, "css/site.css") == set()
    assert variants(root, "js/app.js") == {".gz", ".br", ".zst"}


def test_compressor_keywords_come_from_the_settings(static_root: Path) -> None:
    with project(
        static_root,
        MANIFEST,
        SERVESTATIC_USE_BROTLI=False,
        SERVESTATIC_ZSTD_LEVEL=3,
        SERVESTATIC_SKIP_COMPRESS_EXTENSIONS=("png", "woff2"),
    ):
        kwargs = get_compressor_kwargs(quiet=True)
    assert kwargs == {
        "extensions": ("png", "woff2"),
        "use_gzip": True,
        "use_brotli": False,
        "use_zstd": True,
        "minify": False,
        "zstd_dict": None,
        "zstd_dict_is_raw": False,
        "zstd_level": 3,
        "quiet": True,
    }


def test_bad_compression_setting_stops_the_storage(static_root: Path) -> None:
    with (
        project(static_root, MANIFEST, SERVESTATIC_ZSTD_LEVEL=99),
        pytest.raises(ImproperlyConfigured, match=r"\[servestatic.E023\]"),
    ):
        CompressedManifestStaticFilesStorage()


def test_dry_run_writes_nothing(static_root: Path) -> None:
    with project(static_root, MANIFEST):
        call_command("collectstatic", interactive=False, verbosity=0, dry_run=True)
    assert not static_root.exists() or not any(static_root.rglob("*.gz"))


def test_missing_reference_gets_a_helpful_error(static_root: Path, tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    (assets / "css").mkdir(parents=True)
    (assets / "css" / "broken.css").write_text("a { background: url('../img/missing.png'); }\n")
    with (
        project(static_root, MANIFEST, STATICFILES_DIRS=[assets]),
        pytest.raises(Exception) as raised,  # noqa: PT011 - Django 6 wraps it in CommandError
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    error = raised.value
    missing = error if isinstance(error, MissingFileError) else error.__cause__
    assert isinstance(missing, MissingFileError)
    text = str(missing)
    assert "The CSS file 'css/broken.css' refers to a file that does not exist" in text
    assert "  img/missing.png" in text


@pytest.mark.parametrize("setting", ["SERVESTATIC_MANIFEST_STRICT", "WHITENOISE_MANIFEST_STRICT"])
def test_manifest_strict_can_be_turned_off(static_root: Path, setting: str) -> None:
    root = collectstatic(static_root, MANIFEST)
    (root / "late.css").write_text("p { margin: 0; }\n")
    with (
        project(root, MANIFEST),
        pytest.raises(ValueError, match="Missing staticfiles manifest entry"),
    ):
        staticfiles_storage.url("late.css")
    with project(root, MANIFEST, **{setting: False}):
        assert staticfiles_storage.url("late.css").startswith("/static/late.")


def test_collecting_again_refreshes_the_listing(static_root: Path) -> None:
    root = collectstatic(static_root, MANIFEST)
    (root / "js" / "app.js").write_text("changed by hand\n")
    collectstatic(static_root, MANIFEST)
    files = json.loads((root / "staticfiles.json").read_text())["files"]
    info = (root / "js" / "app.js").stat()
    assert (files["js/app.js"]["size"], files["js/app.js"]["mtime_ns"]) == (
        info.st_size,
        info.st_mtime_ns,
    )


def test_other_errors_are_passed_on_unchanged(static_root: Path) -> None:
    with project(static_root, MANIFEST):
        storage = CompressedManifestStaticFilesStorage()
    runtime = RuntimeError("Max post-process passes exceeded.")
    other = ValueError("something else")
    assert storage.make_helpful_exception(runtime, "All") is runtime
    assert storage.make_helpful_exception(other, "css/a.css") is other
    assert storage.make_helpful_exception(ValueError(), "css/a.css").args == ()


def test_listing_is_readable_from_the_storage(static_root: Path) -> None:
    root = collectstatic(static_root, MANIFEST)
    with project(root, MANIFEST):
        storage = CompressedManifestStaticFilesStorage()
        listing = storage.load_manifest_files()
    info = (root / "js" / "app.js").stat()
    assert listing["js/app.js"] == (info.st_size, info.st_mtime_ns)


def test_compression_group_fills_in(static_root: Path) -> None:
    compression = {"encodings": ["br", "gzip"], "zstd_level": 7, "skip_extensions": ["svg"]}
    with project(static_root, MANIFEST, SERVESTATIC_COMPRESSION=compression):
        kwargs = get_compressor_kwargs(quiet=False)
    assert (kwargs["use_zstd"], kwargs["use_brotli"], kwargs["use_gzip"]) == (False, True, True)
    assert (kwargs["zstd_level"], kwargs["extensions"], kwargs["quiet"]) == (7, ("svg",), False)
    with project(
        static_root,
        MANIFEST,
        SERVESTATIC_COMPRESSION=compression,
        SERVESTATIC_ZSTD_LEVEL=3,
        SERVESTATIC_SKIP_COMPRESS_EXTENSIONS=["png"],
    ):
        kwargs = get_compressor_kwargs(quiet=True)
    assert (kwargs["zstd_level"], kwargs["extensions"]) == (3, ("png",))


def test_codings_the_server_ignores_are_not_written(static_root: Path) -> None:
    root = collectstatic(static_root, COMPRESSED, SERVESTATIC_COMPRESSION={"encodings": ["gzip"]})
    assert variants(root, "js/app.js") == {".gz"}


def test_names_a_bundler_hashed_are_not_hashed_again(static_root: Path, tmp_path: Path) -> None:
    """Issue 18 (django-vite #30): Vite's and webpack's hashed output collected by the
    manifest storage keeps its names, and the references between those files still work;
    a plain file next to them is hashed as usual."""
    assets = tmp_path / "assets"
    vite = assets / "vite" / "assets"
    vite.mkdir(parents=True)
    (vite / "index-BxY3kQ_9.js").write_text('import "./chunk-Ab12Cd34.js";\n')
    (vite / "chunk-Ab12Cd34.js").write_text("export default 1;\n")
    (vite / "index-DiwrgTda.css").write_text("a { background: url(./logo-Zz9Yy8Xx.png); }\n")
    (vite / "logo-Zz9Yy8Xx.png").write_bytes(b"\x89PNG")
    (assets / "pack").mkdir()
    (assets / "pack" / "main.3f2a1b4c5d6e7f801234.js").write_text("console.log(1);\n")
    (assets / "plain.css").write_text("b { color: red; }\n")
    with project(static_root, MANIFEST, STATICFILES_DIRS=[assets]):
        call_command("collectstatic", interactive=False, verbosity=0)
    paths = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    for name in (
        "vite/assets/index-BxY3kQ_9.js",
        "vite/assets/chunk-Ab12Cd34.js",
        "vite/assets/index-DiwrgTda.css",
        "vite/assets/logo-Zz9Yy8Xx.png",
        "pack/main.3f2a1b4c5d6e7f801234.js",
    ):
        assert paths[name] == name
    assert paths["plain.css"] != "plain.css"
    css = (static_root / "vite" / "assets" / "index-DiwrgTda.css").read_text()
    # The reference still names the bundler's file (Django only adds quotes).
    assert re.search(r'url\("?\./logo-Zz9Yy8Xx\.png"?\)', css), css
    assert (
        'import "./chunk-Ab12Cd34.js"'
        in (static_root / "vite" / "assets" / "index-BxY3kQ_9.js").read_text()
    )


# ----------------------------------------------------------------------------- retained builds


def _dirs(assets: Path) -> list[Any]:
    """The project's static folders plus ``assets`` (served under ``extra/``)."""
    from django.conf import settings

    return [*settings.STATICFILES_DIRS, ("extra", assets)]


def _collect_version(static_root: Path, assets: Path, version: str, **options: Any) -> str:
    (assets / "css").mkdir(parents=True, exist_ok=True)
    (assets / "css" / "theme.css").write_text(
        f"/* v{version} */\n" + "".join(f".c{i} {{ color: red }}\n" for i in range(60))
    )
    with project(
        static_root,
        MANIFEST,
        STATICFILES_DIRS=_dirs(assets),
        SERVESTATIC_RETAIN=1,
    ):
        call_command("collectstatic", interactive=False, verbosity=0, **options)
    return hashed_name(static_root, "extra/css/theme.css")


def test_retain_keeps_the_previous_collectstatic_runs(static_root: Path, tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    first = _collect_version(static_root, assets, "1")
    second = _collect_version(static_root, assets, "2")
    assert first != second
    for name in (first, second):
        assert (static_root / name).is_file()
        assert variants(static_root, name) == {".gz", ".br", ".zst"}
    third = _collect_version(static_root, assets, "3")
    assert not (static_root / first).exists()
    assert variants(static_root, first) == set()
    assert (static_root / second).is_file()
    assert (static_root / third).is_file()
    # The manifest's listing names no removed file (the middleware indexes from it).
    listed = json.loads((static_root / "staticfiles.json").read_text())["files"]
    assert first not in listed
    assert second in listed


def test_retain_survives_collectstatic_clear(static_root: Path, tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    first = _collect_version(static_root, assets, "1")
    second = _collect_version(static_root, assets, "2", clear=True)
    assert (static_root / first).is_file()
    assert variants(static_root, first) == {".gz", ".br", ".zst"}
    assert (static_root / second).is_file()
    assert (static_root / "extra" / "css" / "theme.css").read_text().startswith("/* v2 */")


def test_retained_files_are_served_by_the_middleware(static_root: Path, tmp_path: Path) -> None:
    from django.test import Client

    assets = tmp_path / "assets"
    first = _collect_version(static_root, assets, "1")
    second = _collect_version(static_root, assets, "2")
    with project(
        static_root,
        MANIFEST,
        STATICFILES_DIRS=_dirs(assets),
        DEBUG=False,
        SERVESTATIC_RULES=[{"match": "/**", "retained": True, "headers": {"X-Retained": "1"}}],
    ):
        client = Client()
        old = client.get(f"/static/{first}")
        new = client.get(f"/static/{second}")
        assert old.status_code == 200
        assert old.headers["Cache-Control"] == "max-age=315360000, public, immutable"
        assert old.headers["X-Retained"] == "1"
        assert new.status_code == 200
        assert "X-Retained" not in new.headers
