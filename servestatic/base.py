"""``ServeStaticBase``: ServeStatic's constructor, options and ``add_files``, on our engine."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from os import PathLike
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from pydantic import ValidationError

from servestatic._engine import Engine, immutable_test_from
from servestatic._paths import is_safe_url_path
from servestatic._records import FileEntry, RedirectEntry
from servestatic.config import DEFAULT_IMMUTABLE_FILE_TEST, FOREVER, ConfigError, Settings
from servestatic.config._errors import problems_from_validation
from servestatic.config._loader import Layer

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
    settings: Settings | None = None,
) -> None:
    """ServeStatic 4.x's signature, plus ``settings``; shown by ``inspect.signature``."""


class ServeStaticBase:
    """Shared by the WSGI and ASGI classes: configuration, the file table, ``add_files``.

    Keywords given explicitly are the highest-precedence configuration source; anything not
    given comes from ``SERVESTATIC_*`` environment variables, ``servestatic.toml``,
    ``[tool.servestatic]`` in ``pyproject.toml``, then ServeStatic's defaults. With
    ``settings=``, that object is used as is (plus any explicit keywords).
    """

    #: Ten years in seconds (ServeStatic's constant, used for immutable files).
    FOREVER: ClassVar[int] = FOREVER
    #: ServeStatic's compiled pattern (``.search(url)``), for subclasses that reuse it.
    DEFAULT_IMMUTABLE_FILE_TEST: ClassVar[re.Pattern[str]] = re.compile(DEFAULT_IMMUTABLE_FILE_TEST)
    #: Adapters with their own file sources (Django) index them before ``engine.finish()``.
    _defer_indexing: ClassVar[bool] = False

    def __init__(
        self,
        application: Any,
        root: str | PathLike[str] | None = None,
        prefix: str | None = None,
        *,
        settings: Settings | None = None,
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
            settings = Settings(_code_source=label, **values)
        elif values:
            settings = _override(settings, values, label)
        self.settings = settings
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


def _override(settings: Settings, values: dict[str, Any], label: str) -> Settings:
    """Explicit keywords over a given Settings object, validated without reading sources.

    ``Settings.model_validate`` would run ``Settings.__init__``, which reads the environment
    and the config files again; validating into a bare instance does not.
    """
    cls = type(settings)
    data = {name: getattr(settings, name) for name in cls.model_fields}
    data.update(values)
    instance = cls.__new__(cls)
    try:
        cls.__pydantic_validator__.validate_python(data, self_instance=instance)
    except ValidationError as error:
        layer = Layer("code", dict(values), label)
        raise ConfigError(problems_from_validation(error, cls, [layer], data)) from None
    provenance = {
        key: source
        for key, source in settings._provenance.items()
        if key.split(".", 1)[0] not in values
    }
    provenance.update(dict.fromkeys(values, label))
    instance._provenance.update(provenance)
    return instance


ServeStaticBase.__init__.__signature__ = inspect.signature(_signature_template)  # type: ignore[attr-defined]
