"""The trees of the scale benchmark (issue 19 item 2): N files shaped like a front-end build.

``build_tree(N)`` writes ``benchmarks/.work/scale-N/`` once (a stamp beside it, as
:mod:`benchmarks.fixtures` does) and returns its :class:`Tree`:

- kinds and sizes drawn from a fixed-seed distribution: many small JS/CSS/SVG/JSON files,
  some images and fonts, a few bundles of a few hundred KiB (log-normal sizes per kind,
  200 B to 400 KiB);
- hashed names (``name.<12 hex>.ext``) for all but HTML, text and a few JSON files;
- ``.zst``, ``.br`` and ``.gz`` siblings beside every compressible original of at least
  512 bytes, as a build writes them; their bytes are synthetic (compressing 100,000 files
  would take an hour) but smaller than the original, which is all a server looks at;
- nested directories (``<kind folder>/p<NNN>/s<N>/``, about 50 files per leaf);
- a distinct modification time per file, as in a real tree (per-file ETags).

File ``i`` takes profile ``i % PROFILES`` (kind and size) from one fixed list, so every
tree has the same mix; ``sample(N)`` picks one file of each profile, spread over the whole
tree: the throughput sample of every size holds the same kinds and sizes, and a ratio
between sizes measures the tree's size, not a different mix of bytes.

Stdlib only (the bench venv runs it; a unit test in ``tests/benchmarks`` checks the plan).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from benchmarks.fixtures import _FIXED_MTIME, WORK, _current, _stamp

_VERSION = 1  # bump to regenerate existing trees
PROFILES = 1000
SAMPLE_SEED = 19
MIN_SIZE = 200
MAX_SIZE = 400 * 1024
#: Share of JS files that are vendor bundles of 130 to 400 KiB (a build's few large files).
BUNDLES = 0.02
#: Builds skip compressing files too small to gain from it (a few hundred bytes).
COMPRESS_MIN = 512
#: Synthetic sibling sizes as a share of the original: zstd 19, brotli 11, gzip 9 on JS.
SIBLINGS = {".zst": 0.28, ".br": 0.25, ".gz": 0.31}
FILES_PER_LEAF = 50
LEAVES_PER_PACKAGE = 10


@dataclass(frozen=True)
class Kind:
    extension: str
    folder: str
    weight: int  # share of files, in percent
    median: int  # bytes
    sigma: float  # of the log-normal size distribution
    compressible: bool
    hashed: bool


KINDS = (
    Kind(".js", "js", 36, 3000, 1.3, compressible=True, hashed=True),
    Kind(".css", "css", 9, 2500, 1.1, compressible=True, hashed=True),
    Kind(".svg", "img", 16, 1100, 0.9, compressible=True, hashed=True),
    Kind(".json", "data", 8, 700, 1.0, compressible=True, hashed=True),
    Kind(".html", "pages", 3, 4000, 0.7, compressible=True, hashed=False),
    Kind(".txt", "legal", 2, 900, 0.8, compressible=True, hashed=False),
    Kind(".png", "img", 11, 5000, 1.0, compressible=False, hashed=True),
    Kind(".webp", "img", 6, 9000, 0.8, compressible=False, hashed=True),
    Kind(".jpg", "img", 4, 16000, 0.8, compressible=False, hashed=True),
    Kind(".woff2", "fonts", 5, 18000, 0.4, compressible=False, hashed=True),
)


@dataclass(frozen=True)
class Profile:
    kind: Kind
    size: int
    #: Most JSON is hashed; a few files keep a stable name (manifests, locales).
    hashed: bool


@dataclass(frozen=True)
class Entry:
    path: str  # relative to the tree's root, "/"-separated
    size: int
    siblings: tuple[tuple[str, int], ...]  # (suffix, size)
    text: bool


@dataclass(frozen=True)
class Tree:
    root: Path
    files: int  # originals: the URLs a request can name
    entries: int  # originals and their siblings


@cache
def profiles() -> tuple[Profile, ...]:
    rng = random.Random(1_000_019)
    kinds = rng.choices(KINDS, weights=[k.weight for k in KINDS], k=PROFILES)
    found = []
    for kind in kinds:
        size = round(kind.median * math.exp(rng.gauss(0.0, kind.sigma)))
        if kind.extension == ".js" and rng.random() < BUNDLES:
            size = rng.randrange(MAX_SIZE // 3, MAX_SIZE)
        hashed = kind.hashed and (kind.extension != ".json" or rng.random() < 0.8)
        found.append(Profile(kind, min(MAX_SIZE, max(MIN_SIZE, size)), hashed))
    return tuple(found)


def entry(index: int) -> Entry:
    """File ``index`` of every tree (the same name and size whatever the tree's size)."""
    profile = profiles()[index % PROFILES]
    kind = profile.kind
    leaf = index // FILES_PER_LEAF
    folder = f"{kind.folder}/p{leaf // LEAVES_PER_PACKAGE:03d}/s{leaf % LEAVES_PER_PACKAGE}"
    name = f"f{index}"
    if profile.hashed:
        digest = hashlib.md5(b"%d" % index, usedforsecurity=False).hexdigest()[:12]
        name += f".{digest}"
    siblings: tuple[tuple[str, int], ...] = ()
    if kind.compressible and profile.size >= COMPRESS_MIN:
        siblings = tuple(
            (suffix, max(1, int(profile.size * share))) for suffix, share in SIBLINGS.items()
        )
    return Entry(f"{folder}/{name}{kind.extension}", profile.size, siblings, kind.compressible)


def sample(files: int, count: int = PROFILES, seed: int = SAMPLE_SEED) -> list[int]:
    """One file index per profile (``count`` of them), each drawn from the whole tree."""
    if files < count:
        raise ValueError(f"a tree of {files} files has fewer than {count} to sample")
    rng = random.Random(seed)
    return [
        profile + PROFILES * rng.randrange((files - profile - 1) // PROFILES + 1)
        for profile in range(count)
    ]


@cache
def _pools() -> tuple[bytes, bytes]:
    """Bytes to slice file contents from: text for text kinds, random bytes otherwise."""
    rng = random.Random(7)
    words = [b"function", b"return", b"const", b"margin", b"color", b"0px", b"=>", b"{", b"}"]
    text = b" ".join(rng.choice(words) for _ in range(2 * MAX_SIZE // 5))[: 2 * MAX_SIZE]
    return text, rng.randbytes(2 * MAX_SIZE)


def content(index: int, size: int, text: bool) -> bytes:
    """``size`` bytes, different per file (its number first), cheap: a slice of a pool."""
    pool = _pools()[0 if text else 1]
    head = b"/*%d*/" % index
    start = (index * 7919) % MAX_SIZE
    return (head + pool[start : start + size])[:size]


def tree_root(files: int) -> Path:
    return WORK / f"scale-{files}"


def build_tree(files: int) -> Tree:
    """Write (or reuse) the tree of ``files`` originals."""
    root = tree_root(files)
    stamp = {"version": _VERSION, "files": files, "profiles": PROFILES}
    entries = [entry(index) for index in range(files)]
    total = files + sum(len(e.siblings) for e in entries)
    if not _current(root, stamp):
        if root.exists():
            shutil.rmtree(root)
        made: set[str] = set()
        for index, item in enumerate(entries):
            folder = item.path.rpartition("/")[0]
            if folder not in made:
                (root / folder).mkdir(parents=True, exist_ok=True)
                made.add(folder)
            mtime = _FIXED_MTIME + index * 7
            path = root / item.path
            path.write_bytes(content(index, item.size, item.text))
            os.utime(path, (mtime, mtime))
            for suffix, size in item.siblings:
                sibling = root / (item.path + suffix)
                sibling.write_bytes(content(index + 1, size, text=False))
                os.utime(sibling, (mtime, mtime))
        _stamp(root).write_text(json.dumps(stamp))
    return Tree(root, files, total)


def expected(index: int) -> tuple[str, int, str | None]:
    """(path under the root, body length, Content-Encoding) that a request with
    ``Accept-Encoding: br, gzip`` must get for file ``index``."""
    item = entry(index)
    sizes = dict(item.siblings)
    if ".br" in sizes:
        return item.path, sizes[".br"], "br"
    return item.path, item.size, None
