"""The public surface: names, import paths and ServeStatic-compatible signatures."""

from __future__ import annotations

import inspect
import sys

import servestatic
from servestatic import ServeStatic, ServeStaticASGI
from servestatic.asgi import ServeStaticASGI as AsgiClass
from servestatic.base import ServeStaticBase
from servestatic.media_types import MediaTypes, default_types
from servestatic.wsgi import ServeStatic as WsgiClass

SERVESTATIC_PARAMETERS = [
    ("self", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
    ("application", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
    ("root", inspect.Parameter.POSITIONAL_OR_KEYWORD, None),
    ("prefix", inspect.Parameter.POSITIONAL_OR_KEYWORD, None),
    ("autorefresh", inspect.Parameter.KEYWORD_ONLY, False),
    ("max_age", inspect.Parameter.KEYWORD_ONLY, 60),
    ("allow_all_origins", inspect.Parameter.KEYWORD_ONLY, True),
    ("charset", inspect.Parameter.KEYWORD_ONLY, "utf-8"),
    ("mimetypes", inspect.Parameter.KEYWORD_ONLY, None),
    ("add_headers_function", inspect.Parameter.KEYWORD_ONLY, None),
    ("index_file", inspect.Parameter.KEYWORD_ONLY, None),
    ("immutable_file_test", inspect.Parameter.KEYWORD_ONLY, None),
    ("allow_unsafe_symlinks", inspect.Parameter.KEYWORD_ONLY, False),
    ("settings", inspect.Parameter.KEYWORD_ONLY, None),
]


def test_public_names() -> None:
    assert servestatic.__all__ == sorted(servestatic.__all__)
    assert servestatic.__all__ == [
        "ConfigError",
        "ServeStatic",
        "ServeStaticASGI",
        "ServeStaticError",
        "Settings",
        "__version__",
    ]
    assert ServeStatic is WsgiClass
    assert ServeStaticASGI is AsgiClass
    assert issubclass(ServeStatic, ServeStaticBase)
    assert issubclass(ServeStaticASGI, ServeStaticBase)


def test_signatures_match_servestatic_4() -> None:
    for cls in (ServeStatic, ServeStaticASGI, ServeStaticBase):
        parameters = inspect.signature(cls.__init__).parameters
        assert [
            (name, p.kind, p.default) for name, p in parameters.items()
        ] == SERVESTATIC_PARAMETERS


def test_servestatic_constants_and_methods() -> None:
    assert ServeStatic.FOREVER == 315360000
    # A compiled pattern, as in ServeStatic (subclasses call ``.search(url)`` on it).
    assert ServeStatic.DEFAULT_IMMUTABLE_FILE_TEST.pattern == r"^.+\.[0-9a-f]{12}\..+$"
    assert ServeStatic.DEFAULT_IMMUTABLE_FILE_TEST.search("/a.0123456789ab.js")
    assert not ServeStatic.DEFAULT_IMMUTABLE_FILE_TEST.search("/a.js")
    for name in [
        "add_files",
        "immutable_file_test",
        "find_file",
        "url_is_canonical",
        "files",
        "directories",
    ]:
        assert hasattr(ServeStatic, name), name
    assert list(inspect.signature(ServeStatic.add_files).parameters) == ["self", "root", "prefix"]
    assert list(inspect.signature(ServeStatic.immutable_file_test).parameters) == [
        "self",
        "path",
        "url",
    ]


def test_media_types_interface() -> None:
    types = MediaTypes(extra_types={".foo": "text/x-foo", "Makefile": "text/x-make"})
    assert types.get_type("a/b.FOO") == "text/x-foo"
    assert types.get_type("dir/Makefile") == "text/x-make"
    assert types.get_type("x.css") == "text/css"
    assert types.get_type("x.unknown") == "application/octet-stream"
    assert default_types()[".webmanifest"] == "application/manifest+json"


def test_compat_modules_import() -> None:
    import servestatic.compress
    import servestatic.manifest_hash

    assert hasattr(servestatic.compress, "Compressor")
    assert hasattr(servestatic.manifest_hash, "get_hashed_name")


def test_unknown_keyword_is_a_type_error() -> None:
    import pytest

    with pytest.raises(TypeError, match="unexpected keyword arguments: max_ag"):
        ServeStatic(None, max_ag=5)  # type: ignore[call-arg]


def test_every_servestatic_exception_derives_from_servestatic_error() -> None:
    """One base to catch them all; each keeps the built-in base it had (``except
    ValueError`` around a ServeStatic 4.x storage still works)."""
    from servestatic.build.hashing import MissingReferencesError
    from servestatic.build.history import BuildLockedError, HistoryError
    from servestatic.build.manifest import ManifestError
    from servestatic.build.pipeline import BuildError, UsageError
    from servestatic.cli._common import CliError, CommandFailedError
    from servestatic.export._model import ExportError
    from servestatic.http.glob import GlobError
    from servestatic.serve.files import FileChangedError, StaleFile

    kept = {
        servestatic.ConfigError: ValueError,
        ExportError: ValueError,
        GlobError: ValueError,
        HistoryError: ValueError,
        ManifestError: ValueError,
        BuildLockedError: RuntimeError,
        FileChangedError: OSError,
        StaleFile: Exception,
        MissingReferencesError: Exception,
        UsageError: Exception,
        BuildError: Exception,
        CliError: Exception,
        CommandFailedError: Exception,
    }
    for error, builtin in kept.items():
        assert issubclass(error, servestatic.ServeStaticError), error
        assert issubclass(error, builtin), error
    found = {
        cls
        for module in list(sys.modules)
        if module == "servestatic" or module.startswith("servestatic.")
        for cls in vars(sys.modules[module]).values()
        if isinstance(cls, type)
        and issubclass(cls, Exception)
        and not issubclass(cls, Warning)  # warning categories (IndexWarning) are not raised
        and cls.__module__.startswith("servestatic")
    }
    # Private control-flow signals never reach a caller; the Django storage's
    # MissingFileError is checked with Django (tests/django/test_public_names.py).
    signals = {"WouldBlock", "_SideError", "_ParserExitError", "MissingFileError"}
    assert {cls for cls in found if cls.__name__ not in signals} <= {
        *kept,
        servestatic.ServeStaticError,
    }


def test_public_paths_re_export_the_implementation() -> None:
    """Every top-level path that is a re-export hands out the implementation's objects
    (issue 15: the code moved into http/, serve/, django/; the paths keep working)."""
    import servestatic.http.media_types
    import servestatic.media_types
    import servestatic.rules
    import servestatic.serve.rules

    assert servestatic.media_types.MediaTypes is servestatic.http.media_types.MediaTypes
    assert servestatic.media_types.default_types is servestatic.http.media_types.default_types
    for name in servestatic.rules.__all__:
        assert getattr(servestatic.rules, name) is getattr(servestatic.serve.rules, name)
    assert servestatic.rules.__all__ == servestatic.serve.rules.__all__


def test_build_modules_re_export_the_formats() -> None:
    """build.manifest and build.history keep their names; the server reads the same objects
    from servestatic.formats, so the two can never disagree on the format."""
    import servestatic.build.history
    import servestatic.build.manifest
    import servestatic.formats.history
    import servestatic.formats.manifest

    for name in ("MANIFEST_NAME", "format_link", "load_digests", "load_originals", "load_pages"):
        assert name in servestatic.build.manifest.__all__
        assert getattr(servestatic.build.manifest, name) is getattr(
            servestatic.formats.manifest, name
        )
    for name in ("HISTORY_NAME", "History", "HistoryError", "Retention", "served_builds"):
        assert name in servestatic.build.history.__all__
        assert getattr(servestatic.build.history, name) is getattr(
            servestatic.formats.history, name
        )


def test_top_level_is_faces_only() -> None:
    """The package's top level holds only public paths and the layers' packages: a new
    private module belongs in one of the layers (docs/architecture.md)."""
    import pkgutil

    found = {module.name for module in pkgutil.iter_modules(servestatic.__path__)}
    assert found == {
        "__main__",
        "_version",
        "app",
        "apps",
        "asgi",
        "base",
        "build",
        "checks",
        "cli",
        "compress",
        "config",
        "django",
        "errors",
        "export",
        "formats",
        "hints",
        "http",
        "management",
        "manifest_hash",
        "media_types",
        "middleware",
        "rules",
        "runserver_nostatic",
        "serve",
        "storage",
        "wsgi",
    }
