"""Small helpers shared by the build tests."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import brotli
import zstandard

DECODERS = {
    ".gz": gzip.decompress,
    ".br": brotli.decompress,
    ".zst": lambda data: zstandard.ZstdDecompressor().decompress(data),
}


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def text_blob(lines: int = 200, word: str = "selector") -> str:
    """Compressible text."""
    return "".join(f".{word}-{index % 17} {{ color: red; margin: 0 }}\n" for index in range(lines))


def snapshot(root: Path) -> dict[str, str]:
    """Relative path → sha256 of every file below ``root`` (to prove nothing changed)."""
    result: dict[str, str] = {}
    for directory, _, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            result[path.relative_to(root).as_posix()] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
    return result


def variants_of(path: Path) -> dict[str, bytes]:
    """Suffix → decoded bytes of every variant next to ``path``."""
    found: dict[str, bytes] = {}
    for suffix, decode in DECODERS.items():
        variant = Path(str(path) + suffix)
        if variant.exists():
            found[suffix] = decode(variant.read_bytes())
    return found
