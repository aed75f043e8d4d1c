"""The fixture trees, generated under ``benchmarks/.work`` (deterministic, rebuilt when stale).

``site/static/`` is served at ``/static/`` by every contender (nginx: ``root site``):

- ``small.js``: 1 KiB, no variants (small file, 304, autorefresh);
- ``app.css``: 64 KiB of CSS with ``.gz`` and ``.br`` siblings (compressed negotiation);
- ``big.bin``: 10 MiB of random bytes (big file, 1 KiB range).

``many/`` holds 10,000 files (with ``.gz``/``.br`` siblings among them) for start-up time
and memory.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import brotli

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
SITE = WORK / "site"
STATIC = SITE / "static"
_VERSION = 3  # bump to regenerate existing trees
_FIXED_MTIME = 1_700_000_000  # the same Last-Modified/ETag on every run

SMALL_SIZE = 1024
BIG_SIZE = 10 * 1024 * 1024
RANGE_FIRST = 1024 * 1024
RANGE_LAST = RANGE_FIRST + 1023
MANY_FILES = 10_000


@dataclass(frozen=True)
class Fixtures:
    small: bytes
    css: bytes
    css_br: bytes
    css_gz: bytes
    big_sha256: str
    big_slice: bytes


def _css(size: int, rng: random.Random) -> bytes:
    rules = []
    total = 0
    number = 0
    while total < size:
        color = rng.randrange(0xFFFFFF)
        rule = (
            f".c{number} {{ color: #{color:06x}; margin: {rng.randrange(40)}px; "
            f"padding: {rng.randrange(20)}px {rng.randrange(20)}px; }}\n"
        )
        rules.append(rule)
        total += len(rule)
        number += 1
    return "".join(rules).encode()[:size]


def _write(path: Path, data: bytes, mtime: int = _FIXED_MTIME) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def _stamp(directory: Path) -> Path:
    # Beside the tree, not in it: the stamp must not be one of the served files.
    return directory.parent / f"{directory.name}.stamp"


def _current(directory: Path, expected: dict[str, int]) -> bool:
    try:
        return json.loads(_stamp(directory).read_text()) == expected
    except (OSError, ValueError):
        return False


def build_site() -> Fixtures:
    """Create (or reuse) ``site/static`` and return the bytes responses must carry."""
    rng = random.Random(1234)
    small = bytes(rng.randrange(32, 127) for _ in range(SMALL_SIZE - 1)) + b"\n"
    css = _css(64 * 1024, rng)
    css_gz = gzip.compress(css, compresslevel=9, mtime=0)
    css_br = brotli.compress(css, quality=11)
    big = rng.randbytes(BIG_SIZE)
    stamp = {"version": _VERSION, "small": SMALL_SIZE, "big": BIG_SIZE}
    if not _current(SITE, stamp):
        _write(STATIC / "small.js", small)
        _write(STATIC / "app.css", css)
        _write(STATIC / "app.css.gz", css_gz)
        _write(STATIC / "app.css.br", css_br)
        _write(STATIC / "big.bin", big)
        _stamp(SITE).write_text(json.dumps(stamp))
    return Fixtures(
        small=small,
        css=css,
        css_br=css_br,
        css_gz=css_gz,
        big_sha256=hashlib.sha256(big).hexdigest(),
        big_slice=big[RANGE_FIRST : RANGE_LAST + 1],
    )


def build_many(count: int = MANY_FILES) -> Path:
    """``count`` files in 100 directories, like a large ``collectstatic`` output.

    Four in five are originals with hashed names (``name.<12 hex>.ext``); the rest are
    ``.gz`` and ``.br`` siblings of the ``.js``/``.css`` originals. Contents are small.
    """
    target = WORK / f"many-{count}"
    stamp = {"version": _VERSION, "count": count}
    if _current(target, stamp):
        return target
    if target.exists():
        shutil.rmtree(target)
    rng = random.Random(count)
    extensions = [".js", ".css", ".png", ".svg", ".woff2", ".html", ".json", ".txt"]
    originals = count * 4 // 5
    siblings = count - originals
    written = 0
    compressible: list[Path] = []
    for number in range(originals):
        extension = extensions[number % len(extensions)]
        digest = hashlib.md5(str(number).encode(), usedforsecurity=False).hexdigest()[:12]
        path = target / f"d{number % 100:02d}" / f"file{number}.{digest}{extension}"
        # Distinct mtimes, as in a real tree: ETags and Last-Modified values differ per file
        # (which matters for the memory a library spends on per-file headers).
        _write(path, rng.randbytes(rng.randrange(200, 4000)), _FIXED_MTIME + number * 7)
        written += 1
        if extension in {".js", ".css"}:
            compressible.append(path)
    for number in range(siblings):
        source = compressible[number // 2]
        suffix = ".gz" if number % 2 == 0 else ".br"
        _write(source.with_name(source.name + suffix), b"x" * 100)
        written += 1
    _stamp(target).write_text(json.dumps(stamp))
    return target
