"""Codecs, the keep rule, the skip list, and atomic writes."""

from __future__ import annotations

import errno
import gzip
import os
import random
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from servestatic.build import codecs
from servestatic.build.codecs import (
    DEFAULT_SKIP_EXTENSIONS,
    CompressOptions,
    encode,
    is_effective,
)
from servestatic.build.files import write_atomic
from tests.build.helpers import DECODERS


@given(st.binary(max_size=4096))
def test_every_coding_round_trips(data: bytes) -> None:
    options = CompressOptions(zstd_level=3, brotli_quality=4)
    for coding, suffix in codecs.SUFFIXES.items():
        assert DECODERS[suffix](encode(coding, data, options)) == data


def test_gzip_is_reproducible_with_mtime_zero() -> None:
    data = b"hello " * 100
    first = encode("gzip", data, CompressOptions())
    assert first == encode("gzip", data, CompressOptions())
    assert first[4:8] == b"\0\0\0\0"  # RFC 1952 §2.3.1 MTIME
    assert gzip.decompress(first) == data


def test_zstd_window_is_capped_at_8_mib_even_at_level_22() -> None:
    # RFC 9659 §3: HTTP zstd decoders may refuse windows above 8 MiB.
    data = random.Random(7).randbytes(1 << 20) * 12  # 12 MiB, repetitive at 1 MiB distance
    frame = codecs.zstd_bytes(data, 22)
    parameters = zstandard.get_frame_parameters(frame)
    assert parameters.window_size <= 8 << 20
    assert zstandard.ZstdDecompressor().decompress(frame) == data


@pytest.mark.parametrize(
    ("original", "compressed", "kept"),
    [
        (100, 95, True),  # exactly 5% saved: ServeStatic's ratio <= 0.95
        (100, 96, False),
        (0, 0, False),  # empty files are never compressed
        (1000, 10, True),
    ],
)
def test_keep_rule(original: int, compressed: int, kept: bool) -> None:
    assert is_effective(original, compressed, 0.05) is kept


@pytest.mark.parametrize(
    "name",
    [
        "a.jpg",
        "A.JPG",
        "x.woff2",
        "clip.Mp4",
        "pic.avif",
        "pic.jxl",
        "a.css.zst",
        "old.zstd",
        "a.gz",
    ],
)
def test_skip_list_is_case_insensitive(name: str) -> None:
    assert not CompressOptions().should_compress(name)


@pytest.mark.parametrize("name", ["app.css", "app.JS", "data.json", "icon.svg", "jpg", "a.jpg.txt"])
def test_text_files_are_compressed(name: str) -> None:
    assert CompressOptions().should_compress(name)


def test_servestatic_skip_list_is_included() -> None:
    servestatic_44 = "jpg jpeg png gif webp jxl avif zip gz tgz bz2 tbz xz br zstd swf flv woff "
    servestatic_44 += "woff2 3gp 3gpp asf avi m4v mov mp4 mpeg mpg webm wmv"
    assert set(servestatic_44.split()) <= set(DEFAULT_SKIP_EXTENSIONS)


def test_empty_skip_list_compresses_everything() -> None:
    assert CompressOptions(skip_extensions=()).should_compress("a.png")


def test_options_reject_unknown_coding_and_bad_saving() -> None:
    with pytest.raises(ValueError, match="unknown content coding 'deflate'"):
        CompressOptions(codings=("deflate",))
    with pytest.raises(ValueError, match="min_saving"):
        CompressOptions(min_saving=1.5)


def test_fingerprint_changes_with_levels() -> None:
    assert CompressOptions().fingerprint != CompressOptions(zstd_level=3).fingerprint


def test_write_atomic_sets_mtime_and_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.txt.gz"
    write_atomic(str(target), b"data", mtime_ns=1_000_000_000_000_000_000, mode=0o100640)
    info = target.stat()
    assert target.read_bytes() == b"data"
    assert info.st_mtime_ns == 1_000_000_000_000_000_000
    assert info.st_mode & 0o777 == 0o640


def test_write_atomic_leaves_nothing_when_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    with pytest.raises(OSError, match="No space left"):
        write_atomic(str(tmp_path / "a.gz"), b"data")
    assert list(tmp_path.iterdir()) == []
