"""The Django modules' public names and ServeStatic-compatible signatures."""

from __future__ import annotations

import inspect

import pytest

import servestatic.checks
import servestatic.middleware
import servestatic.storage
from servestatic.apps import ServeStaticConfig
from servestatic.base import ServeStaticBase

pytestmark = pytest.mark.django


def test_module_names() -> None:
    assert servestatic.middleware.__all__ == ["ServeStaticMiddleware"]
    assert sorted(servestatic.storage.__all__) == [
        "CompressedManifestStaticFilesStorage",
        "CompressedStaticFilesStorage",
        "MissingFileError",
        "get_compressor_kwargs",
    ]
    assert ServeStaticConfig.name == "servestatic"
    assert issubclass(servestatic.storage.MissingFileError, ValueError)
    # ServeStatic 4.x's response class name still imports.
    assert servestatic.middleware.AsyncServeStaticFileResponse is not None
    assert callable(servestatic.checks.check_settings)


def test_middleware_signature_and_hooks() -> None:
    middleware = servestatic.middleware.ServeStaticMiddleware
    parameters = list(inspect.signature(middleware.__init__).parameters)
    assert parameters == ["self", "get_response", "settings"]
    assert issubclass(middleware, ServeStaticBase)
    assert middleware.sync_capable is True
    assert middleware.async_capable is True
    for hook in (
        "immutable_file_test",
        "get_name_without_hash",
        "get_static_url",
        "default_static_prefix",
        "add_files",
        "add_files_from_finders",
        "add_files_from_manifest",
    ):
        assert callable(getattr(middleware, hook)), hook


def test_storage_hooks() -> None:
    storage = servestatic.storage.CompressedManifestStaticFilesStorage
    for hook in ("create_compressor", "make_helpful_exception", "delete_files", "post_process"):
        assert callable(getattr(storage, hook)), hook
    assert list(inspect.signature(servestatic.storage.get_compressor_kwargs).parameters) == [
        "quiet"
    ]


def test_missing_file_error_is_a_servestatic_error_and_still_a_value_error() -> None:
    from servestatic import ServeStaticError

    assert issubclass(servestatic.storage.MissingFileError, ServeStaticError)
    assert issubclass(servestatic.storage.MissingFileError, ValueError)  # ServeStatic 4.x
