"""ServeStatic's ``servestatic.manifest_hash``: Django-style content-hashed file names.

``name.ext`` becomes ``name.<first 12 hex digits of md5>.ext``, the shape Django's
``ManifestStaticFilesStorage`` writes and the server's default immutable test matches.
md5 is a name, not a security measure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from servestatic.build.hashing import HASH_LENGTH, file_hash, hashed_name, short_hash

__all__ = [
    "HASH_LENGTH",
    "ManifestHashGenerator",
    "generate_hash",
    "get_hashed_name",
    "hash_path",
    "hashed_name",
]


def generate_hash(content: bytes) -> str:
    """The 12-hex-digit md5 prefix of ``content``."""
    return short_hash(content)


def hash_path(path: str | os.PathLike[str]) -> str:
    """The 12-hex-digit md5 prefix of the file at ``path``, read in chunks."""
    return file_hash(path)


def get_hashed_name(path: str | os.PathLike[str], content: bytes | None = None) -> str:
    """``path`` with its content hash inserted (from ``content`` if given, else the file)."""
    file_hash = generate_hash(content) if content is not None else hash_path(path)
    return hashed_name(os.fspath(path), file_hash)


class ManifestHashGenerator:
    """Copy files below ``root`` to their hashed names, as ServeStatic's ``--hash`` did.

    This is the plain ServeStatic behaviour (no reference rewriting). ``servestatic
    build --hash`` uses :mod:`servestatic.build.hashing`, which also rewrites CSS and JS
    references so hashed files still point at each other.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        keep_original: bool = True,
        log: Callable[[str], Any] = print,
        quiet: bool = False,
    ) -> None:
        self.root = Path(root).resolve()
        self.keep_original = keep_original
        self.log: Callable[[str], Any] = _silent if quiet else log
        self.manifest_path = self.root / "staticfiles.json"

    def process(self, path: str | os.PathLike[str]) -> tuple[str, str]:
        """Hash one file; return ``(relative original, relative hashed)`` with ``/``."""
        source = Path(path).resolve()
        relative = source.relative_to(self.root).as_posix()
        target = Path(get_hashed_name(source))
        if target != source:
            shutil.copy2(source, target)
            self.log(f"Generated {target.name} from {source.name}")
            if not self.keep_original:
                source.unlink()
        return relative, target.relative_to(self.root).as_posix()


def _silent(message: str) -> None:
    del message
