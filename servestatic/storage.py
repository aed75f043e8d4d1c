"""``servestatic.storage``: the storage classes ``STORAGES`` / ``STATICFILES_STORAGE`` name.

They live in :mod:`servestatic.django.storage` and keep ``__module__ == "servestatic.storage"``
(what Django's ``deconstruct()`` writes into migrations).
"""

from servestatic.django.storage import (
    CompressedManifestStaticFilesStorage,
    CompressedStaticFilesStorage,
    MissingFileError,
    get_compressor_kwargs,
)

__all__ = [
    "CompressedManifestStaticFilesStorage",
    "CompressedStaticFilesStorage",
    "MissingFileError",
    "get_compressor_kwargs",
]
