"""The Django modules' public names and ServeStatic-compatible signatures."""

from __future__ import annotations

import inspect
from typing import Any

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


def test_public_paths_are_the_implementation_classes() -> None:
    """The Django code lives in servestatic.django; ServeStatic's paths hand out the same
    objects (so isinstance checks, subclassing and settings strings keep working)."""
    import servestatic.django.checks
    import servestatic.django.middleware
    import servestatic.django.storage

    assert (
        servestatic.middleware.ServeStaticMiddleware
        is servestatic.django.middleware.ServeStaticMiddleware
    )
    for name in servestatic.storage.__all__:
        assert getattr(servestatic.storage, name) is getattr(servestatic.django.storage, name)
    for name in servestatic.checks.__all__:
        assert getattr(servestatic.checks, name) is getattr(servestatic.django.checks, name)


def test_classes_keep_their_public_module() -> None:
    """``__module__`` is the documented path: Django's deconstruct() writes it into
    migrations, and pickles, reprs and tracebacks show it."""
    assert servestatic.middleware.ServeStaticMiddleware.__module__ == "servestatic.middleware"
    for name in (
        "CompressedManifestStaticFilesStorage",
        "CompressedStaticFilesStorage",
        "MissingFileError",
    ):
        assert getattr(servestatic.storage, name).__module__ == "servestatic.storage", name


def test_storage_deconstructs_to_its_public_path(tmp_path: Any) -> None:
    """What ``makemigrations`` records for a FileField(storage=...) must stay importable
    from ServeStatic's path whatever the layout inside the package."""
    for name in ("CompressedManifestStaticFilesStorage", "CompressedStaticFilesStorage"):
        storage = getattr(servestatic.storage, name)(location=str(tmp_path))
        path, args, kwargs = storage.deconstruct()
        assert args == ()
        assert path == f"servestatic.storage.{name}"
        assert kwargs == {"location": str(tmp_path)}
