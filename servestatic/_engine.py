"""The engine: settings compiled into a file table, and the per-request decision.

``Engine.handle(request)`` returns a :class:`~servestatic._records.Plan`, or None when the
request belongs to the wrapped application. In the default mode it does a dictionary
lookup and calls the pure core; in autorefresh mode it consults the filesystem (the ASGI
adapter runs it in a worker thread).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servestatic._entries import EntryBuilder, HeaderProblem
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
from servestatic.build.history import served_builds
from servestatic.build.manifest import load_digests
from servestatic.config import DEFAULT_IMMUTABLE_FILE_TEST, ConfigError, Problem, Settings
from servestatic.media_types import MediaTypes
from servestatic.rules import CompiledRule, compile_rules

__all__ = [
    "Engine",
    "Explanation",
    "explain",
    "log",
    "rule_usage",
    "security_headers",
    "why_missing",
]

#: servestatic's logger: one INFO line per start-up, and the start-up warnings that are
#: servestatic's own (ServeStatic 4.4's warnings stay Python warnings, see below).
log = logging.getLogger("servestatic")

#: Problems ServeStatic 4.4 reports with ``warnings.warn`` (same text, ``UserWarning``):
#: applications filter them by message, so they stay Python warnings.
_PYTHON_WARNINGS = frozenset({"no_directory"})
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

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


def _hook_label(hooks: Sequence[Callable[..., Any]], function: object) -> str:
    """How header problems name the hooks that ran: ``add_mime_headers`` (a subclass's
    method), ``add_headers_function``, or both."""
    names = [getattr(hook, "__name__", "header hook") for hook in hooks]
    if function is not None:
        names.append("add_headers_function")
    return " / ".join(names) or "add_headers_function"


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
        provenance: Mapping[str, str] | None = None,
        problems: Sequence[Problem] = (),
        collect: bool = False,
    ) -> None:
        """Build the table. With ``defer=True`` nothing is indexed until :meth:`finish`, so
        an adapter (Django) can add its own sources first. ``headers_hooks`` (a subclass's
        ``add_mime_headers``/``add_cache_headers``) run before ``add_headers_function``.

        Start-up problems (a missing root, a rule that matches no file, a skipped file...)
        are gathered in :attr:`problems`, starting with ``problems`` (the loader's
        warnings); ``provenance`` (key → source) names where each setting came from. When
        the start-up ends, all of them are raised at once as a :class:`ConfigError` under
        ``strict = true``, or reported (logged, or Python warnings for ServeStatic's own);
        with ``collect=True`` (``servestatic check``) they are only gathered.
        """
        self.settings = settings
        self.provenance: Mapping[str, str] = provenance or {}
        #: Every start-up problem, in the order found.
        self.problems: list[Problem] = list(problems)
        self.collect = collect
        self._booting = True
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
            hook_label=_hook_label(headers_hooks, settings.add_headers_function),
            tag_headers=tuple(settings.build_tags),
        )
        self.encodings = frozenset(settings.compression.encodings)
        self.hidden = HiddenPolicy(
            settings.hidden.serve_dotfiles,
            tuple(compile_glob(pattern) for pattern in settings.hidden.allow),
        )
        self.index_file = settings.effective_index_file
        # Plain values for what requests (autorefresh lookups, a stale file's rebuild) read:
        # request-time code never touches the pydantic settings.
        self.strict = settings.strict
        self.etag_mode = settings.etag
        self.allow_unsafe_symlinks = settings.allow_unsafe_symlinks
        self.spa_fallback_url = settings.spa.fallback
        self.not_found_url = settings.errors.not_found
        self.not_found_cache_control = settings.errors.not_found_cache_control
        self.redirects = compile_redirects(settings.redirects)
        self.spa_exclude = tuple(compile_glob(pattern) for pattern in settings.spa.exclude)
        self.memory = MemoryCache(
            settings.memory_cache.max_file_size, settings.memory_cache.max_total_size
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
        if settings.root is not None:
            self.add_root(
                settings.root, settings.prefix, refresh=False, source=(self.source("root"), "root")
            )
        label = self.source("roots")
        for number, root in enumerate(settings.roots, start=1):
            self.add_root(
                root.path,
                root.prefix,
                refresh=False,
                source=(f"{label} [[roots]] #{number}", "path"),
            )
        self.refresh_special()
        self._report_header_problems()
        if not self.autorefresh and self.files:
            self._report_unused_rules()
        self._booting = False
        self._conclude()

    def source(self, key: str) -> str:
        """The label of the source of a setting (``servestatic.toml``, ``SERVESTATIC_ROOT``)."""
        provenance = self.provenance
        if key in provenance:
            return provenance[key]
        nested = [label for path, label in provenance.items() if path.startswith(key + ".")]
        return ", ".join(dict.fromkeys(nested)) if nested else "default"

    def report(self, problem: Problem) -> None:
        """A start-up warning: gathered during the start-up (all of them are reported, or
        raised under ``strict``, when it ends); after it (``add_files()``), at once."""
        self.problems.append(problem)
        if not self._booting:
            self._conclude([problem])

    def _conclude(self, problems: Sequence[Problem] | None = None) -> None:
        found = self.problems if problems is None else problems
        if self.collect:
            return
        if self.strict and found:
            raise ConfigError([problem.as_error() for problem in found])
        for problem in found:
            if problem.kind in _PYTHON_WARNINGS:
                warnings.warn(problem.message, UserWarning, stacklevel=_outside_stacklevel())
            else:
                log.warning("%s", problem)
        if problems is None:
            log.info("%s", self.summary())

    def summary(self) -> str:
        """One line: roots, files, variants, rules, redirects, mode (the start-up log)."""
        files = variants = 0
        for entry in self.files.values():
            if type(entry) is FileEntry:
                files += 1
                variants += len(entry.representations) - 1
        roots = ", ".join(f"{path} at {prefix}" for path, prefix in self.roots) or "no root"
        configured = (
            f"{_plural(len(self.builder.rules), 'rule')}, "
            f"{_plural(len(self.redirects), 'redirect')}"
        )
        if self.autorefresh:
            text = f"serving {roots} (autorefresh: files are looked up per request); {configured}"
        else:
            text = (
                f"serving {_plural(files, 'file')} ({_plural(variants, 'precompressed variant')}) "
                f"from {roots}; {configured}"
            )
        if self.problems:
            text += f"; {_plural(len(self.problems), 'warning')}"
        return text

    def index_warning(self, source: tuple[str, str]) -> Callable[[str], None]:
        """A ``warn`` callback for the scanner: a skipped file is a start-up problem of the
        root it was found in."""

        def warn(message: str) -> None:
            self.report(
                Problem(
                    source[0], source[1], message, None, kind="skipped_file", severity="warning"
                )
            )

        return warn

    def _report_header_problems(self) -> None:
        """Headers the hooks produced for files indexed since the last call that HTTP
        cannot carry: each was left out of its file's entry; reported like every start-up
        problem (refused together under ``strict = true``)."""
        found: list[HeaderProblem] = self.builder.problems
        for problem in found:
            self.report(problem.as_problem())
        found.clear()

    def _report_unused_rules(self) -> None:
        """A rule that matched no indexed file is most likely a typo in its pattern.

        Not judged over an empty index (a root not built yet, as in a test run before
        ``collectstatic``): every rule would be reported for one missing folder."""
        used = self.builder.rules.used()
        label = self.source("rules")
        for rule in self.builder.rules.rules:
            if rule.number in used:
                continue
            where = f"{label} [[rules]] #{rule.number}"
            if rule.name:
                where += f' "{rule.name}"'
            key = "regex" if rule.regex is not None else "match"
            self.report(
                Problem(
                    where,
                    key,
                    "matches no file",
                    rule.pattern_text,
                    kind="unused_rule",
                    path=("rules", rule.number - 1, key),
                    severity="warning",
                )
            )

    # ------------------------------------------------------------------ building

    def add_root(
        self,
        root: Any,
        prefix: str | None = None,
        *,
        refresh: bool = True,
        source: tuple[str, str] = ("add_files()", ""),
    ) -> None:
        """Add a directory (later roots win over earlier ones for the same URL).

        ``source`` (label, key) names where the directory was configured, for problems."""
        path = os.path.abspath(os.fspath(root))
        url_prefix = normalize_prefix(prefix)
        if not self.autorefresh and not os.path.isdir(path):
            # ServeStatic's text: applications filter this warning by message.
            field = source[1] if source[1] == "root" else ("roots" if source[1] else "")
            self.report(
                Problem(
                    source[0],
                    source[1],
                    f"No directory at: {path}",
                    None,
                    kind="no_directory",
                    path=(field,) if field else (),
                    severity="warning",
                )
            )
        self.roots.append((path, url_prefix))
        self._read_build_records(path)
        if not self.autorefresh:
            for scanned in scan_root(
                path,
                url_prefix,
                encodings=self.encodings,
                allow_unsafe_symlinks=self.allow_unsafe_symlinks,
                hidden=self.hidden,
                warn=self.index_warning(source),
            ):
                self._add_file(scanned)
        if refresh:
            self.refresh_special()
        self._report_header_problems()

    def add_files(
        self, files: Iterable[ScannedFile], *, root: str | None = None, prefix: str = "/"
    ) -> None:
        """Index files already described (sizes and times known, e.g. from a manifest)
        without another ``stat``. A ``root`` given is registered (for reloads) and its
        manifest digests are used for content ETags."""
        if root is not None:
            self._read_build_records(root)
        for scanned in files:
            self._add_file(scanned)
        if root is not None:
            self.register_root(root, prefix)
        self._report_header_problems()

    def _read_build_records(self, root: str) -> None:
        """What the build left in ``root``: digests (``staticfiles.json``, and the history
        of ``--retain`` builds) spare reading every file for content ETags; the history says
        which files are kept from previous builds and which builds contain each file."""
        builds = served_builds(root)
        if self.etag_mode == "content":
            self.builder.digests.update(builds.digests)
            self.builder.digests.update(load_digests(root))
        self.builder.retained.update(builds.retained)
        self.builder.build_ids.update(builds.builds)

    def register_root(self, root: str, prefix: str) -> None:
        """Make a directory known (for reloads and autorefresh lookups) without scanning it."""
        self.roots.append((os.path.abspath(root), normalize_prefix(prefix)))

    def _add_file(self, scanned: ScannedFile) -> None:
        url = scanned.url
        index = self.index_file
        if index is None or not url.endswith("/" + index):
            # Indexing (start-up, add_files()): header problems are gathered and reported
            # with the start-up's (strict refuses them); request-time builds log them.
            entry = self.builder.build(scanned, collect=True)
            if entry is None:
                self.files.pop(url, None)
            else:
                self.files[url] = entry
            return
        # An index file is served at its directory's URL (built once: the header hooks
        # see the directory URL, as with ServeStatic) and its own URL redirects there.
        directory_url = url[: -len(index)]
        directory_entry = self.builder.build(scanned, url=directory_url, collect=True)
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
        fallback, not_found = self.spa_fallback_url, self.not_found_url
        self.fallback = self._special(fallback, 200, None, "spa.fallback") if fallback else None
        self.not_found = (
            self._special(not_found, 404, self.not_found_cache_control, "errors.not_found")
            if not_found
            else None
        )
        self.passthrough = not (
            self.standalone or self.autorefresh or self.redirects or self.fallback is not None
        )

    def _special(
        self, url: str, status: int, cache_control: str | None, key: str
    ) -> FileEntry | None:
        scanned = self._scan_url(url)
        entry = None
        if scanned is not None:
            entry = self.builder.build(
                scanned, status=status, cache_control=cache_control, collect=self._booting
            )
        if entry is None and not self.autorefresh and self._booting:
            role = "SPA fallback" if status == 200 else "404 page"
            self.report(
                Problem(
                    self.source(key),
                    key,
                    f"no file for {url!r} (the {role})",
                    None,
                    kind="missing_special",
                    path=tuple(key.split(".")),
                    severity="warning",
                )
            )
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
        if not path:
            return self._mount_point(request)
        if not self.autorefresh:
            entry = self.files.get(path)
            return entry if entry is not None else self._miss(path, request)
        # Autorefresh: redirects first (the index applies them over files at start-up).
        found = self._redirect(path)
        if found is not None:
            return found
        entry = self._fs_lookup(path)
        return entry if entry is not None else self._miss(path, request)

    def _mount_point(self, request: Request | None) -> Entry | None:
        """The mount point itself (``/mount`` under root_path or SCRIPT_NAME ``/mount``, an
        empty path below it). Like a directory URL without its slash, it is redirected to
        ``mount/`` when the site's root is served; without a mount it is the root."""
        mount = request.mount.strip("/") if request is not None else ""
        entry = self.lookup("/", None if request is None else request._replace(path="/"))
        if not mount or entry is None or (type(entry) is FileEntry and entry.status == 404):
            return entry
        return self.builder.redirect(relative_redirect(mount.rsplit("/", 1)[-1] + "/"))

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
            self._fs_special(self.spa_fallback_url, 200) if self.autorefresh else self.fallback
        )
        if fallback is not None and not any(glob.match(path) for glob in self.spa_exclude):
            return fallback
        if self.standalone:
            if self.autorefresh:
                return self._fs_special(self.not_found_url, 404)
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
        cache_control = self.not_found_cache_control if status == 404 else None
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
                allow_unsafe_symlinks=self.allow_unsafe_symlinks,
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


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _outside_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside servestatic
    (the application's own call), not into our internals."""
    level = 1
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


# ---------------------------------------------------------------------- introspection


@dataclass(frozen=True)
class Explanation:
    """How a request is answered (``servestatic explain``)."""

    #: The response plan, exactly as an adapter sends it; None when the request goes to
    #: the wrapped application.
    plan: Plan | None
    #: ``file``, ``redirect``, ``fallback`` (SPA), ``not_found`` (the 404 page) or ``miss``.
    kind: str
    entry: Entry | None
    #: The rules that shaped the file's headers, in order.
    rules: list[CompiledRule]
    #: Why no file answers the path itself (misses, the SPA fallback and the 404 page).
    reason: str | None


def explain(engine: Engine, request: Request) -> Explanation:
    """What answers ``request``: the same lookup and plan as a real request, plus why."""
    plan = engine.handle(request)
    entry = engine.lookup(request.path, request)
    if entry is None:
        return Explanation(plan, "miss", None, [], why_missing(engine, request))
    if isinstance(entry, RedirectEntry):
        return Explanation(plan, "redirect", entry, [], None)
    kind = "file"
    if entry is engine.fallback or (entry.url != request.path and entry.status == 200):
        kind = "fallback"
    if entry.status == 404:
        kind = "not_found"
    urls = (entry.url,) if entry.url == entry.source_url else (entry.url, entry.source_url)
    reason = why_missing(engine, request) if kind != "file" else None
    retained = entry.representations[0].path in engine.builder.retained
    return Explanation(plan, kind, entry, engine.builder.rules.matching(urls, retained), reason)


def why_missing(engine: Engine, request: Request) -> str:
    """Why no file is served at the request's path, in the user's terms."""
    path = request.path
    if has_encoded_separator(request.raw_path):
        return (
            "the raw path encodes '/', '\\' or NUL (%2F, %5C, %00): such a path never names a file"
        )
    if not is_safe_url_path(path):
        return (
            "not a canonical path ('.' or '..' segments, '//', a backslash, ':', control "
            "characters or a device name)"
        )
    if not any(path.startswith(prefix) or path + "/" == prefix for _, prefix in engine.roots):
        prefixes = ", ".join(dict.fromkeys(prefix for _, prefix in engine.roots)) or "none"
        return f"outside every root's URL prefix (prefixes: {prefixes})"
    if not engine.hidden.allows_file(path):
        return "a dot segment: hidden files are not served (see [hidden] in the configuration)"
    denying = [rule for rule in engine.builder.rules.matching((path,)) if rule.deny]
    found = _on_disk(engine, path)
    if found == "file" and denying:
        rule = denying[-1]
        return f"denied by rule {rule.label} ({rule.pattern_text}): deny = true"
    if found == "variant":
        return "a precompressed variant: sent only through Accept-Encoding negotiation"
    if found == "directory":
        index = engine.index_file
        if index is None:
            return "a directory, and index_file is not set"
        return f"a directory without {index!r}"
    if found == "file":
        return "a file that is not served (a symlink out of its root, or an unreadable file)"
    if request.method not in {"GET", "HEAD"} and engine.lookup(path) is not None:
        return f"{request.method} is not GET or HEAD"
    return "no such file in any root"


def _on_disk(engine: Engine, path: str) -> str | None:
    """What the path names in a root: ``file``, ``variant``, ``directory`` or None."""
    for root, prefix in reversed(engine.roots):
        if not path.startswith(prefix):
            continue
        relative = path[len(prefix) :]
        candidate = os.path.join(root, *relative.split("/")) if relative else root
        if os.path.isdir(candidate):
            return "directory"
        if os.path.isfile(candidate):
            base, suffix = os.path.splitext(candidate)
            if suffix in VARIANT_SUFFIXES and os.path.isfile(base):
                return "variant"
            return "file"
    return None


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
        retained = entry.representations[0].path in engine.builder.retained
        for rule in engine.builder.rules.matching(urls, retained):
            counts[rule.number] += 1
    return counts
