"""The engine: settings compiled into a file table, and the per-request decision.

``Engine.handle(request)`` returns a :class:`~servestatic._records.Plan`, or None when the
request belongs to the wrapped application. In the default mode it does a dictionary
lookup and calls the pure core; in autorefresh mode it consults the filesystem (the ASGI
adapter runs it in a worker thread).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from servestatic._budget import shared_budget
from servestatic._entries import EntryBuilder
from servestatic._files import MemoryCache
from servestatic._glob import compile_glob
from servestatic._index import VARIANT_SUFFIXES, HiddenPolicy, ScannedFile, scan_root, stat_file
from servestatic._paths import (
    MAX_PATH_LENGTH,
    has_encoded_separator,
    is_safe_url_path,
    normalize_prefix,
    relative_redirect,
)
from servestatic._records import FileEntry, HeaderBlock, Plan, RedirectEntry, Request
from servestatic._redirects import compile_redirects, first_match
from servestatic._respond import (
    NOT_FOUND,
    NOT_FOUND_HEAD,
    HttpOptions,
    respond,
    respond_redirect,
)
from servestatic.build.manifest import load_digests
from servestatic.config import DEFAULT_IMMUTABLE_FILE_TEST, ConfigError, Settings
from servestatic.media_types import MediaTypes
from servestatic.rules import compile_rules

__all__ = ["Engine", "security_headers"]

Entry = FileEntry | RedirectEntry
#: Entries remembered by autorefresh lookups (cleared, not evicted, when full).
_BUILT_LIMIT = 4096

_SECURITY_BASIC = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
)
_SECURITY_STRICT = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    (
        "Content-Security-Policy",
        "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
    ),
)


def security_headers(settings: Settings) -> tuple[tuple[str, str], ...]:
    """The headers of the ``[security]`` group, in the order they are sent."""
    security = settings.security
    preset = {"off": (), "basic": _SECURITY_BASIC, "strict": _SECURITY_STRICT}[security.preset]
    headers = {name.lower(): (name, value) for name, value in preset}
    if security.content_security_policy is not None:
        headers["content-security-policy"] = (
            "Content-Security-Policy",
            security.content_security_policy,
        )
    if security.hsts is not None:
        headers["strict-transport-security"] = ("Strict-Transport-Security", security.hsts)
    return tuple(headers.values())


def _cors_headers(settings: Settings) -> tuple[tuple[str, str], ...]:
    headers = []
    allows = settings.allow_all_origins or settings.cors.allow_origins
    if settings.allow_all_origins and not settings.cors.allow_origins:
        headers.append(("Access-Control-Allow-Origin", "*"))
    if allows and settings.cors.expose_headers:
        headers.append(("Access-Control-Expose-Headers", ", ".join(settings.cors.expose_headers)))
    return tuple(headers)


def immutable_test_from(
    setting: str | Callable[[str, str], bool] | None,
) -> Callable[[str, str], bool]:
    """ServeStatic's ``immutable_file_test``: a callable, or a regex searched in the URL."""
    if callable(setting):
        return setting
    pattern = re.compile(setting if setting is not None else DEFAULT_IMMUTABLE_FILE_TEST)
    return lambda path, url: pattern.search(url) is not None


def _chain_hooks(*hooks: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """One ``(headers, path, url)`` hook calling the given ones in order (None if none)."""
    present = [hook for hook in hooks if hook is not None]
    if len(present) <= 1:
        return present[0] if present else None

    def chained(headers: Any, path: str, url: str) -> None:
        for hook in present:
            hook(headers, path, url)

    return chained


class Engine:
    """The file table and request handling, built from validated settings."""

    def __init__(
        self,
        settings: Settings,
        *,
        standalone: bool,
        immutable_test: Callable[[str, str], bool] | None = None,
        headers_hooks: Sequence[Callable[..., Any]] = (),
        defer: bool = False,
    ) -> None:
        """Build the table. With ``defer=True`` nothing is indexed until :meth:`finish`, so
        an adapter (Django) can add its own sources first. ``headers_hooks`` (a subclass's
        ``add_mime_headers``/``add_cache_headers``) run before ``add_headers_function``."""
        self.settings = settings
        self.standalone = standalone
        self.autorefresh = settings.autorefresh
        self.options = HttpOptions(
            ranges=settings.ranges.enabled,
            max_ranges=settings.ranges.max_ranges,
            multipart=settings.ranges.multipart,
        )
        self.builder = EntryBuilder(
            rules=compile_rules(settings.rules),
            media_types=MediaTypes(extra_types=settings.mimetypes),
            max_age=settings.max_age,
            charset=settings.charset or None,
            immutable_test=immutable_test or immutable_test_from(settings.immutable_file_test),
            presets=_cors_headers(settings) + security_headers(settings),
            cors_origins=frozenset(settings.cors.allow_origins),
            etag_mode=settings.etag,
            ranges=settings.ranges.enabled,
            add_headers_function=_chain_hooks(*headers_hooks, settings.add_headers_function),
        )
        self.encodings = frozenset(settings.compression.encodings)
        self.hidden = HiddenPolicy(
            settings.hidden.serve_dotfiles,
            tuple(compile_glob(pattern) for pattern in settings.hidden.allow),
        )
        self.index_file = settings.effective_index_file
        self.redirects = compile_redirects(settings.redirects)
        self.spa_exclude = tuple(compile_glob(pattern) for pattern in settings.spa.exclude)
        self.memory = MemoryCache(
            settings.memory_cache.max_file_size, settings.memory_cache.max_total_size
        )
        streaming = settings.streaming
        #: The process's budget for streamed bodies (shared by applications configured alike).
        self.streams = shared_budget(
            streaming.budget, streaming.block_size, streaming.max_wait, streaming.min_block_size
        )
        self.roots: list[tuple[str, str]] = []
        self._built: dict[tuple[Any, ...], FileEntry | None] = {}
        self.files: dict[str, Entry] = {}
        self.fallback: FileEntry | None = None
        self.not_found: FileEntry | None = None
        #: True when a path missing from ``files`` certainly belongs to the application
        #: (no autorefresh, redirects or SPA fallback to consult): adapters then hand such a
        #: request over before reading any header.
        self.passthrough = False
        if not defer:
            self.finish()

    def finish(self) -> None:
        """Index the configured roots, then resolve redirects, the SPA fallback and 404 page."""
        settings = self.settings
        roots: list[tuple[Any, str | None]] = []
        if settings.root is not None:
            roots.append((settings.root, settings.prefix))
        roots.extend((root.path, root.prefix) for root in settings.roots)
        for root, prefix in roots:
            self.add_root(root, prefix, refresh=False)
        self.refresh_special()
        if not self.autorefresh and self.files:
            self._report_unused_rules()

    def _report_unused_rules(self) -> None:
        """A rule that matched no indexed file is most likely a typo in its pattern.

        Not judged over an empty index (a root not built yet, as in a test run before
        ``collectstatic``): every rule would be reported for one missing folder."""
        used = self.builder.rules.used()
        for rule in self.builder.rules.rules:
            if rule.number in used:
                continue
            message = f"rule {rule.label} ({rule.pattern_text}) matches no file"
            if self.settings.strict:
                raise ConfigError(message)
            warnings.warn(message, UserWarning, stacklevel=3)

    # ------------------------------------------------------------------ building

    def add_root(self, root: Any, prefix: str | None = None, *, refresh: bool = True) -> None:
        """Add a directory (later roots win over earlier ones for the same URL)."""
        path = os.path.abspath(os.fspath(root))
        url_prefix = normalize_prefix(prefix)
        if not self.autorefresh and not os.path.isdir(path):
            if self.settings.strict:
                raise ConfigError(f"No directory at: {path}")
            warnings.warn(f"No directory at: {path}", UserWarning, stacklevel=3)
        self.roots.append((path, url_prefix))
        if self.settings.etag == "content":
            # Digests recorded by `servestatic ... --manifest` spare reading every file.
            self.builder.digests.update(load_digests(path))
        if not self.autorefresh:
            for scanned in scan_root(
                path,
                url_prefix,
                encodings=self.encodings,
                allow_unsafe_symlinks=self.settings.allow_unsafe_symlinks,
                hidden=self.hidden,
            ):
                self._add_file(scanned)
        if refresh:
            self.refresh_special()

    def add_files(
        self, files: Iterable[ScannedFile], *, root: str | None = None, prefix: str = "/"
    ) -> None:
        """Index files already described (sizes and times known, e.g. from a manifest)
        without another ``stat``. A ``root`` given is registered (for reloads) and its
        manifest digests are used for content ETags."""
        if root is not None and self.settings.etag == "content":
            self.builder.digests.update(load_digests(root))
        for scanned in files:
            self._add_file(scanned)
        if root is not None:
            self.register_root(root, prefix)

    def register_root(self, root: str, prefix: str) -> None:
        """Make a directory known (for reloads and autorefresh lookups) without scanning it."""
        self.roots.append((os.path.abspath(root), normalize_prefix(prefix)))

    def _add_file(self, scanned: ScannedFile) -> None:
        url = scanned.url
        index = self.index_file
        if index is None or not url.endswith("/" + index):
            entry = self.builder.build(scanned)
            if entry is None:
                self.files.pop(url, None)
            else:
                self.files[url] = entry
            return
        # An index file is served at its directory's URL (built once: the header hooks
        # see the directory URL, as with ServeStatic) and its own URL redirects there.
        directory_url = url[: -len(index)]
        directory_entry = self.builder.build(scanned, url=directory_url)
        if directory_entry is None:
            self.files.pop(url, None)
            return
        self.files[directory_url] = directory_entry
        self.files[url] = self.builder.redirect(relative_redirect("./"))
        if directory_url != "/":
            bare = directory_url[:-1]
            self.files[bare] = self.builder.redirect(
                relative_redirect(bare.rsplit("/", 1)[-1] + "/")
            )

    def refresh_special(self) -> None:
        """Redirects over files, and the SPA fallback and 404 page entries."""
        if self.redirects and not self.autorefresh:
            targets = [redirect.literal for redirect in self.redirects if redirect.literal]
            for url in [*self.files, *targets]:
                found = first_match(self.redirects, url)
                if found is not None:
                    redirect, location = found
                    self.files[url] = self._redirect_entry(
                        redirect.status, location, redirect.keep_query
                    )
        spa, errors = self.settings.spa, self.settings.errors
        self.fallback = self._special(spa.fallback, 200, None) if spa.fallback else None
        self.not_found = (
            self._special(errors.not_found, 404, errors.not_found_cache_control)
            if errors.not_found
            else None
        )
        self.passthrough = not (
            self.standalone or self.autorefresh or self.redirects or self.fallback is not None
        )

    def _special(self, url: str, status: int, cache_control: str | None) -> FileEntry | None:
        scanned = self._scan_url(url)
        entry = None
        if scanned is not None:
            entry = self.builder.build(scanned, status=status, cache_control=cache_control)
        if entry is None and not self.autorefresh:
            role = "SPA fallback" if status == 200 else "404 page"
            message = f"No file for {url!r} (configured as the {role})"
            if self.settings.strict:
                raise ConfigError(message)
            warnings.warn(message, UserWarning, stacklevel=4)
        return entry

    def _redirect_entry(self, status: int, location: str, keep_query: bool) -> RedirectEntry:
        return RedirectEntry(
            location, status, HeaderBlock.of([("Content-Length", "0")]), keep_query
        )

    # ------------------------------------------------------------------ requests

    def handle(self, request: Request) -> Plan | None:
        """The response plan, or None to hand the request to the wrapped application."""
        entry = self.lookup(request.path, request)
        if entry is None:
            if not self.standalone:
                return None
            return NOT_FOUND_HEAD if request.method == "HEAD" else NOT_FOUND
        if type(entry) is FileEntry:
            return respond(entry, request, self.options)
        return respond_redirect(entry, request)  # type: ignore[arg-type]

    def indexed(self, path: str, raw_path: str | bytes | None) -> FileEntry | None:
        """The file the start-up index serves at ``path`` when nothing can claim the request
        before it: None in autorefresh mode, for redirects, misses, and a raw path with an
        encoded separator (see :meth:`lookup`). For adapters that decide a revalidation
        before building the whole request record."""
        if self.autorefresh:
            return None
        entry = self.files.get(path)
        if type(entry) is not FileEntry or has_encoded_separator(raw_path):
            return None
        return entry

    def lookup(self, path: str, request: Request | None = None) -> Entry | None:
        """Find what answers ``path``: a file, a redirect, the SPA fallback or the 404 page."""
        if request is not None and has_encoded_separator(request.raw_path):
            # Not what its segments say: no file and no redirect, whatever it decodes to.
            return self._miss(path, request, redirects=False)
        if not self.autorefresh:
            entry = self.files.get(path)
            return entry if entry is not None else self._miss(path, request)
        # Autorefresh: redirects first (the index applies them over files at start-up).
        found = self._redirect(path)
        if found is not None:
            return found
        entry = self._fs_lookup(path)
        return entry if entry is not None else self._miss(path, request)

    def _redirect(self, path: str) -> RedirectEntry | None:
        if not self.redirects or len(path) > MAX_PATH_LENGTH:
            return None
        found = first_match(self.redirects, path)
        if found is None:
            return None
        redirect, location = found
        return self._redirect_entry(redirect.status, location, redirect.keep_query)

    def _miss(self, path: str, request: Request | None, *, redirects: bool = True) -> Entry | None:
        if len(path) > MAX_PATH_LENGTH:
            return None
        if redirects and not self.autorefresh:
            found = self._redirect(path)
            if found is not None:
                return found
        method = request.method if request is not None else "GET"
        if method not in {"GET", "HEAD"}:
            return None
        fallback = (
            self._fs_special(self.settings.spa.fallback, 200) if self.autorefresh else self.fallback
        )
        if fallback is not None and not any(glob.match(path) for glob in self.spa_exclude):
            return fallback
        if self.standalone:
            if self.autorefresh:
                return self._fs_special(self.settings.errors.not_found, 404)
            return self.not_found
        return None

    def refresh(self, path: str, stale_file: str) -> None:
        """A file changed after start-up: rebuild what refers to it from the disk."""
        self.memory.forget(stale_file)
        if self.autorefresh:
            return
        entry = self._fs_lookup(path)
        if entry is None:
            self.files.pop(path, None)
        else:
            self.files[path] = entry
        for special in (self.fallback, self.not_found):
            if special is not None and any(
                rep.path == stale_file for rep in special.representations
            ):
                self.refresh_special()
                break

    # ------------------------------------------------------------------ filesystem lookups

    def _fs_special(self, url: str | None, status: int) -> FileEntry | None:
        if url is None:
            return None
        scanned = self._scan_url(url)
        if scanned is None:
            return None
        cache_control = self.settings.errors.not_found_cache_control if status == 404 else None
        return self._build(scanned, status=status, cache_control=cache_control)

    def _scan_url(self, url: str) -> ScannedFile | None:
        """Find the file behind a URL on disk, checking the same rules as the index."""
        if not is_safe_url_path(url) or not self.hidden.allows_file(url):
            return None
        for root, prefix in reversed(self.roots):
            if not url.startswith(prefix):
                continue
            relative = url[len(prefix) :]
            if not relative or relative.endswith("/"):
                continue
            base, suffix = os.path.splitext(relative)
            candidate = os.path.join(root, *relative.split("/"))
            if suffix in VARIANT_SUFFIXES and os.path.isfile(os.path.join(root, *base.split("/"))):
                return None  # variants are reached through negotiation only
            scanned = stat_file(
                candidate,
                url,
                encodings=self.encodings,
                real_root=None,  # resolved only if a symlink is met
                allow_unsafe_symlinks=self.settings.allow_unsafe_symlinks,
                root=root,
            )
            if scanned is not None:
                return scanned
        return None

    def _build(self, scanned: ScannedFile, **options: Any) -> FileEntry | None:
        """``builder.build`` for lookups from the disk, remembered per file description
        (path, size, mtime and variants) and options: an unchanged file is not rebuilt per
        request."""
        key = (scanned, *sorted(options.items()))
        try:
            return self._built[key]
        except KeyError:
            pass
        built = self.builder.build(scanned, **options)
        if len(self._built) >= _BUILT_LIMIT:
            self._built.clear()
        self._built[key] = built
        return built

    def _fs_lookup(self, path: str) -> Entry | None:
        """Autorefresh (and reload) lookup: the same answers as the index, from the disk."""
        if not is_safe_url_path(path):
            return None
        index = self.index_file
        for root, prefix in reversed(self.roots):
            if index is not None and path + "/" == prefix and prefix != "/":
                if os.path.isfile(os.path.join(root, index)):
                    return self.builder.redirect(relative_redirect(path.rsplit("/", 1)[-1] + "/"))
                continue
            if not path.startswith(prefix):
                continue
            relative = path[len(prefix) :]
            if relative == "" or relative.endswith("/"):
                if index is None:
                    continue
                scanned = self._scan_url(path + index)
                if scanned is not None:
                    return self._build(scanned, url=path)
                continue
            if index is not None:
                directory = os.path.join(root, *relative.split("/"))
                if os.path.basename(relative) == index:
                    if self._scan_url(path) is not None:
                        return self.builder.redirect(relative_redirect("./"))
                    continue
                if os.path.isdir(directory) and self._scan_url(path + "/" + index) is not None:
                    return self.builder.redirect(
                        relative_redirect(relative.rsplit("/", 1)[-1] + "/")
                    )
            scanned = self._scan_url(path)
            if scanned is not None:
                return self._build(scanned)
        return None


# ---------------------------------------------------------------------- introspection


def explain(engine: Engine, path: str) -> tuple[str, Entry | None, list[Any]]:
    """What answers ``path`` and which rules shaped it: (kind, entry, matched rules).

    ``kind`` is ``file``, ``redirect``, ``fallback`` (SPA), ``not_found`` (the 404 page) or
    ``miss`` (the request goes to the application).
    """
    entry = engine.lookup(path)
    if entry is None:
        return "miss", None, []
    if isinstance(entry, RedirectEntry):
        return "redirect", entry, []
    kind = "file"
    if entry is engine.fallback or (entry.url != path and entry.status == 200):
        kind = "fallback"
    if entry.status == 404:
        kind = "not_found"
    urls = (entry.url,) if entry.url == entry.source_url else (entry.url, entry.source_url)
    return kind, entry, engine.builder.rules.matching(urls)


def rule_usage(engine: Engine) -> dict[int, int]:
    """How many indexed URLs each rule matches (a rule matching nothing is likely a typo)."""
    counts = {rule.number: 0 for rule in engine.builder.rules.rules}
    # Files a deny rule hides are not in the table; the builder counted them.
    for number, hidden in engine.builder.denied.items():
        counts[number] += hidden
    for url, entry in engine.files.items():
        if not isinstance(entry, FileEntry):
            continue
        urls = (url,) if url == entry.source_url else (url, entry.source_url)
        for rule in engine.builder.rules.matching(urls):
            counts[rule.number] += 1
    return counts
