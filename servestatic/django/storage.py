"""Staticfiles storages that compress at ``collectstatic`` time (``STORAGES["staticfiles"]``).

* :class:`CompressedStaticFilesStorage`: Django's ``StaticFilesStorage`` plus ``.zst``,
  ``.br`` and ``.gz`` variants written next to each compressible file.
* :class:`CompressedManifestStaticFilesStorage`: Django's ``ManifestStaticFilesStorage``
  (hashed names, ``staticfiles.json``) plus compression, optional deletion of the unhashed
  copies (``SERVESTATIC_KEEP_ONLY_HASHED_FILES``), ``SERVESTATIC_MANIFEST_STRICT``, and a
  ``files`` listing in the manifest that lets the middleware start without a ``stat()`` per
  file (see ``servestatic.django.manifest``), and retained builds across runs
  (``SERVESTATIC_RETAIN``, see ``servestatic.django.retained``).

Compression is ``servestatic.compress.Compressor`` (the build pipeline's codecs); the
``SERVESTATIC_*`` compression settings become its keywords (:func:`get_compressor_kwargs`).
"""

from __future__ import annotations

import errno
import os
import re
import textwrap
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage, StaticFilesStorage
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile

from servestatic.config import LoadedSettings
from servestatic.django import manifest, retained
from servestatic.django.settings import DjangoOnlySettings, collect
from servestatic.errors import ServeStaticError
from servestatic.formats.names import looks_hashed

if TYPE_CHECKING:
    from servestatic.compress import Compressor

__all__ = [
    "CompressedManifestStaticFilesStorage",
    "CompressedStaticFilesStorage",
    "MissingFileError",
    "get_compressor_kwargs",
]

PostProcessed = tuple[str, str | None, bool | Exception]


def _read_settings() -> tuple[LoadedSettings | None, DjangoOnlySettings]:
    """The settings model (None if invalid: the checks report it) and the Django-only
    settings, or ImproperlyConfigured naming each bad Django-only setting."""
    collected = collect(django_settings)
    problems = [
        finding for finding in collected.errors if finding.field in DjangoOnlySettings.model_fields
    ]
    if collected.django is None or problems:
        lines = "\n".join(f"  [{finding.id}] {finding.message}" for finding in problems)
        raise ImproperlyConfigured(f"invalid servestatic compression settings:\n{lines}")
    return (collected.loaded if collected.loaded.ok else None), collected.django


def get_compressor_kwargs(*, quiet: bool) -> dict[str, Any]:
    """``Compressor`` keywords from the ``SERVESTATIC_*`` settings (ServeStatic's helper).

    ServeStatic's settings come first; the ``compression`` group (shared with
    ``servestatic compress``) fills in: a coding the server does not look for
    (``compression.encodings``) is not written, and its ``zstd_level`` and
    ``skip_extensions`` apply when the ServeStatic settings leave them unset.
    """
    loaded, options = _read_settings()
    extensions, zstd_level = options.skip_compress_extensions, options.zstd_level
    encodings = {"gzip", "br", "zstd"}
    if loaded is not None:
        group = loaded.settings.compression
        encodings = set(group.encodings)
        if extensions is None and group.skip_extensions is not None:
            extensions = tuple(group.skip_extensions)
        if zstd_level is None and loaded.source_of("compression.zstd_level") != "default":
            zstd_level = group.zstd_level
    return {
        "extensions": extensions,
        "use_gzip": options.use_gzip and "gzip" in encodings,
        "use_brotli": options.use_brotli and "br" in encodings,
        "use_zstd": options.use_zstd and "zstd" in encodings,
        "minify": options.minify,
        "zstd_dict": options.zstd_dictionary,
        "zstd_dict_is_raw": options.zstd_dictionary_is_raw,
        "zstd_level": zstd_level,
        "quiet": quiet,
    }


def _compress_all(
    storage: StaticFilesStorage, compressor: Compressor, names: Iterable[str]
) -> Iterator[tuple[str, str]]:
    """``(name, compressed name)`` for every variant written, compressing in threads."""

    def compress(name: str) -> list[tuple[str, str]]:
        full_path = storage.path(name)
        base = full_path[: len(full_path) - len(name)]
        return [(name, written[len(base) :]) for written in compressor.compress(full_path)]

    wanted = sorted(name for name in names if compressor.should_compress(name))
    with ThreadPoolExecutor() as executor:
        for results in executor.map(compress, wanted):
            yield from results


class CompressedStaticFilesStorage(StaticFilesStorage):
    """``StaticFilesStorage`` that writes compressed variants of the collected files."""

    # The public path, not this module's: Django's deconstruct() writes __module__ into
    # migrations (a storage passed to a FileField), and pickles and logs name it too.
    __module__ = "servestatic.storage"

    compressor: Compressor | None = None

    def post_process(
        self, paths: dict[str, Any], dry_run: bool = False, **options: Any
    ) -> Iterator[PostProcessed]:
        """Compress every collected file (skipping already-compressed formats)."""
        if dry_run:
            return
        self.compressor = compressor = self.create_compressor(**get_compressor_kwargs(quiet=True))
        for name, compressed_name in _compress_all(self, compressor, paths):
            yield name, compressed_name, True

    def create_compressor(self, **kwargs: Any) -> Compressor:
        """The compressor (a hook for subclasses)."""
        from servestatic.compress import Compressor  # noqa: PLC0415 - the build pipeline

        return Compressor(**kwargs)


class MissingFileError(ServeStaticError, ValueError):
    """A collected file refers to a file that does not exist (with a helpful message)."""

    # The public path ServeStatic 4.x users catch it by; tracebacks and pickles name it.
    __module__ = "servestatic.storage"


class CompressedManifestStaticFilesStorage(ManifestStaticFilesStorage):
    """``ManifestStaticFilesStorage`` that also compresses, and records file sizes and times."""

    # The public path, not this module's: Django's deconstruct() writes __module__ into
    # migrations (a storage passed to a FileField), and pickles and logs name it too.
    __module__ = "servestatic.storage"

    compressor: Compressor | None = None
    _post_processing = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _, options = _read_settings()
        self.manifest_strict = options.manifest_strict
        self._keep_only_hashed_files = options.keep_only_hashed_files
        self.retention = options.retention
        super().__init__(*args, **kwargs)

    def hashed_name(self, name: str, content: Any = None, filename: str | None = None) -> str:
        """Django's hashed name, except for a name a bundler already hashed (Vite's
        ``assets/index-BxY3kQ_9.js``, webpack's ``main.3f2a….js``): it maps to itself, so
        the bundler's own references to it keep working (issue 18; django-vite #30)."""
        # No existence test: Django deletes and rewrites a processed file under this same
        # name in the middle of post_process, where a test would see no file.
        if looks_hashed(self.clean_name(name).split("?", 1)[0].split("#", 1)[0]):
            return name
        return str(super().hashed_name(name, content, filename))

    @property
    def keep_only_hashed_files(self) -> bool:
        """``SERVESTATIC_KEEP_ONLY_HASHED_FILES``; a subclass may override it with a class
        attribute (``keep_only_hashed_files = True``), as with ServeStatic."""
        return self._keep_only_hashed_files

    def post_process(  # type: ignore[override]
        self, paths: dict[str, Any], dry_run: bool = False, **options: Any
    ) -> Iterator[PostProcessed]:
        """Django's hashing, then deletion of unhashed copies, compression and the listing."""
        hashed_names: dict[str, str] = {}
        self._post_processing = True
        try:
            for name, hashed_name, processed in super().post_process(
                paths, dry_run=dry_run, **options
            ):
                if isinstance(processed, Exception):
                    yield name, hashed_name, self.make_helpful_exception(processed, name)
                    continue
                if hashed_name:
                    hashed_names[self.clean_name(name)] = hashed_name
                yield name, hashed_name, processed
        finally:
            self._post_processing = False
        if dry_run:
            return
        originals, hashed = set(hashed_names), set(hashed_names.values())
        if self.keep_only_hashed_files:
            self.delete_files(originals - hashed)
            to_compress = hashed
        else:
            to_compress = originals | hashed
        self.compressor = compressor = self.create_compressor(**get_compressor_kwargs(quiet=True))
        for name, compressed_name in _compress_all(self, compressor, to_compress):
            yield name, compressed_name, True
        # Before the listing: it must not name the files the gc removes.
        retained.record_build(str(self.location), self.retention, hashed_names, to_compress)
        self.add_files_to_manifest()

    def create_compressor(self, **kwargs: Any) -> Compressor:
        """The compressor (a hook for subclasses)."""
        from servestatic.compress import Compressor  # noqa: PLC0415 - the build pipeline

        return Compressor(**kwargs)

    def delete(self, name: str) -> None:
        """Django's delete, except for files retained builds still need: ``collectstatic
        --clear`` under ``SERVESTATIC_RETAIN`` leaves pages of earlier deploys working."""
        # Django's own passes delete a hashed file to write it again under the same name:
        # only deletions from outside them (the --clear before collecting) are refused.
        if not self._post_processing and retained.protected(
            str(self.location), self.clean_name(name)
        ):
            return
        super().delete(name)

    def delete_files(self, names: Iterable[str]) -> None:
        """Delete collected files by name (missing ones are fine)."""
        for name in names:
            try:
                os.unlink(self.path(name))
            except OSError as error:
                if error.errno != errno.ENOENT:
                    raise

    def add_files_to_manifest(self) -> None:
        """Rewrite the manifest with the ``files`` listing of the storage location."""
        files = manifest.snapshot(str(self.location), exclude={self.manifest_name})
        content = manifest.add_files(self.read_manifest(), files)
        storage = self.manifest_storage or self
        if storage.exists(self.manifest_name):
            storage.delete(self.manifest_name)
        storage.save(self.manifest_name, ContentFile(content))

    def load_manifest_files(self) -> dict[str, tuple[int, int]]:
        """``{name: (size, mtime_ns)}`` from the manifest (empty if it has no listing)."""
        return manifest.read_files(self.read_manifest())

    _error_pattern = re.compile(r"^The file '(.+)' could not be found")

    def make_helpful_exception(self, exception: Exception, name: str) -> Exception:
        """Explain Django's "could not be found" errors: which file refers to what."""
        if not isinstance(exception, ValueError) or not exception.args:
            return exception
        message = str(exception.args[0])
        match = self._error_pattern.search(message)
        if not match:
            return exception
        kind = os.path.splitext(name)[1].lstrip(".").upper() or "collected"
        text = textwrap.dedent(
            f"""\
            {message}

            The {kind} file '{name}' refers to a file that does not exist:
              {match.group(1)}

            Check the URLs in '{name}', especially relative paths ('../'), or add
            the missing file to a static directory.
            """
        )
        return MissingFileError(text)
