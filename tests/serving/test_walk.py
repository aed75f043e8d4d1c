"""The start-up walk's variant lookup (issue 19 item 2): the fast path a plain scan takes
(one sibling describer per directory, files stat-ed inline) finds exactly what the slow
path a manifest listing takes finds, and :func:`collect_variants` looks siblings up by
``base + suffix`` for every caller."""

from __future__ import annotations

import os
from pathlib import Path

from servestatic.serve.index import HiddenPolicy, Variant, collect_variants, scan_root

ENCODINGS = frozenset({"gzip", "br", "zstd"})


def _tree(root: Path) -> None:
    """One directory mixing every case the walk tells apart, files with variants first."""
    (root / "a.js").write_bytes(b"a" * 100)
    (root / "a.js.gz").write_bytes(b"g" * 10)
    (root / "a.js.br").write_bytes(b"b" * 200)  # larger than its file: not a variant
    (root / "a.js.zst").write_bytes(b"z" * 20)
    (root / "a.js.zstd").write_bytes(b"z" * 5)  # .zst came first: never looked at
    (root / "b.css").write_bytes(b"c" * 50)  # after a coded file, with no sibling
    (root / "c.txt").write_bytes(b"t" * 30)
    (root / "c.txt.gz").mkdir()  # a directory named like a variant is walked
    (root / "c.txt.gz" / "inner.txt").write_bytes(b"i")
    (root / "lone.gz").write_bytes(b"l" * 3)  # no file "lone": a file of its own


#: URL → (path, size, [(coding, path, size) of each variant]).
Walked = dict[str, tuple[str, int, list[tuple[str, str, int]]]]


def _walk(root: Path, known: dict[str, tuple[int, int]] | None) -> Walked:
    return {
        found.url: (found.path, found.size, [(v.coding, v.path, v.size) for v in found.variants])
        for found in scan_root(
            str(root),
            "/",
            encodings=ENCODINGS,
            allow_unsafe_symlinks=False,
            hidden=HiddenPolicy(serve_dotfiles=False, allow=()),
            known=known,
        )
    }


def test_a_plain_walk_and_a_listed_walk_find_the_same_files_and_variants(tmp_path: Path) -> None:
    _tree(tmp_path)
    plain = _walk(tmp_path, None)
    listing: dict[str, tuple[int, int]] = {}
    for directory, _, names in os.walk(tmp_path):
        for name in names:
            path = Path(directory, name)
            relative = path.relative_to(tmp_path).as_posix()
            listing[relative] = (path.stat().st_size, path.stat().st_mtime_ns)
    listed = _walk(tmp_path, listing)
    base = str(tmp_path)
    assert plain == listed
    assert plain == {
        "/a.js": (
            f"{base}/a.js",
            100,
            [("zstd", f"{base}/a.js.zst", 20), ("gzip", f"{base}/a.js.gz", 10)],
        ),
        "/b.css": (f"{base}/b.css", 50, []),
        "/c.txt": (f"{base}/c.txt", 30, []),
        "/c.txt.gz/inner.txt": (f"{base}/c.txt.gz/inner.txt", 1, []),
        "/lone.gz": (f"{base}/lone.gz", 3, []),
    }


def test_a_plain_walk_records_each_variants_inode(tmp_path: Path) -> None:
    """The fast path describes a variant from its own ``stat``: inode and device known."""
    _tree(tmp_path)
    found = {
        scanned.url: scanned
        for scanned in scan_root(
            str(tmp_path),
            "/",
            encodings=ENCODINGS,
            allow_unsafe_symlinks=False,
            hidden=HiddenPolicy(serve_dotfiles=False, allow=()),
        )
    }
    variants = found["/a.js"].variants
    assert len(variants) == 2
    for variant in variants:
        info = os.stat(variant.path)
        assert (variant.inode, variant.device) == (info.st_ino, info.st_dev)


def test_collect_variants_looks_siblings_up_by_base_and_suffix() -> None:
    listing = {"css/site.css.gz": (10, 7), "css/site.css.zstd": (12, 8), "css/site.css.br": (99, 9)}
    variants = collect_variants("/srv/css/site.css", 50, ENCODINGS, listing.get, "css/site.css")
    # .zst is not listed, so .zstd serves zstd; br is larger than the file; a listing
    # knows no inode (learned when the file is first opened).
    assert variants == (
        Variant("zstd", "/srv/css/site.css.zstd", 12, 8, 0, 0),
        Variant("gzip", "/srv/css/site.css.gz", 10, 7, 0, 0),
    )
    assert collect_variants("/srv/x", 50, frozenset({"br"}), listing.get, "css/site.css") == ()
