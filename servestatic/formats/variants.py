"""The names of precompressed variants: ``app.js.zst``, ``app.js.br``, ``app.js.gz``.

The one table of content codings and their file suffixes, read by the build tool (what it
writes and replaces, what ``gc`` removes with its file), the server (what it looks for
next to each file) and the exporters, so that none of them keeps its own copy.
"""

from __future__ import annotations

__all__ = ["CODINGS", "CODING_SUFFIXES", "VARIANT_SUFFIXES", "WRITTEN_SUFFIX"]

#: The codings, in the order they are tried and reported in.
CODINGS: tuple[str, ...] = ("zstd", "br", "gzip")

#: Every suffix a variant of a coding may have on disk, the written one first: zstd is
#: written as ``.zst`` (the zstd CLI's suffix); ServeStatic's ``.zstd`` is read and replaced.
CODING_SUFFIXES: dict[str, tuple[str, ...]] = {
    "zstd": (".zst", ".zstd"),
    "br": (".br",),
    "gzip": (".gz",),
}

#: Coding → the suffix the build writes.
WRITTEN_SUFFIX: dict[str, str] = {coding: CODING_SUFFIXES[coding][0] for coding in CODINGS}

#: Suffix of a precompressed sibling → its coding (the server's lookup order).
VARIANT_SUFFIXES: dict[str, str] = {
    suffix: coding for coding in CODINGS for suffix in CODING_SUFFIXES[coding]
}
