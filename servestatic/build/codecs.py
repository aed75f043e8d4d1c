"""The three content codings the build writes, and the rules for keeping a variant.

Pure functions over bytes. Every codec here releases the GIL while it
works (measured: see docs/build-pipeline.md), which is why the runner uses threads.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import brotli
import zstandard

from servestatic.formats.variants import CODING_SUFFIXES, CODINGS, WRITTEN_SUFFIX

__all__ = [
    "CODINGS",
    "DEFAULT_SKIP_EXTENSIONS",
    "MINIFY_REFUSED",
    "SUFFIXES",
    "ZSTD_DICT_REFUSED",
    "CompressOptions",
    "encode",
    "extension_regex",
    "is_effective",
]

#: Why ``minify`` is refused (ServeStatic bug, reference §6 #16). These two are the words
#: of the ``Compressor`` and of the CLI; here rather than in ``servestatic.compress`` so
#: that a build does not import that module for two strings.
MINIFY_REFUSED = (
    "minify is not supported: ServeStatic minified only the bytes fed to the compressors, so "
    "the .gz/.br/.zstd variants decoded to different content than the file itself; minify "
    "in your bundler (esbuild, Vite, webpack) before collecting static files"
)
#: Why ``zstd_dict`` is refused (ServeStatic bug, reference §6 #17).
ZSTD_DICT_REFUSED = (
    "zstd dictionaries are not supported: a dictionary-compressed .zst is not decodable as "
    "plain 'Content-Encoding: zstd' (browsers need RFC 9842 'dcz' negotiation); drop the "
    "dictionary option to write standard zstd"
)

#: ServeStatic 4.4's skip list (reference §1.3), then formats it missed: more archives,
#: audio, modern images and office files (all zip or already entropy-coded).
DEFAULT_SKIP_EXTENSIONS: tuple[str, ...] = (
    # ServeStatic 4.4
    "jpg", "jpeg", "png", "gif", "webp", "jxl", "avif", "zip", "gz", "tgz", "bz2", "tbz",
    "xz", "br", "zstd", "swf", "flv", "woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v",
    "mov", "mp4", "mpeg", "mpg", "webm", "wmv",
    # servestatic additions
    "zst", "tzst", "7z", "rar", "lz", "lz4", "lzma", "txz", "tbz2", "whl", "jar", "apk",
    "epub", "docx", "xlsx", "pptx", "odt", "ods", "odp", "heic", "heif", "jp2", "mp3",
    "m4a", "aac", "ogg", "oga", "ogv", "opus", "flac", "mkv",
)  # fmt: skip

#: Coding name → file suffix written; every suffix a coding's variant may have on disk (the
#: ones we replace); the order codings are tried and reported in. One table for the build
#: and the server: :mod:`servestatic.formats.variants`.
SUFFIXES = WRITTEN_SUFFIX
ALL_SUFFIXES = CODING_SUFFIXES

# RFC 9659 §3: a zstd Content-Encoding decoder may refuse windows above 8 MiB, so the window
# is capped at 2**23 even at levels 20-22 (which would otherwise pick up to 128 MiB).
_MAX_ZSTD_WINDOW_LOG = 23


def extension_regex(extensions: Iterable[str]) -> re.Pattern[str]:
    """``name.EXT`` for any of ``extensions`` (no leading dot), case-insensitive."""
    alternatives = "|".join(re.escape(extension.lstrip(".")) for extension in extensions)
    return re.compile(rf"\.(?:{alternatives})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CompressOptions:
    """What to write. Defaults are ``Settings.compression``'s defaults."""

    codings: tuple[str, ...] = CODINGS
    min_saving: float = 0.05
    skip_extensions: tuple[str, ...] = DEFAULT_SKIP_EXTENSIONS
    gzip_level: int = 9
    brotli_quality: int = 11
    zstd_level: int = 19

    def __post_init__(self) -> None:
        unknown = [coding for coding in self.codings if coding not in SUFFIXES]
        if unknown:
            raise ValueError(f"unknown content coding {unknown[0]!r}; expected zstd, br or gzip")
        if not 0 <= self.min_saving < 1:
            raise ValueError(f"min_saving must be in [0, 1), got {self.min_saving!r}")

    @property
    def fingerprint(self) -> str:
        """Changes whenever a setting that affects the bytes written changes."""
        return (
            f"z{self.zstd_level}-b{self.brotli_quality}-g{self.gzip_level}"
            f"-s{self.min_saving}-{'+'.join(self.codings)}"
        )

    def should_compress(self, name: str) -> bool:
        """False for names ending in a skipped extension."""
        return not self.skip_pattern.search(name)

    @property
    def skip_pattern(self) -> re.Pattern[str]:
        return _skip_pattern(self.skip_extensions)


_patterns: dict[tuple[str, ...], re.Pattern[str]] = {}


def _skip_pattern(extensions: tuple[str, ...]) -> re.Pattern[str]:
    pattern = _patterns.get(extensions)
    if pattern is None:
        # An empty list compresses everything: a pattern that never matches.
        pattern = extension_regex(extensions) if extensions else re.compile(r"(?!)")
        _patterns[extensions] = pattern
    return pattern


def gzip_bytes(data: bytes, level: int = 9) -> bytes:
    # mtime=0 and no file name: the same input always gives the same bytes (reproducible
    # builds, stable ETags across machines), as in ServeStatic.
    return gzip.compress(data, compresslevel=level, mtime=0)


def brotli_bytes(data: bytes, quality: int = 11) -> bytes:
    return bytes(brotli.compress(data, quality=quality))


def zstd_bytes(data: bytes, level: int = 19) -> bytes:
    params = zstandard.ZstdCompressionParameters.from_level(level, source_size=len(data))
    if params.window_log > _MAX_ZSTD_WINDOW_LOG:
        params = zstandard.ZstdCompressionParameters.from_level(
            level, source_size=len(data), window_log=_MAX_ZSTD_WINDOW_LOG
        )
    compressor = zstandard.ZstdCompressor(compression_params=params)
    return compressor.compress(data)


_ENCODERS: dict[str, Callable[[bytes, CompressOptions], bytes]] = {
    "gzip": lambda data, options: gzip_bytes(data, options.gzip_level),
    "br": lambda data, options: brotli_bytes(data, options.brotli_quality),
    "zstd": lambda data, options: zstd_bytes(data, options.zstd_level),
}


def encode(coding: str, data: bytes, options: CompressOptions) -> bytes:
    """``data`` in ``coding`` with the levels of ``options``."""
    return _ENCODERS[coding](data, options)


def is_effective(original_size: int, compressed_size: int, min_saving: float) -> bool:
    """Keep a variant only if it saves at least ``min_saving`` (ServeStatic: ratio ≤ 0.95)."""
    if original_size <= 0:
        return False
    return compressed_size <= original_size * (1 - min_saving)
