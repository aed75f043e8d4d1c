"""ServeStatic's ``servestatic.compress``: the ``Compressor`` class and ``python -m`` entry.

Same keywords and methods as ServeStatic 4.4, with three differences on purpose:

* zstd is written with the ``zstandard`` package on every Python, as ``.zst`` (the server
  reads ``.zst`` and ServeStatic's ``.zstd``);
* ``minify=True`` and ``zstd_dict`` raise ``ValueError`` at construction: ServeStatic's
  minify made the variants decode to different bytes than the file, and dictionary-
  compressed zstd cannot be decoded by browsers as plain ``Content-Encoding: zstd``;
* a variant that is not kept replaces nothing: a stale older one is removed.

``python -m servestatic.compress`` is deprecated in favour of ``servestatic compress`` and
warns as ServeStatic 4.4 did (same text, and only when run as a script: calling
:func:`main` from Python does not warn). Like ServeStatic's, :func:`main` returns 0 or
raises ``SystemExit``, so a build script calling it stops at a mistake.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from servestatic.build.cache import CompressCache
from servestatic.build.codecs import (
    DEFAULT_SKIP_EXTENSIONS,
    MINIFY_REFUSED,
    ZSTD_DICT_REFUSED,
    CompressOptions,
    brotli_bytes,
    extension_regex,
    gzip_bytes,
    is_effective,
    zstd_bytes,
)
from servestatic.build.compress import (
    compress_paths,
    default_workers,
    find_compressible,
    remove_if_present,
)
from servestatic.build.files import write_atomic
from servestatic.build.progress import summary_lines
from servestatic.config import zstd_level_problem

__all__ = ["MINIFY_REFUSED", "ZSTD_DICT_REFUSED", "Compressor", "main"]

_DEFAULTS = CompressOptions()


class Compressor:
    """Write ``.zst``, ``.br`` and ``.gz`` next to files, keeping those that save ≥ 5%."""

    #: ServeStatic's name for the skip list (plus the formats it missed).
    SKIP_COMPRESS_EXTENSIONS: tuple[str, ...] = DEFAULT_SKIP_EXTENSIONS

    def __init__(
        self,
        extensions: Iterable[str] | None = None,
        use_gzip: bool = True,
        use_brotli: bool = True,
        use_zstd: bool = True,
        minify: bool = False,
        zstd_dict: str | os.PathLike[str] | bytes | None = None,
        zstd_dict_is_raw: bool = False,
        zstd_level: int | None = None,
        log: Callable[[str], Any] = print,
        quiet: bool = False,
    ) -> None:
        if minify:
            raise ValueError(MINIFY_REFUSED)
        if zstd_dict is not None:
            raise ValueError(ZSTD_DICT_REFUSED)
        if zstd_level is not None and (problem := zstd_level_problem(zstd_level)):
            raise ValueError(f"zstd_level {problem}, got {zstd_level!r}")
        if extensions is None:
            extensions = self.SKIP_COMPRESS_EXTENSIONS
        self.extensions = tuple(extensions)
        self.extension_re = self.get_extension_re(self.extensions)
        self.use_gzip = use_gzip
        self.use_brotli = use_brotli
        self.use_zstd = use_zstd
        self.minify = minify
        self.zstd_dict = zstd_dict
        self.zstd_dict_is_raw = zstd_dict_is_raw
        self.zstd_level = _DEFAULTS.zstd_level if zstd_level is None else zstd_level
        self.log: Callable[[str], Any] = _silent if quiet else log
        self.quiet = quiet

    @staticmethod
    def get_extension_re(extensions: Iterable[str]) -> re.Pattern[str]:
        """A case-insensitive regex matching names that end in one of ``extensions``."""
        extensions = tuple(extensions)
        if not extensions:
            return re.compile(r"^$")
        return extension_regex(extensions)

    @property
    def options(self) -> CompressOptions:
        """These settings as the build's :class:`CompressOptions`."""
        codings = tuple(
            coding
            for coding, wanted in (
                ("zstd", self.use_zstd),
                ("br", self.use_brotli),
                ("gzip", self.use_gzip),
            )
            if wanted
        )
        return CompressOptions(
            codings=codings, skip_extensions=self.extensions, zstd_level=self.zstd_level
        )

    def should_compress(self, filename: str) -> bool:
        """False for names with a skipped extension (``.png``, ``.woff2``, ``.gz``...)."""
        return not self.extension_re.search(filename)

    def compress(self, path: str | os.PathLike[str]) -> list[str]:
        """Write the effective variants of ``path``; return the paths written."""
        path = os.fspath(path)
        with open(path, "rb") as handle:
            stat_result = os.fstat(handle.fileno())
            data = handle.read()
        size = len(data)
        written: list[str] = []
        steps: tuple[tuple[bool, str, str, Callable[[bytes], bytes]], ...] = (
            (self.use_zstd, "Zstandard", ".zst", self._zstd),
            (self.use_brotli, "Brotli", ".br", self.compress_brotli),
            (self.use_gzip, "Gzip", ".gz", self.compress_gzip),
        )
        for wanted, label, suffix, encoder in steps:
            if not wanted:
                continue
            compressed = encoder(data)
            if self.is_compressed_effectively(label, path, size, compressed):
                written.append(self.write_data(path, compressed, suffix, stat_result))
                if suffix == ".zst":
                    remove_if_present(path + ".zstd")
            else:
                remove_if_present(path + suffix)
                if suffix == ".zst":
                    remove_if_present(path + ".zstd")
        return written

    def _zstd(self, data: bytes) -> bytes:
        return self.compress_zstd(data, level=self.zstd_level)

    @staticmethod
    def compress_gzip(data: bytes) -> bytes:
        """gzip level 9, ``mtime=0`` (reproducible bytes)."""
        return gzip_bytes(data, 9)

    @staticmethod
    def compress_brotli(data: bytes) -> bytes:
        """Brotli at its default quality (11)."""
        return brotli_bytes(data, 11)

    @staticmethod
    def compress_zstd(
        data: bytes, level: int | None = None, zstd_dict: object | None = None
    ) -> bytes:
        """Standard (dictionary-free) zstd at ``level`` (default 19)."""
        if zstd_dict is not None:
            raise ValueError(ZSTD_DICT_REFUSED)
        return zstd_bytes(data, _DEFAULTS.zstd_level if level is None else level)

    @staticmethod
    def load_zstd_dictionary(
        zstd_dict: str | os.PathLike[str] | bytes | None, is_raw: bool = False
    ) -> None:
        """ServeStatic loaded a dictionary here; servestatic refuses dictionaries."""
        if zstd_dict is not None:
            raise ValueError(ZSTD_DICT_REFUSED)

    def is_compressed_effectively(
        self, encoding_name: str, path: str, orig_size: int, data: bytes
    ) -> bool:
        """True when ``data`` is at least 5% smaller than the original (ServeStatic's 0.95)."""
        effective = is_effective(orig_size, len(data), _DEFAULTS.min_saving)
        if effective:
            self.log(
                f"{encoding_name} compressed {path} ({orig_size // 1024}K -> {len(data) // 1024}K)"
            )
        else:
            self.log(f"Skipping {path} ({encoding_name} compression not effective)")
        return effective

    @staticmethod
    def write_data(path: str, data: bytes, suffix: str, stat_result: os.stat_result) -> str:
        """Write ``path + suffix`` atomically with the original's mtime; return its path."""
        filename = path + suffix
        write_atomic(filename, data, mtime_ns=stat_result.st_mtime_ns, mode=stat_result.st_mode)
        return filename


def _silent(message: str) -> None:
    del message


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m servestatic.compress",
        description="Compress files in place (deprecated: use `servestatic compress`).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no output")
    parser.add_argument("--no-gzip", dest="use_gzip", action="store_false", help="no .gz")
    parser.add_argument("--no-brotli", dest="use_brotli", action="store_false", help="no .br")
    parser.add_argument("--no-zstd", dest="use_zstd", action="store_false", help="no .zst")
    parser.add_argument("--zstd-dict", default=None, help="refused (not decodable by browsers)")
    parser.add_argument("--zstd-dict-raw", action="store_true", help="ignored without a dict")
    parser.add_argument("--zstd-level", type=int, default=None, help="zstd level (1-22)")
    parser.add_argument("root", help="directory to compress in place")
    parser.add_argument(
        "extensions", nargs="*", help="extensions to skip (replaces the built-in list)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """ServeStatic's ``servestatic.compress.main``: 0, or ``SystemExit`` with status 1 when
    some file failed, 2 for a usage error (argparse's own exit, as ServeStatic)."""
    # This module is a command too (ServeStatic's entry point), so it writes to the
    # standard streams itself; the library functions above never do.
    args = _parser().parse_args(argv)
    try:
        compressor = Compressor(
            extensions=args.extensions or None,
            use_gzip=args.use_gzip,
            use_brotli=args.use_brotli,
            use_zstd=args.use_zstd,
            zstd_dict=args.zstd_dict,
            zstd_dict_is_raw=args.zstd_dict_raw,
            zstd_level=args.zstd_level,
            quiet=args.quiet,
        )
    except ValueError as error:
        sys.stderr.write(f"error: {error}\n")
        raise SystemExit(2) from None
    if not os.path.isdir(args.root):
        sys.stderr.write(f"error: {args.root}: no such directory\n")
        raise SystemExit(2)
    options = compressor.options
    cache = CompressCache.open(args.root, options.fingerprint)
    stats = compress_paths(find_compressible(args.root, options), options, cache=cache)
    with contextlib.suppress(OSError):  # the record only saves time on the next run
        cache.save()
    for path, reason in stats.failures:
        sys.stderr.write(f"error: {path}: {reason}\n")
    if not args.quiet:
        sys.stdout.write("".join(line + "\n" for line in summary_lines(stats, default_workers())))
    if stats.failures:
        raise SystemExit(1)
    return 0


if __name__ == "__main__":
    # ServeStatic 4.4's text (warning filters match on it), advice included: the command
    # here is `servestatic compress ROOT` (docs/cli-build.md). Attributed to this script,
    # not to runpy as ServeStatic's was, so that Python shows it by default.
    warnings.warn(
        "Calling this file directly is deprecated. "
        "Use the 'servestatic --compress' command instead.",
        DeprecationWarning,
        stacklevel=1,
    )
    raise SystemExit(main())
