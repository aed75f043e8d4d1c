"""``ServeStaticBase``: ServeStatic's constructor, options and ``add_files``, on our engine."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from os import PathLike
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from servestatic.config import (
    DEFAULT_IMMUTABLE_FILE_TEST,
    FOREVER,
    LoadedSettings,
    Settings,
    load_settings,
)
from servestatic.http.paths import is_safe_url_path
from servestatic.http.records import FileEntry, RedirectEntry
from servestatic.serve.engine import Engine, immutable_test_from

if TYPE_CHECKING:
    from typing import Unpack
    from wsgiref.headers import Headers

__all__ = ["ServeStaticBase", "ServeStaticOptions"]


class ServeStaticOptions(TypedDict, total=False):
    """ServeStatic's keyword options (all optional, same names and meaning)."""

    autorefresh: bool
    max_age: int | None
    allow_all_origins: bool
    charset: str
    mimetypes: Mapping[str, str] | None
    add_headers_function: Callable[..., Any] | str | None
    index_file: bool | str | None
    immutable_file_test: Callable[[str, str], bool] | str | None
    allow_unsafe_symlinks: bool


def _signature_template(
    self: Any,
    application: Any,
    root: str | PathLike[str] | None = None,
    prefix: str | None = None,
    *,
    autorefresh: bool = False,
    max_age: int | None = 60,
    allow_all_origins: bool = True,
    charset: str = "utf-8",
    mimetypes: Mapping[str, str] | None = None,
    add_headers_function: Callable[..., Any] | None = None,
    index_file: bool | str | None = None,
    immutable_file_test: Callable[[str, str], bool] | str | None = None,
    allow_unsafe_symlinks: bool = False,
    settings: Settings | LoadedSettings | None = None,
) -> None:
    """ServeStatic 4.x's signature, plus ``settings``; shown by ``inspect.signature``."""


class ServeStaticBase:
    """Shared by the WSGI and ASGI classes: configuration, the file table, ``add_files``.

    Keywords given explicitly are the highest-precedence configuration source; anything not
    given comes from ``SERVESTATIC_*`` environment variables, ``servestatic.toml``,
    ``[tool.servestatic]`` in ``pyproject.toml``, then ServeStatic's defaults. With
    ``settings=`` (a :class:`~servestatic.config.Settings`, or the result of
    :func:`~servestatic.config.load_settings`), that object is used as is, plus any explicit
    keywords, and no other source is read.
    """

    #: Ten years in seconds (ServeStatic's constant, used for immutable files).
    FOREVER: ClassVar[int] = FOREVER
    #: ServeStatic's compiled pattern (``.search(url)``), for subclasses that reuse it.
    DEFAULT_IMMUTABLE_FILE_TEST: ClassVar[re.Pattern[str]] = re.compile(DEFAULT_IMMUTABLE_FILE_TEST)
    #: Adapters with their own file sources (Django) index them before ``engine.finish()``.
    _defer_indexing: ClassVar[bool] = False
    #: Gather start-up problems in ``engine.problems`` without raising or reporting them:
    #: ``servestatic check`` and ``manage.py check`` run the start-up this way.
    _collect_problems: ClassVar[bool] = False

    def __init__(
        self,
        application: Any,
        root: str | PathLike[str] | None = None,
        prefix: str | None = None,
        *,
        settings: Settings | LoadedSettings | None = None,
        **options: Unpack[ServeStaticOptions],
    ) -> None:
        unknown = sorted(set(options) - set(ServeStaticOptions.__annotations__))
        if unknown:
            msg = f"{type(self).__name__}() got unexpected keyword arguments: {', '.join(unknown)}"
            raise TypeError(msg)
        values: dict[str, Any] = dict(options)
        if root is not None:
            values["root"] = root
        if prefix is not None:
            values["prefix"] = prefix
        label = f"{type(self).__name__}()"
        if settings is None:
            loaded = load_settings(values, code_source=label)
        else:
            if isinstance(settings, Settings):
                settings = LoadedSettings.of(settings)
            loaded = settings.with_code(values, label) if values else settings
        #: The settings with the source of each value (``loaded.source_of("max_age")``).
        self.loaded = loaded
        settings = self.settings = loaded.settings  # ConfigError listing every problem
        self.application = self._wrap_application(application)
        self._immutable = immutable_test_from(settings.immutable_file_test)
        # ServeStatic exposes its options as attributes; keep them for subclasses.
        self.autorefresh = settings.autorefresh
        self.max_age = settings.max_age
        self.allow_all_origins = settings.allow_all_origins
        self.charset = settings.charset
        self.index_file = settings.effective_index_file
        self.allow_unsafe_symlinks = settings.allow_unsafe_symlinks
        self.add_headers_function = settings.add_headers_function
        _refuse_unsupported_overrides(type(self))
        self.engine = Engine(
            settings,
            standalone=application is None,
            immutable_test=self.immutable_file_test,
            provenance=loaded.provenance,
            problems=loaded.deferred,
            collect=self._collect_problems,
            headers_hooks=[
                getattr(self, name)
                for name in ("add_mime_headers", "add_cache_headers")
                if getattr(type(self), name) is not getattr(ServeStaticBase, name)
            ],
            defer=self._defer_indexing,
        )

    @staticmethod
    def _wrap_application(application: Any) -> Any:
        return application

    def immutable_file_test(self, path: str, url: str) -> bool:
        """Whether a file never changes (cached for ten years). Override in a subclass."""
        return self._immutable(path, url)

    def add_mime_headers(self, headers: Headers, path: str, url: str) -> None:
        """Subclass hook, called once per file when overridden (ServeStatic's signature).

        ``headers`` (a :class:`wsgiref.headers.Headers`) already holds every header
        servestatic chose, ``Content-Type`` included, so this base version adds nothing.
        """

    def add_cache_headers(self, headers: Headers, path: str, url: str) -> None:
        """Subclass hook, called once per file after :meth:`add_mime_headers` when
        overridden; ``Cache-Control`` is already set, so this base version adds nothing."""

    def add_files(self, root: str | PathLike[str], prefix: str | None = None) -> None:
        """Serve another directory; files added later win over earlier ones."""
        self.engine.add_root(root, prefix)

    @property
    def files(self) -> dict[str, FileEntry | RedirectEntry]:
        """The URL → entry table (empty in autorefresh mode)."""
        return self.engine.files

    @property
    def directories(self) -> list[tuple[str, str]]:
        """The ``(directory, prefix)`` pairs served, in the order they were added."""
        return list(self.engine.roots)

    def find_file(self, url: str) -> FileEntry | RedirectEntry | None:
        """What ``url`` resolves to (a file, a redirect), or None."""
        return self.engine.lookup(url)

    @staticmethod
    def url_is_canonical(url: str) -> bool:
        """True if ``url`` has no ``.``/``..``/empty segments, backslashes or other tricks."""
        return is_safe_url_path(url) and not re.search(r"/\.\.?(/|$)", url)


#: ServeStatic 4.x methods that servestatic has no equivalent of (its file table is built
#: and consulted differently). Overriding one in a subclass would change nothing, silently,
#: so construction refuses it and says what to use instead.
_UNSUPPORTED_OVERRIDES = {
    "initialize": "index extra directories with add_files()",
    "insert_directory": "index extra directories with add_files()",
    "update_files_dictionary": "index extra directories with add_files()",
    "add_file_to_dictionary": "hide files with a deny rule ([[rules]] deny = true) or [hidden]",
    "find_file": "map URLs with [[redirects]], index_file or the SPA fallback",
    "find_file_at_path": "map URLs with [[redirects]], index_file or the SPA fallback",
    "candidate_paths_for_url": "map URLs with [[redirects]], index_file or the SPA fallback",
    "get_static_file": "set headers in add_mime_headers/add_cache_headers, "
    "add_headers_function or [[rules]]",
    "is_compressed_variant": "choose encodings with [compression] encodings",
    "redirect": "declare redirects with [[redirects]]",
    "path_within_root": "symlinks are contained by default (allow_unsafe_symlinks)",
    "serve": "wrap the application instead (servestatic answers from its own plans)",
}


def _refuse_unsupported_overrides(cls: type) -> None:
    for klass in cls.__mro__:
        if klass.__module__.split(".", 1)[0] == "servestatic":
            continue
        for name, instead in _UNSUPPORTED_OVERRIDES.items():
            if name in vars(klass):
                msg = (
                    f"{klass.__qualname__}.{name} overrides a ServeStatic 4.x method that "
                    f"servestatic does not call, so it would be ignored; {instead} "
                    "(see docs/migration.md)"
                )
                raise TypeError(msg)


ServeStaticBase.__init__.__signature__ = inspect.signature(_signature_template)  # type: ignore[attr-defined]
