"""``ServeStaticMiddleware``: serve static files at the top of a Django middleware stack.

The middleware is one more adapter of the engine. At start-up it reads the Django settings
into the same settings model as the WSGI/ASGI classes (``SERVESTATIC_*`` settings first,
then the environment and config files), then indexes, in increasing priority:

1. ``STATIC_ROOT`` at the static prefix, always (as WhiteNoise; ServeStatic 4.4 skipped it in
   manifest mode, reference §6 #22), from the manifest's file listing when there is one;
2. the manifest's entries, when the manifest storage lives elsewhere than ``STATIC_ROOT`` or
   ``STATIC_ROOT`` is not served;
3. the staticfiles finders (``SERVESTATIC_USE_FINDERS``, default ``DEBUG``), the first finder
   winning as in ``finders.find``;
4. ``SERVESTATIC_ROOT`` (at ``SERVESTATIC_PREFIX``, default ``/``) and ``SERVESTATIC_ROOTS``.

A request is a dictionary lookup (or a filesystem lookup in autorefresh mode); misses go to
the rest of the stack. Django picks sync or async mode: no event loop or thread is created
per response under WSGI, and bodies are async iterators under ASGI.
"""

from __future__ import annotations

import os
import posixpath
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import suppress
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.staticfiles.storage import (
    ManifestFilesMixin,
    ManifestStaticFilesStorage,
    staticfiles_storage,
)
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from servestatic.base import ServeStaticBase
from servestatic.django import manifest
from servestatic.django.index import (
    finder_files,
    finder_locations,
    known_variants,
    link_policy,
    scan_tree,
)
from servestatic.django.respond import (
    ServeStaticFileResponse,
    is_asgi,
    request_record,
    to_django,
)
from servestatic.django.settings import (
    CHECK_IDS,
    default_static_prefix,
    load,
    no_manifest_problem,
)
from servestatic.http.paths import normalize_prefix
from servestatic.http.records import Confinement
from servestatic.serve.deliver import WouldBlock
from servestatic.serve.index import ScannedFile, stat_file
from servestatic.serve.offload import run_sync

__all__ = ["ServeStaticMiddleware"]

GetResponse = Callable[[HttpRequest], Any]

#: ServeStatic 4.x's name for its response class, kept importable.
AsyncServeStaticFileResponse = ServeStaticFileResponse


def _checks_registered() -> bool:
    """Whether an installed app registers servestatic's system checks (``servestatic``, or
    the legacy ``servestatic.runserver_nostatic``, which does too)."""
    return apps.is_installed("servestatic") or apps.is_installed("servestatic.runserver_nostatic")


def _same_directory(first: str, second: str) -> bool:
    return os.path.realpath(first) == os.path.realpath(second)


class ServeStaticMiddleware(ServeStaticBase):
    """Serve static files for Django; configured by ``SERVESTATIC_*`` Django settings."""

    # The path Django's MIDDLEWARE setting names, so reprs, logs and pickles show it.
    __module__ = "servestatic.middleware"

    sync_capable = True
    async_capable = True
    # Django's sources (STATIC_ROOT, the manifest, finders) are indexed first; the engine
    # then adds the configured roots and resolves the SPA fallback and 404 page.
    _defer_indexing = True

    def __init__(self, get_response: GetResponse | None = None, settings: Any = None) -> None:
        if get_response is None:
            msg = "ServeStaticMiddleware needs get_response (Django passes it)"
            raise TypeError(msg)
        if settings is None:
            settings = django_settings
        loaded, django, debug = load(settings)
        self._django_settings = settings
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)
        self.debug = debug
        self.static_prefix: str | None = django.static_prefix or default_static_prefix(settings)
        self.use_finders = debug if django.use_finders is None else django.use_finders
        self.use_manifest = self._use_manifest(django.use_manifest, debug)
        self.use_static_root = True if django.use_static_root is None else django.use_static_root
        static_root = getattr(settings, "STATIC_ROOT", None)
        self.static_root = os.path.abspath(static_root) if static_root else None
        self.keep_only_hashed_files = django.keep_only_hashed_files
        #: Directories searched for static files, for the DEBUG "not found" message.
        self.searched: list[str] = []
        # ServeStatic 4.4 ignored SERVESTATIC_IMMUTABLE_FILE_TEST (reference §6 #2).
        self._custom_immutable = loaded.source_of("immutable_file_test") != "default"
        self._hashed_files = self._manifest_paths()
        super().__init__(get_response, settings=loaded)
        self._add_sources()
        self.engine.finish()
        if debug and apps.ready and not _checks_registered():
            # ServeStatic 4.4's words and category: warning filters match on them.
            warnings.warn(
                "Django checks for ServeStatic are disabled because 'servestatic' is not in "
                "INSTALLED_APPS. Add 'servestatic' to enable configuration checks.",
                UserWarning,
                stacklevel=2,
            )

    def _use_manifest(self, setting: bool | None, debug: bool) -> bool:
        if setting is False or (setting is None and (debug or self.static_prefix is None)):
            return False  # the storage is not even instantiated
        is_manifest = isinstance(staticfiles_storage, ManifestFilesMixin)
        if setting is None:
            return is_manifest
        if setting and not is_manifest:
            problem = no_manifest_problem(staticfiles_storage)
            raise ImproperlyConfigured(f"[{CHECK_IDS['use_manifest']}] {problem}")
        return setting

    def _manifest_paths(self) -> dict[str, str] | None:
        """The manifest's ``{name: hashed name}`` when the immutable test can read it directly.

        That is what ``staticfiles_storage.url()`` looks up for a manifest storage, without
        URL building per file and without the file reads of ``manifest_strict = False``.
        Not in DEBUG (where Django's URLs are unhashed) nor when ``get_static_url`` is
        overridden.
        """
        if (
            self._custom_immutable
            or not self.use_manifest
            or self.debug
            or type(self).get_static_url is not ServeStaticMiddleware.get_static_url
        ):
            return None
        return dict(cast(ManifestStaticFilesStorage, staticfiles_storage).hashed_files)

    # ------------------------------------------------------------------ start-up

    def _add_sources(self) -> None:
        if self.static_prefix is not None:
            if self.use_static_root and self.static_root:
                self.add_files_from_static_root()
            if self.use_manifest:
                self.add_files_from_manifest()
            if self.use_finders:
                self.add_files_from_finders()

    def _manifest_files(self, location: str) -> dict[str, tuple[int, int]]:
        """The manifest's listing of ``location``, if it is still accurate."""
        if not self.use_manifest:
            return {}
        storage = cast(ManifestStaticFilesStorage, staticfiles_storage)
        storage_location = getattr(storage, "location", None)
        if not storage_location or not _same_directory(str(storage_location), location):
            return {}
        files = manifest.read_files(storage.read_manifest())
        return files if manifest.still_current(location, files) else {}

    def _unhashed_urls(self, prefix: str) -> set[str]:
        """URLs of the unhashed names, which SERVESTATIC_KEEP_ONLY_HASHED_FILES hides."""
        if not (self.use_manifest and self.keep_only_hashed_files):
            return set()
        hashed_files = cast(ManifestStaticFilesStorage, staticfiles_storage).hashed_files
        return {prefix + name for name, hashed in hashed_files.items() if name != hashed}

    def add_files_from_static_root(self) -> None:
        """Index ``STATIC_ROOT`` (from the manifest listing where possible)."""
        engine, root, prefix = self.engine, self.static_root, self.static_prefix
        if root is None or prefix is None:
            return
        self.searched.append(root)
        source = ("settings.STATIC_ROOT", "")
        if engine.autorefresh or not os.path.isdir(root):
            engine.add_root(root, prefix, refresh=False, source=source)  # "No directory at"
            return
        allowed = link_policy(
            os.path.realpath(root),
            self.settings.allow_unsafe_symlinks,
            lambda: [location for location, _ in finder_locations()],
        )
        files = scan_tree(
            root,
            prefix,
            known=self._manifest_files(root),
            encodings=engine.encodings,
            hidden=engine.hidden,
            allowed=allowed,
            warn=engine.index_warning(source),
            skip_urls=self._unhashed_urls(prefix),
        )
        engine.add_files(files, root=root, prefix=prefix)

    def add_files_from_manifest(self) -> None:
        """Index the manifest's entries (original and hashed names) without a directory walk.

        Only needed when ``STATIC_ROOT`` was not indexed, or the storage lives elsewhere.
        """
        engine, prefix = self.engine, self.static_prefix
        storage = cast(ManifestStaticFilesStorage, staticfiles_storage)
        location = getattr(storage, "location", None)
        if prefix is None or not location:
            return
        location = os.path.abspath(str(location))
        if (
            self.use_static_root
            and self.static_root is not None
            and _same_directory(location, self.static_root)
        ):
            return
        self.searched.append(location)
        if engine.autorefresh:
            engine.add_root(location, prefix, refresh=False, source=("staticfiles storage", ""))
            return
        known = self._manifest_files(location)
        names: dict[str, None] = {}
        for original, hashed in storage.hashed_files.items():
            if not (self.keep_only_hashed_files and original != hashed):
                names[original] = None
            names[hashed] = None
        engine.add_files(
            self._described(location, prefix, names, known, storage), root=location, prefix=prefix
        )

    def _described(
        self,
        location: str,
        prefix: str,
        names: dict[str, None],
        known: dict[str, tuple[int, int]],
        storage: ManifestStaticFilesStorage,
    ) -> Iterator[ScannedFile]:
        engine = self.engine
        real_root = os.path.realpath(location)
        # Listed files are opened for the first time at a request: what is opened must
        # then be where this listing's symlink policy allows (collectstatic --link).
        confinement = Confinement(
            location,
            link_policy(
                real_root,
                self.settings.allow_unsafe_symlinks,
                lambda: [directory for directory, _ in finder_locations()],
            ),
        )
        for name in names:
            path, url = storage.path(name), prefix + name
            recorded = known.get(name)
            scanned: ScannedFile | None
            if recorded is not None:
                variants = known_variants(path, name, recorded[0], known, engine.encodings)
                scanned = ScannedFile(
                    url, path, recorded[0], recorded[1], variants, confinement=confinement
                )
            else:
                scanned = stat_file(
                    path,
                    url,
                    encodings=engine.encodings,
                    real_root=real_root,
                    allow_unsafe_symlinks=self.settings.allow_unsafe_symlinks,
                )
            if scanned is not None and engine.hidden.allows_file(url):
                yield scanned

    def add_files_from_finders(self) -> None:
        """Index the files of the staticfiles finders (per request in autorefresh mode)."""
        engine, prefix = self.engine, self.static_prefix
        if prefix is None:
            return
        locations = finder_locations()
        self.searched.extend(location for location, _ in locations)
        if not engine.autorefresh:
            engine.add_files(self._finder_files(prefix))
        # Later roots win in the engine's lookups: the first finder goes last.
        for location, sub_prefix in reversed(locations):
            location_prefix = normalize_prefix(prefix + sub_prefix) if sub_prefix else prefix
            if engine.autorefresh:
                engine.add_root(
                    location, location_prefix, refresh=False, source=("staticfiles finders", "")
                )
            else:
                engine.register_root(location, location_prefix)

    def _finder_files(self, prefix: str) -> Iterator[ScannedFile]:
        engine = self.engine
        for relative, (path, location) in finder_files().items():
            url = prefix + relative
            scanned = stat_file(
                path,
                url,
                encodings=engine.encodings,
                real_root=os.path.realpath(location or os.path.dirname(path)),
                allow_unsafe_symlinks=self.settings.allow_unsafe_symlinks,
            )
            if scanned is not None and engine.hidden.allows_file(url):
                yield scanned

    # ------------------------------------------------------------------ immutable files

    def immutable_file_test(self, path: str, url: str) -> bool:
        """Whether a file is immutable: by default, whether its name is the hashed name the
        staticfiles storage gives its unhashed name (WhiteNoise's test).

        ``SERVESTATIC_IMMUTABLE_FILE_TEST`` (a regex or callable), when set, decides instead.
        """
        if self._custom_immutable:
            return super().immutable_file_test(path, url)
        prefix = self.static_prefix
        if prefix is None or not url.startswith(prefix):
            return False
        name = url[len(prefix) :]
        name_without_hash = self.get_name_without_hash(name)
        if name == name_without_hash:
            return False
        if path in self.engine.builder.retained:
            # A hashed file of a previous collectstatic run kept by SERVESTATIC_RETAIN: the
            # manifest no longer names it, but its name still fixes its bytes.
            return True
        hashed_files = self._hashed_files
        if hashed_files is not None:
            return hashed_files.get(name_without_hash) == name
        static_url = self.get_static_url(name_without_hash)
        if not static_url:
            return False
        return unquote(posixpath.basename(urlsplit(static_url).path)) == posixpath.basename(url)

    @staticmethod
    def get_name_without_hash(filename: str) -> str:
        """``css/app.f3ea4bcc2d1e.css`` → ``css/app.css`` (Django's hashed-name scheme)."""
        name_with_hash, ext = os.path.splitext(filename)
        return os.path.splitext(name_with_hash)[0] + ext

    @staticmethod
    def get_static_url(name: str) -> str | None:
        """The URL the staticfiles storage gives ``name``; None if it has none."""
        with suppress(ValueError):
            return str(staticfiles_storage.url(name))
        return None

    @staticmethod
    def default_static_prefix(settings: Any) -> str | None:
        """``STATIC_URL``'s path without ``FORCE_SCRIPT_NAME`` (ServeStatic's helper)."""
        return default_static_prefix(settings)

    # ------------------------------------------------------------------ requests

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self._async:
            return self.__acall__(request)
        engine = self.engine
        record = request_record(request)
        response = engine.kept(record)
        if response is None:
            response = engine.serve(record)
        if response is None:
            return self._miss(request)
        return to_django(response, engine.streams, asgi=is_asgi(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        engine = self.engine
        record = request_record(request)
        response = engine.kept(record)
        if response is None:
            try:
                response = engine.serve(record, blocking=False)
            except WouldBlock:
                # A file to open, a lookup on disk or a changed file to rebuild: in a thread.
                response = await run_sync(engine.serve, record)
        if response is None:
            return await self._amiss(request)
        return to_django(response, engine.streams, asgi=True)

    # ------------------------------------------------------------------ misses

    def _explains(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        # Only in DEBUG, only under the static prefix, and only once the rest of the stack
        # had its chance: a later handler may serve the URL (ServeStatic raised instead,
        # reference §6 #24). DEBUG is read now, not at start-up, as ServeStatic did: a test
        # under override_settings(DEBUG=...) gets the page its setting says, even when the
        # middleware was built before (a live server's handler, a shared client).
        prefix = self.static_prefix
        return (
            response.status_code == 404
            and prefix is not None
            and request.path_info.startswith(prefix)
            and bool(getattr(self._django_settings, "DEBUG", False))
        )

    def _miss(self, request: HttpRequest) -> HttpResponseBase:
        response = cast(HttpResponseBase, self.get_response(request))
        if self._explains(request, response):
            response.close()
            return self.missing_file_response(request)
        return response

    async def _amiss(self, request: HttpRequest) -> HttpResponseBase:
        response = cast(HttpResponseBase, await self.get_response(request))
        if self._explains(request, response):
            response.close()
            return self.missing_file_response(request)
        return response

    def missing_file_response(self, request: HttpRequest) -> HttpResponse:
        """The DEBUG 404 for a static URL nothing served: where the file was looked for."""
        prefix = self.static_prefix or "/"
        name = request.path_info[len(prefix) :]
        places = "\n".join(f"  - {path}" for path in dict.fromkeys(self.searched)) or "  (none)"
        text = (
            f"ServeStatic did not find the static file {name!r} (URL prefix {prefix}).\n"
            f"It looked in:\n{places}\n\n"
            "Check the file name, STATICFILES_DIRS and INSTALLED_APPS, or run collectstatic.\n"
            "This explanation replaces Django's 404 page because DEBUG is True.\n"
        )
        response = HttpResponse(text, status=404, content_type="text/plain; charset=utf-8")
        response.headers["Cache-Control"] = "no-cache"
        return response
