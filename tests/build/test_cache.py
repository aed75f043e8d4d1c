"""The incremental record: trusted only while everything it describes is unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from servestatic.build.cache import CACHE_NAME, CompressCache
from servestatic.build.codecs import CompressOptions
from servestatic.build.compress import compress_paths, find_compressible
from tests.build.helpers import text_blob, write


def run(root: Path, options: CompressOptions) -> tuple[int, int]:
    cache = CompressCache.open(str(root), options.fingerprint)
    stats = compress_paths(find_compressible(str(root), options), options, cache=cache, workers=2)
    cache.save()
    return stats.compressed, stats.cached


def test_second_run_is_all_cached(tmp_path: Path) -> None:
    write(tmp_path / "a.css", text_blob())
    write(tmp_path / "b.js", text_blob(50))
    write(tmp_path / "r.bin", os.urandom(500))  # nothing kept: still remembered
    assert run(tmp_path, CompressOptions()) == (3, 0)
    assert run(tmp_path, CompressOptions()) == (0, 3)


@pytest.mark.parametrize(
    "change",
    ["touch", "edit", "delete-variant", "resize-variant", "settings", "corrupt", "old-version"],
)
def test_anything_changed_means_compress_again(tmp_path: Path, change: str) -> None:
    path = write(tmp_path / "a.css", text_blob())
    options = CompressOptions()
    assert run(tmp_path, options) == (1, 0)
    if change == "touch":
        os.utime(path, ns=(1, 1))
    elif change == "edit":
        path.write_text(text_blob(300))
    elif change == "delete-variant":
        (tmp_path / "a.css.br").unlink()
    elif change == "resize-variant":
        (tmp_path / "a.css.gz").write_bytes(b"x")
    elif change == "settings":
        options = CompressOptions(zstd_level=3)
    elif change == "corrupt":
        (tmp_path / CACHE_NAME).write_text("{not json")
    else:
        document = json.loads((tmp_path / CACHE_NAME).read_text())
        document["version"] = 0
        (tmp_path / CACHE_NAME).write_text(json.dumps(document))
    assert run(tmp_path, options) == (1, 0)


def test_malformed_entries_are_ignored(tmp_path: Path) -> None:
    path = write(tmp_path / "a.css", text_blob())
    cache = CompressCache(str(tmp_path), "f", {"a.css": "nonsense"})
    assert cache.lookup(str(path)) is None


def test_vanished_files_are_dropped(tmp_path: Path) -> None:
    path = write(tmp_path / "a.css", text_blob())
    run(tmp_path, CompressOptions())
    path.unlink()
    run(tmp_path, CompressOptions())
    assert json.loads((tmp_path / CACHE_NAME).read_text())["files"] == {}


def test_find_compressible_skips_variants_internal_files_and_exclusions(tmp_path: Path) -> None:
    for name in (
        "a.css",
        "a.css.gz",
        "b.png",
        "x.css.br",
        ".a.css.ab12_d34.tmp",
        "skip/c.js",
        "d.js",
    ):
        write(tmp_path / name, "x")
    write(tmp_path / CACHE_NAME, "{}")
    os.symlink(tmp_path / "nowhere", tmp_path / "broken.css")
    found = find_compressible(str(tmp_path), CompressOptions(), exclude=("skip/*",))
    assert sorted(os.path.relpath(p, tmp_path) for p in found) == ["a.css", "d.js"]
