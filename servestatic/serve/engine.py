"""The engine: settings compiled into a file table, and the per-request decision.

``Engine.serve(request)`` is what adapters call: an answer whose body is ready to send (a
:class:`~servestatic.serve.deliver.Response` with bytes or a file already opened and checked, or
a plan whose body is bytes or nothing), or None when the request belongs to the wrapped
application. It finds the plan (a file of the start-up index: a dictionary lookup and the
pure core, inlined; anything else through ``Engine.handle``, which resolves the path through
the engine's :class:`~servestatic.serve.sources.FileSource`: the start-up index, or the disk
in autorefresh mode), delivers it (:mod:`servestatic.serve.deliver`) and, when a file changed
since it was indexed, rebuilds its entry and answers once more.

``Engine.autorefresh`` is read only while building and reporting the index (``add_root``
scans nothing and ``refresh_special`` places no redirect in autorefresh mode; ``_special``
and ``_report_unused_rules`` report nothing about a table that does not exist; ``summary``
names the mode): every request-time method asks :attr:`Engine.file_source` instead.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import warnings
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servestatic.config import (
    DEFAULT_IMMUTABLE_FILE_TEST,
    ConfigError,
    Problem,
    Settings,
    raise_if_strict,
)
from servestatic.formats.history import HISTORY_NAME, served_builds
from servestatic.formats.manifest import load_digests, load_originals, load_pages
from servestatic.http.glob import compile_glob
from servestatic.http.media_types import MediaTypes
from servestatic.http.paths import (
    MAX_PATH_LENGTH,
    PERCENT_BYTE,
    has_encoded_separator,
    is_safe_url_path,
    normalize_prefix,
    relative_redirect,
)
from servestatic.http.records import (
    Confinement,
    FileBody,
    FileEntry,
    HeaderBlock,
    Plan,
    RedirectEntry,
    Request,
)
from servestatic.http.resolve import UrlPolicy, page_urls, resolve
from servestatic.http.respond import (
    NOT_FOUND,
    NOT_FOUND_HEAD,
    HttpOptions,
    is_plain,
    respond,
    respond_redirect,
    revalidate_values,
)
from servestatic.serve.budget import shared_budget
from servestatic.serve.deliver import PLAIN, Answer, Response, Transport, WouldBlock, deliver
from servestatic.serve.entries import EntryBuilder, HeaderProblem
from servestatic.serve.files import HandedFiles, HeldDescriptors, MemoryCache, StaleFile
from servestatic.serve.frameworks import Preset, detect, forced, is_entry_point, looks_hashed
from servestatic.serve.index import (
    VARIANT_SUFFIXES,
    HiddenPolicy,
    ScannedFile,
    is_variant_path,
    scan_root,
    stat_file,
)
from servestatic.serve.redirects import CompiledRedirect, compile_redirects, first_match
from servestatic.serve.rules import CompiledRule, compile_rules, matched_urls
from servestatic.serve.sources import FileSource, LiveDirectory, StartupIndex
from servestatic.serve.table import PENDING, FileTable, PendingAlias
from servestatic.serve.watch import Watcher, missing_extra

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
#: What the table holds at a file's own URL: its entry, or the file deferred (not built yet).
_FILES = (FileEntry, ScannedFile)
# servestatic/, two levels up from servestatic/serve/engine.py: every frame in the package.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

Entry = FileEntry | RedirectEntry
#: The answer to a file that changed again while its entry was rebuilt, without an
#: application to hand the request to.
_GONE = Response(404, NOT_FOUND.headers, (), b"Not Found")

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
    if security.cross_origin_isolation:
        # Both are needed for `crossOriginIsolated` (HTML §7.1.3): SharedArrayBuffer and
        # WebAssembly threads. Same-origin subresources pass require-corp as they are.
        headers["cross-origin-opener-policy"] = ("Cross-Origin-Opener-Policy", "same-origin")
        headers["cross-origin-embedder-policy"] = (
            "Cross-Origin-Embedder-Policy",
            "require-corp",
        )
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
        self.builder = _entry_builder(settings, immutable_test, headers_hooks, self.provenance)
        self.encodings = frozenset(settings.compression.encodings)
        self.hidden = HiddenPolicy(
            settings.hidden.serve_dotfiles,
            tuple(compile_glob(pattern) for pattern in settings.hidden.allow),
        )
        self.index_file = settings.effective_index_file
        self.url_policy = UrlPolicy(self.index_file, settings.clean_urls, settings.trailing_slash)
        #: How the URL of a file also served at other URLs ends (an index file; a page
        #: with clean URLs): one ``endswith`` per file at start-up.
        self._page_ends = (
            *(("/" + self.index_file,) if self.index_file is not None else ()),
            *((".html",) if settings.clean_urls else ()),
        )
        # ServeStatic's directory redirect is a 302; the canonical redirects of clean URLs
        # and an explicit trailing-slash policy are permanent (308 keeps the method).
        self._canonical_status = (
            302 if not settings.clean_urls and settings.trailing_slash in {"auto", "add"} else 308
        )
        self._init_index_state()
        #: True once a build manifest gave some page Link hints and Early Hints are on:
        #: the ASGI adapter looks for the server's extension only then.
        self.early_hints = False
        self._init_request_values(settings)
        #: Where requests are resolved, chosen once: the start-up index (``files``), or
        #: the disk per request (autorefresh). Request-time methods ask it, never the mode.
        self.file_source: FileSource = (
            LiveDirectory(self) if self.autorefresh else StartupIndex(self)
        )
        # Read per request by serve() and revalidate(): plain attributes, no call.
        self._blocking_lookups = self.file_source.blocking
        # The stored value, built or not (revalidate() builds a deferred file through
        # the general path); the live directory has no table.
        self._indexed = self.file_source.indexed_get
        #: True when a path missing from ``files`` certainly belongs to the application
        #: (no autorefresh, redirects or SPA fallback to consult): adapters then hand such a
        #: request over before reading any header.
        self.passthrough = False
        #: The thread keeping the index current from filesystem events (``watch = true``).
        self.watcher: Watcher | None = None
        #: What adapters check before reading any header: None when every path may be the
        #: engine's; else (:attr:`passthrough`) the paths it answers, any other non-empty
        #: path belonging to the wrapped application. An attribute, not a method: it is
        #: read on every request, and a miss costs nothing else.
        self.claimed: Container[str] | None = None
        if not defer:
            self.finish()

    def _init_request_values(self, settings: Settings) -> None:
        """What requests read, as plain values (the settings' redirects, fallback, 404
        page, memory cache and streaming budget), so request-time code never touches the
        pydantic settings."""
        # Plain values for what requests (autorefresh lookups, a stale file's rebuild) read:
        # request-time code never touches the pydantic settings.
        self.strict = settings.strict
        self.etag_mode = settings.etag
        self.allow_unsafe_symlinks = settings.allow_unsafe_symlinks
        self.spa_fallback_url = settings.spa.fallback
        self.not_found_url = settings.errors.not_found
        self.not_found_cache_control = settings.errors.not_found_cache_control
        self.redirects = compile_redirects(settings.redirects)
        self._forced = tuple(redirect for redirect in self.redirects if redirect.force)
        #: Which configured redirect the start-up index put at a URL (explain, export).
        self._redirected: dict[str, CompiledRedirect] = {}
        self.spa_exclude = tuple(compile_glob(pattern) for pattern in settings.spa.exclude)
        self.memory = MemoryCache(
            settings.memory_cache.max_file_size,
            settings.memory_cache.max_total_size,
            settings.memory_cache.cache_status,
        )
        #: The memory cache's plain-GET table (emptied in place, never replaced).
        self._plain_answers = self.memory.answers
        #: Checked descriptors named to servers by ``http.response.pathsend``.
        self.handed = HandedFiles()
        #: Descriptors ranges of big files are read from (one per file, bounded).
        self.held = HeldDescriptors()
        streaming = settings.streaming
        #: The process's budget for streamed bodies (shared by applications configured alike).
        self.streams = shared_budget(
            streaming.budget, streaming.block_size, streaming.max_wait, streaming.min_block_size
        )

    def _init_index_state(self) -> None:
        """The start-up index's own records, filled by :meth:`add_root` and its helpers."""
        self.roots: list[tuple[str, str]] = []
        #: Plain files are built on first use (see :mod:`servestatic.serve.table`).
        # (The builder's method, not the engine's: the table must not keep the engine
        # alive, whose collection ends its watcher. A deferred file has no header problem
        # to gather: files a hook sees are built at start-up, see _add_file.)
        self.files = FileTable(self.builder.build)
        #: ``files``' raw ``get`` for the request path (a deferred file is a ScannedFile).
        self._stored = self.files.raw
        self.fallback: FileEntry | None = None
        self.not_found: FileEntry | None = None
        #: Files answered at URLs other than their own (index files, ``.html`` pages with
        #: clean URLs), by their own URL: see :meth:`_place`.
        self._pages: dict[str, ScannedFile] = {}
        #: Original name → hashed file, both as URLs, from each root's ``staticfiles.json``
        #: (issue 18: ``servestatic SRC DEST --hash`` output served under original names).
        self._originals: dict[str, str] = {}
        self._hashed_scans: dict[str, ScannedFile] = {}
        self._manifests: dict[str, tuple[tuple[int, int], dict[str, str]]] = {}
        #: Roots whose manifest originals are served: those given as roots (the Django
        #: adapter's STATIC_ROOT is not: Django's templates name the hashed files, and a
        #: deleted original must stay a miss there, as with ServeStatic).
        self._original_roots: set[str] = set()
        #: Framework presets detected (or named) per root, in rule order.
        self.presets: list[Preset] = []

    def finish(self) -> None:
        """Index the configured roots, then resolve redirects, the SPA fallback and 404 page."""
        settings = self.settings
        roots: list[tuple[Any, str | None, tuple[str, str]]] = []
        if settings.root is not None:
            roots.append((settings.root, settings.prefix, (self.source("root"), "root")))
        label = self.source("roots")
        roots.extend(
            (root.path, root.prefix, (f"{label} [[roots]] #{number}", "path"))
            for number, root in enumerate(settings.roots, start=1)
        )
        # Every root's presets first: their rules come before the configured ones for the
        # files of every root, whichever root they were detected in.
        for root, prefix, _ in roots:
            self._add_presets(os.path.abspath(os.fspath(root)), normalize_prefix(prefix))
        for root, prefix, source in roots:
            self.add_root(root, prefix, refresh=False, presets=False, source=source)
        self.refresh_special()
        self._report_header_problems()
        if not self.autorefresh and self.files:
            self._report_unused_rules()
        self._booting = False
        self._conclude()
        if settings.watch and not self.collect:
            self._start_watching()

    def _start_watching(self) -> None:
        missing = missing_extra()
        if missing is not None:
            raise ConfigError(
                [Problem(self.source("watch"), "watch", missing, True, "missing_extra", ("watch",))]
            )
        self.watcher = Watcher.start(self)

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
        raise_if_strict(found, self.strict)
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
        for _, entry in self.files.slots():  # deferred files are not built for a count
            if type(entry) is FileEntry:
                files += 1
                variants += len(entry.representations) - 1
            elif isinstance(entry, PENDING):
                files += 1
                variants += len(entry.variants)
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
        used = self.builder.rules.used() | self._deferred_rule_use()
        label = self.source("rules")
        for rule in self.builder.rules.rules:
            if rule.number in used or rule.preset is not None:
                continue
            # Imported files put rules before the configured ones: each keeps its origin
            # (``_headers:12``, ``servestatic.toml [[rules]] #2``).
            where = self.provenance.get(f"rules[{rule.number}]") or (
                f"{label} [[rules]] #{rule.number}"
            )
            if rule.name and rule.name != where:
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

    def _deferred_rule_use(self) -> frozenset[int]:
        """The configured rules that match a deferred file, which no fold has seen yet:
        the files are matched only until every configured rule is found used."""
        rules = self.builder.rules
        unused = {rule.number for rule in rules.rules if rule.preset is None} - rules.used()
        if not unused:
            return frozenset()
        found: set[int] = set()
        retained = self.builder.retained
        for url, stored in self.files.slots():
            if type(stored) is ScannedFile:
                urls: tuple[str, ...] = (url,)
            elif type(stored) is PendingAlias:
                urls = stored.rule_urls()
            else:
                continue
            for rule in rules.matching(urls, stored.path in retained):
                found.add(rule.number)
            if unused <= found:
                break
        return frozenset(found)

    # ------------------------------------------------------------------ building

    def _add_presets(self, root: str, prefix: str) -> None:
        """Detect (or take from the configuration) the framework presets of one root and
        put their rules before the configured ones."""
        choice = self.settings.presets
        if choice == "off":
            return
        first = -1 - sum(len(preset.rules) for preset in self.presets)
        found = (
            detect(root, prefix, first)
            if choice == "auto"
            else forced(choice.split(","), prefix, first)
        )
        if not found:
            return
        self.presets.extend(found)
        rules = tuple(rule for preset in self.presets for rule in preset.rules)
        self.builder.rules = self.builder.rules.with_presets(rules)

    def add_root(
        self,
        root: Any,
        prefix: str | None = None,
        *,
        refresh: bool = True,
        presets: bool = True,
        source: tuple[str, str] = ("add_files()", ""),
    ) -> None:
        """Add a directory (later roots win over earlier ones for the same URL).

        ``source`` (label, key) names where the directory was configured, for problems;
        ``presets``: detect the root's framework presets (``finish`` does it for every
        configured root first)."""
        path = os.path.abspath(os.fspath(root))
        url_prefix = normalize_prefix(prefix)
        if presets:
            self._add_presets(path, url_prefix)
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
        self._original_roots.add(path)
        # Digests, retained builds and build ids, then the pages' hints and CSP hashes.
        self._read_build_records(path)
        self._load_pages(path, url_prefix)
        if not self.autorefresh:
            originals = {
                url_prefix + name: url_prefix + hashed
                for name, hashed in load_originals(path).items()
            }
            wanted = set(originals.values())
            add, defer, page_ends = self._add_file, self.files.defer, self._page_ends
            pages, known = self._pages, self._originals
            # Files from this mtime on are deferred without asking (most files): the
            # checks of _add_file's deferred branch, inlined (one call fewer per file).
            since = self.builder.deferred_from()
            for scanned in scan_root(
                path,
                url_prefix,
                encodings=self.encodings,
                allow_unsafe_symlinks=self.allow_unsafe_symlinks,
                hidden=self.hidden,
                warn=self.index_warning(source),
            ):
                url = scanned.url
                if wanted and url in wanted:
                    self._hashed_scans[url] = scanned
                if (
                    since is None
                    or scanned.mtime_ns < since
                    or url in pages
                    or url in known
                    or (page_ends and url.endswith(page_ends))
                ):
                    add(scanned)
                else:
                    defer(url, scanned)
            self._add_originals(originals)
            # Kept only for the originals served (a later page may be placed on one).
            used = set(self._originals.values())
            for url in [url for url in self._hashed_scans if url not in used]:
                del self._hashed_scans[url]
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
            self._load_pages(root, normalize_prefix(prefix))
        # A file described without its inode is confined to the root it was listed under
        # when it is first opened (see servestatic.serve.files), unless its lister said how.
        confinement = None
        if root is not None and not self.settings.allow_unsafe_symlinks:
            confinement = Confinement(os.path.abspath(root))
        for scanned in files:
            if confinement is not None and scanned.inode == 0 and scanned.confinement is None:
                self._add_file(scanned._replace(confinement=confinement))
            else:
                self._add_file(scanned)
        if root is not None:
            self.register_root(root, prefix)
        self._report_header_problems()

    def _read_build_records(self, root: str) -> None:
        """What the build left in ``root``: digests (``staticfiles.json``, and the history
        of ``--retain`` builds) spare reading every file for content ETags; the history says
        which files are kept from previous builds and which builds contain each file."""
        content = self.etag_mode == "content"
        builds = served_builds(root, digests=content, build_ids=bool(self.builder.tag_headers))
        if content:
            self.builder.digests.update(builds.digests)
            self.builder.digests.update(load_digests(root))
        self.builder.retained.update(builds.retained)
        self.builder.build_ids.update(builds.builds)

    def register_root(self, root: str, prefix: str) -> None:
        """Make a directory known (for reloads and autorefresh lookups) without scanning it."""
        self.roots.append((os.path.abspath(root), normalize_prefix(prefix)))

    def _load_pages(self, root: str, prefix: str) -> None:
        """The per-page ``Link`` hints and CSP hashes the build recorded for a root."""
        hints = self.settings.hints
        if hints.link or hints.csp:
            pages = load_pages(root, prefix, link=hints.link, csp=hints.csp)
            self.builder.pages.update(pages)
            if hints.early_hints and any(page.link for page in pages.values()):
                self.early_hints = True

    def _add_file(self, scanned: ScannedFile) -> None:
        url = scanned.url
        if self._originals:
            self._originals.pop(url, None)  # a real file wins over a manifest's original name
        if self._is_page(url):
            # Served (also) at other URLs: every URL that depends on it is resolved again.
            self._pages[url] = scanned
            for candidate in page_urls(url, self.url_policy):
                self._place(candidate)
            return
        if self._pages:
            self._pages.pop(url, None)
        if self.builder.deferrable(scanned):
            # Built when first read (issue 19): nothing about it can fail or be reported.
            self.files.defer(url, scanned)
            return
        # Indexing (start-up, add_files()): header problems are gathered and reported
        # with the start-up's (strict refuses them); request-time builds log them.
        entry = self.builder.build(scanned, collect=True)
        if entry is None:
            self.files.discard(url)
        else:
            self.files[url] = entry

    def _is_page(self, url: str) -> bool:
        return bool(self._page_ends) and url.endswith(self._page_ends)

    def _add_originals(self, originals: dict[str, str]) -> None:
        """Original names from a manifest whose hashed file is served and which no file
        of their own answers: each is served with the hashed file's bytes (issue 18)."""
        for original, hashed in originals.items():
            if self._exists(original) or type(self._stored(hashed)) not in _FILES:
                continue
            if hashed not in self._hashed_scans:
                continue
            self._originals[original] = hashed
            for candidate in page_urls(original, self.url_policy):
                self._place(candidate)

    def _exists(self, url: str) -> bool:
        """Is there a file (or a manifest original) at ``url`` in the start-up index?"""
        if url in self._pages or url in self._originals:
            return True
        entry = self._stored(url)
        # A deferred file is always stored at its own URL.
        return type(entry) is ScannedFile or (type(entry) is FileEntry and entry.source_url == url)

    def _place(self, url: str) -> None:
        """(Re)decide what the start-up index answers at ``url`` with :func:`resolve`, the
        function autorefresh lookups use too."""
        found = resolve(url, self.url_policy, self._exists)
        if found is None:
            self.files.discard(url)
            return
        kind, target = found
        if kind == "redirect":
            self.files[url] = self._canonical_redirect(target)
            return
        if target == url and url not in self._pages and url not in self._originals:
            return  # a plain file, already indexed at its own URL
        entry = self._serve(target, url, self._pages.get(target), self._originals.get(target))
        if entry is None:
            self.files.discard(url)
        elif isinstance(entry, PENDING):
            self.files.defer(url, entry)
        else:
            self.files[url] = entry

    def _serve(
        self,
        file_url: str,
        url: str,
        scanned: ScannedFile | None,
        hashed: str | None,
    ) -> FileEntry | ScannedFile | PendingAlias | None:
        """What the start-up index places at ``url`` with the file at ``file_url``: a page
        (``scanned``) or a manifest original (the ``hashed`` file's bytes, never immutable).

        Deferred (built when first read, see :mod:`servestatic.serve.table`) when the
        builder allows it for the URLs the rules will match; else built now, its header
        problems gathered with the start-up's (``collect``). The disk's answer to the same
        question is ``sources.Disk.lookup``."""
        original = None
        if scanned is None:
            if hashed is None:
                return None
            scanned = self._hashed_scans.get(hashed)
            if scanned is None:
                return None
            original = file_url
        elif url == file_url:
            # A page at its own URL: deferred as any plain file is.
            if self.builder.deferrable(scanned):
                return scanned
            return self.builder.build(scanned, collect=True)
        pending = PendingAlias(scanned, url, original)
        if self.builder.deferrable(scanned, pending.rule_urls()):
            return pending
        return self.builder.build(scanned, url=url, original=original, collect=True)

    def _canonical_redirect(self, target: str) -> RedirectEntry:
        redirect = self.builder.redirect(relative_redirect(target))
        if self._canonical_status == 302:
            return redirect
        return RedirectEntry(redirect.location, 308, redirect.headers)

    def refresh_special(self) -> None:
        """Redirects over files, and the SPA fallback and 404 page entries."""
        if self.redirects and not self.autorefresh:
            targets = [redirect.literal for redirect in self.redirects if redirect.literal]
            existing = set(self.files)
            for url in [*self.files, *targets]:
                # A redirect without ``force`` (a _redirects line without "!") gives way to
                # what is served at its path.
                found = first_match(self._forced if url in existing else self.redirects, url)
                if found is not None:
                    redirect, location = found
                    self.files[url] = self._redirect_entry(
                        redirect.status, location, redirect.keep_query
                    )
                    self._redirected[url] = redirect
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
        self.claimed = self.files.keys() if self.passthrough else None

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

    def serve(
        self, request: Request, transport: Transport = PLAIN, blocking: bool = True
    ) -> Answer | None:
        """The response to send, or None to hand the request to the wrapped application.

        A file that changed on disk since it was indexed (deleted, replaced, swapped for a
        link) is noticed when it is opened, before any header is sent: its entry is rebuilt
        from the disk and the request answered once more. If it changed again meanwhile,
        the request is a miss: the wrapped application's, else a plain 404. One rule for
        every adapter.

        ``blocking=False`` (asynchronous adapters, on the event loop) raises
        :class:`~servestatic.serve.deliver.WouldBlock` instead of doing blocking I/O: a lookup
        on disk (autorefresh), opening a file to stream, rebuilding a changed entry. The
        adapter then calls again with ``blocking=True`` in a worker thread. ``blocking`` may
        be passed by position (the ASGI adapter does, on every request: a keyword call costs
        ~35 ns more).

        One function on purpose (longer than the usual 60 lines): it is the request path,
        and the lookup, the memory-cache answer and the pathsend step are inlined to spare
        a call each (the in-process benchmark in docs/performance.md measures it).
        """
        #: The file of the start-up index at the request's own URL, when that answers.
        direct: FileEntry | None = None
        if self._blocking_lookups:
            if not blocking:
                raise WouldBlock
            plan = self.handle(request)
        else:
            # Engine.handle and Engine.lookup inlined for a file of the start-up index (the
            # common case: two calls fewer per request); anything else takes the general
            # path, which checks the same conditions again.
            path = request.path
            entry = self._stored(path) if path else None
            raw_path = request.raw_path
            if type(entry) is FileEntry and (
                # has_encoded_separator's first answers, inlined: no raw path (most WSGI
                # servers), or one without "%" (nearly all), cannot hide a separator.
                not raw_path
                or (PERCENT_BYTE if type(raw_path) is bytes else "%") not in raw_path
                or not has_encoded_separator(raw_path)
            ):
                direct = entry
                plan = respond(entry, request, self.options)
            else:
                plan = self.handle(request)
        if plan is None:
            return None
        body = plan.body
        if body is None or type(body) is bytes:
            return plan  # already ready to send: a plan is its own response (same fields)
        # A small file's whole-file 200 from the memory cache (most requests): its answer
        # was built when the bytes were cached, and is kept with them (deliver's step 1,
        # inlined: no call and no Response per request).
        representation = body.representation  # type: ignore[union-attr]
        memory = self.memory
        if representation.size <= memory.max_file_size:
            # Only a file the memory cache may hold can have its answer there: a big
            # file's range or pathsend skips the lookup.
            cached = memory.files.get(representation.path)
            if cached is not None and cached.plan is plan:
                if direct is not None and not direct.cors_origins and is_plain(request):
                    # Only a file of the start-up index at its own URL, and no per-origin
                    # CORS: the answer then depends on nothing else.
                    memory.remember(
                        request.path, request.accept_encoding, direct, representation, cached
                    )
                return cached.answer
        try:
            if (
                transport.pathsend
                and type(body) is FileBody
                and body.offset == 0
                and body.length == representation.size > memory.max_file_size
            ):
                # A whole big file where the server takes a path (deliver's step 3, inlined:
                # granian offers pathsend on every request). The path is the held
                # descriptor's own object, made once; without one (no /proc, every
                # descriptor in use) deliver sends the file another way.
                handed_path = self.handed.body(representation)
                if handed_path is not None:
                    return Response(plan.status, plan.headers, plan.extra, handed_path)
                transport = transport._replace(pathsend=False)
            return deliver(plan, memory, self.handed, self.held, transport, blocking)
        except StaleFile as stale:
            if not blocking:
                raise WouldBlock from None
            self.refresh(request.path, str(stale))
        plan = self.handle(request)
        if plan is None:
            return None
        body = plan.body
        if body is None or type(body) is bytes:
            return plan  # the file is gone: a 404 (its text) or a redirect now answers
        try:
            return deliver(plan, self.memory, self.handed, self.held, transport, True)
        except StaleFile:
            # (Only a GET reads a body, so a HEAD never gets here.)
            return None if not self.standalone else _GONE

    def plain(
        self, path: str, raw_path: str | bytes | None, accept_encoding: str | None
    ) -> Answer | None:
        """The kept answer to a plain GET (:func:`~servestatic.http.respond.is_plain`) of
        ``path`` with this ``Accept-Encoding`` value, or None: then build the request record
        and call :meth:`serve` (which keeps the answer for the next time).

        Adapters ask before they build the request record (WSGI from ``environ``, ASGI from
        the scanned headers): the most common request is answered with one lookup. The
        caller must have checked that the request is a plain GET; :meth:`serve` does not
        look here (the adapters have looked already). Callers with a record: :meth:`kept`."""
        kept = self._plain_answers.get((path, accept_encoding))
        if kept is None or self._stored(path) is not kept[0]:
            return None
        if raw_path and has_encoded_separator(raw_path):
            return None
        return kept[1]

    def kept(self, request: Request) -> Answer | None:
        """:meth:`plain` for a caller that has the request record already (Django's
        middleware): the kept answer if the request is a plain GET, else None."""
        if not is_plain(request):
            return None
        return self.plain(request.path, request.raw_path, request.accept_encoding)

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

    def revalidate(
        self,
        path: str,
        raw_path: str | bytes | None,
        method: str,
        accept_encoding: str | None,
        if_none_match: str,
        if_match: str | None,
        if_unmodified_since: str | None,
        origin: str | None,
    ) -> Plan | None:
        """The 304 for a revalidation of a file of the start-up index, decided from the
        values it depends on (``servestatic.http.respond.revalidate_values``), or None: then build
        the whole request record and call :meth:`serve`.

        For adapters that read single headers cheaply (WSGI's ``environ``): what browsers
        and caches send back most is answered before the other headers are read. None in
        autorefresh mode, for redirects, misses, and a raw path with an encoded separator
        (see :meth:`lookup`). The WSGI adapter passes the values by position, in the order
        above, on every revalidation (a keyword call costs ~35 ns more)."""
        # The live directory has no table (``_indexed`` is empty): always None there.
        entry = self._indexed(path)
        if type(entry) is not FileEntry or has_encoded_separator(raw_path):
            return None
        # Positionally, in revalidate_values' documented order: this is the hot path of
        # every WSGI revalidation (a keyword call per request costs ~30 ns).
        return revalidate_values(
            entry, method, accept_encoding, if_none_match, if_match, if_unmodified_since, origin
        )

    def lookup(self, path: str, request: Request | None = None) -> Entry | None:
        """Find what answers ``path``: a file, a redirect, the SPA fallback or the 404 page."""
        if request is not None and has_encoded_separator(request.raw_path):
            # Not what its segments say: no file and no redirect, whatever it decodes to.
            return self._miss(path, request, redirects=False)
        if not path:
            return self._mount_point(request)
        # The one resolution for both sources: what answers the path itself (its file, an
        # index file or clean URL, a canonical or forced redirect), else the miss's rules.
        entry = self.file_source.find(path)
        if entry is None:
            return self._miss(path, request)
        if isinstance(entry, PENDING):  # a file of the start-up index, not built yet
            return self.files.build(path, entry) or self._miss(path, request)
        return entry

    def _mount_point(self, request: Request | None) -> Entry | None:
        """The mount point itself (``/mount`` under root_path or SCRIPT_NAME ``/mount``, an
        empty path below it). Like a directory URL without its slash, it is redirected to
        ``mount/`` when the site's root is served; without a mount it is the root."""
        mount = request.mount.strip("/") if request is not None else ""
        entry = self.lookup("/", None if request is None else request._replace(path="/"))
        if not mount or entry is None or (type(entry) is FileEntry and entry.status == 404):
            return entry
        return self.builder.redirect(relative_redirect(mount.rsplit("/", 1)[-1] + "/"))

    def _redirect(
        self, path: str, redirects: Sequence[CompiledRedirect] | None = None
    ) -> RedirectEntry | None:
        redirects = self.redirects if redirects is None else redirects
        if not redirects or len(path) > MAX_PATH_LENGTH:
            return None
        found = first_match(redirects, path)
        if found is None:
            return None
        redirect, location = found
        return self._redirect_entry(redirect.status, location, redirect.keep_query)

    def redirect_of(self, path: str) -> CompiledRedirect | None:
        """The configured redirect that answers ``path``, when one does (explain, export):
        the one :meth:`lookup` applied, not merely the first that matches."""
        if not self.redirects or len(path) > MAX_PATH_LENGTH:
            return None
        return self.file_source.redirect_of(path)

    def _miss(self, path: str, request: Request | None, *, redirects: bool = True) -> Entry | None:
        if len(path) > MAX_PATH_LENGTH:
            return None
        # (A live directory whose redirects are all forced tried them already in find():
        # none matched, and none matches now either.)
        if redirects:
            found = self._redirect(path)
            if found is not None:
                return found
        method = request.method if request is not None else "GET"
        if method not in {"GET", "HEAD"}:
            return None
        source = self.file_source
        fallback = source.fallback()
        if fallback is not None and not any(glob.match(path) for glob in self.spa_exclude):
            return fallback
        return source.not_found() if self.standalone else None

    def refresh(self, path: str, stale_file: str) -> None:
        """A file changed after start-up: rebuild what refers to it from the disk."""
        self.memory.forget(stale_file)
        self.file_source.refresh(path, stale_file)

    def original_name(self, hashed: str) -> str | None:
        """The original name a build manifest serves the file at ``hashed`` under, if any
        (``servestatic explain``)."""
        return self.file_source.original_name(hashed)

    # ------------------------------------------------------------------ filesystem lookups

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
            candidate = os.path.join(root, *relative.split("/"))
            if is_variant_path(candidate):
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

    # ------------------------------------------------------------------ watching

    def apply_changes(self, paths: Iterable[str], *, resync: bool = False) -> int:
        """Re-index what changed on disk at ``paths`` (absolute: files created, replaced or
        deleted, variants, directories whose whole subtree is looked at again) with the
        start-up code path, one URL at a time: ``_scan_url`` (symlink containment, hidden
        files, variants only when smaller, later roots first), then ``_add_file`` (rules,
        immutable detection, presets, index files and clean URLs). Each URL's entry is
        replaced by one dict assignment, so a request racing the update gets the old or
        the new entry. ``resync``: entries whose file looks unchanged are kept (a full
        rescan after the watcher (re)started). Returns how many URLs were looked at.

        For the watcher (:mod:`servestatic.serve.watch`); not for autorefresh engines, which
        have no index."""
        urls: dict[str, str] = {}  # URL → its path (the first root that names it)
        manifests: set[tuple[str, str]] = set()
        directories: dict[str, tuple[str, str]] = {}  # directory URL/ → (root, prefix)
        walked: dict[str, bool] = {}  # directory paths (ending in os.sep) walked already
        # Files found by walking a directory, described by the walk itself (one stat
        # each, variants from the listing), as start-up describes them.
        scanned: dict[str, ScannedFile] = {}
        for given in paths:
            path = os.path.abspath(given)
            base, suffix = os.path.splitext(path)
            if suffix in VARIANT_SUFFIXES:
                # A variant added, replaced or removed changes its source's entry.
                self._changed_path(base, urls, manifests, directories, walked, scanned)
            self._changed_path(path, urls, manifests, directories, walked, scanned)
        if directories:
            # A directory created, removed or renamed: every file indexed below its URL
            # that the walk did not find is looked at again (gone, or moved away).
            for indexed in [*self._pages, *self.files]:
                found = _ancestor(indexed, directories)
                if found is not None and indexed not in urls and self._exists(indexed):
                    root, prefix = directories[found]
                    urls[indexed] = os.path.join(root, *indexed[len(prefix) :].split("/"))
        for root, prefix in manifests:
            self._reload_build_records(root, prefix)
        prefixes = [prefix for _, prefix in self.roots]
        for url, path in urls.items():
            for changed in (path, *(path + suffix for suffix in VARIANT_SUFFIXES)):
                self.memory.forget(changed)
                if not resync:
                    # A manifest digest describes the bytes the build wrote, not these.
                    self.builder.digests.pop(changed, None)
            described = scanned.get(url)
            if described is not None and sum(url.startswith(p) for p in prefixes) > 1:
                described = None  # several roots could serve it: the lookup decides which
            self._reindex(url, resync, described)
        self.refresh_special()
        # After start-up a header problem is logged (strict cannot refuse a running server).
        for problem in self.builder.problems:
            log.warning("%s", problem)
        self.builder.problems.clear()
        return len(urls)

    def _changed_path(
        self,
        path: str,
        urls: dict[str, str],
        manifests: set[tuple[str, str]],
        directories: dict[str, tuple[str, str]],
        walked: dict[str, bool],
        scanned: dict[str, ScannedFile],
    ) -> None:
        """The URLs ``path`` names under every root; a directory (or a path gone, which
        may have been one) is recorded in ``directories`` by its URL and walked."""
        for root, prefix in self.roots:
            if path != root and not path.startswith(root + os.sep):
                continue
            relative = path[len(root) + 1 :].replace(os.sep, "/")
            if relative in {"", "staticfiles.json", HISTORY_NAME}:
                # The build records changed (or the whole root is looked at again).
                manifests.add((root, prefix))
            if _ancestor(path, walked, itself=True, separator=os.sep) is not None:
                # Walked in this batch already: the walk saw it as it is now (or did not
                # see it, and the files indexed below that directory are looked at again).
                continue
            url = prefix + relative
            inside = url if url.endswith("/") else url + "/"
            if os.path.isdir(path) and not os.path.islink(path):
                directories.setdefault(inside, (root, prefix))
                walked[path.rstrip(os.sep) + os.sep] = True
                for found in scan_root(
                    root,
                    prefix,
                    encodings=self.encodings,
                    allow_unsafe_symlinks=self.allow_unsafe_symlinks,
                    hidden=self.hidden,
                    warn=_log_warning,
                    below=relative,
                ):
                    urls.setdefault(found.url, found.path)
                    scanned.setdefault(found.url, found)
                continue
            if relative:
                urls.setdefault(url, path)
            if not os.path.lexists(path):
                directories.setdefault(inside, (root, prefix))

    def _reindex(self, url: str, resync: bool, scanned: ScannedFile | None = None) -> None:
        if scanned is None:
            scanned = self._scan_url(url)
        if scanned is None:
            self._drop(url)
            return
        if resync and self._unchanged(url, scanned):
            return
        self._add_file(scanned)

    def _unchanged(self, url: str, scanned: ScannedFile) -> bool:
        entry = self._stored(url) if url not in self._pages else None
        if url in self._pages:
            return self._pages[url] == scanned
        if type(entry) is ScannedFile:  # deferred: compared as its entry would be
            found = [(entry.path, entry.size, entry.mtime_ns)]
            found += [(v.path, v.size, v.mtime_ns) for v in entry.variants]
        elif type(entry) is not FileEntry or entry.source_url != url:
            return False
        else:
            found = [(rep.path, rep.size, rep.mtime_ns) for rep in entry.representations]
        wanted = [(scanned.path, scanned.size, scanned.mtime_ns)]
        wanted += [(v.path, v.size, v.mtime_ns) for v in scanned.variants]
        return found == wanted

    def _drop(self, url: str) -> None:
        """No file at ``url`` any more: its entry goes, and every URL that depended on it
        (a directory's index, a clean URL) is decided again."""
        if self._pages.pop(url, None) is not None:
            for candidate in page_urls(url, self.url_policy):
                self._place(candidate)
            return
        entry = self._stored(url)
        if type(entry) is ScannedFile or (type(entry) is FileEntry and entry.source_url == url):
            del self.files[url]
            self._place(url)

    def _reload_build_records(self, root: str, prefix: str) -> None:
        """``staticfiles.json`` or the ``--retain`` history changed: digests, retained
        builds, build ids, page hints and the originals served under their own names."""
        self._read_build_records(root)
        self._load_pages(root, prefix)
        if root not in self._original_roots:
            return
        for original in [name for name in self._originals if name.startswith(prefix)]:
            del self._originals[original]
            for candidate in page_urls(original, self.url_policy):
                self._place(candidate)
        originals = {
            prefix + name: prefix + hashed for name, hashed in load_originals(root).items()
        }
        for hashed in set(originals.values()):
            scanned = self._scan_url(hashed)
            if scanned is not None:
                self._hashed_scans[hashed] = scanned
        self._add_originals(originals)


def _ancestor(
    url: str, directories: Mapping[str, object], *, itself: bool = False, separator: str = "/"
) -> str | None:
    """The directory (a URL or path ending in ``separator``) of ``directories`` that
    ``url`` is below (or is, with ``itself``): one lookup per segment, not one comparison
    per directory."""
    if itself and not url.endswith(separator):
        url += separator
    position = url.find(separator)
    while position != -1:
        if (position + 1 < len(url) or itself) and url[: position + 1] in directories:
            return url[: position + 1]
        position = url.find(separator, position + 1)
    return None


def _log_warning(message: str) -> None:
    """How the watcher reports a file the walk skips (a running server has no start-up
    report to add it to)."""
    log.warning("servestatic watch: %s", message)


def _entry_builder(
    settings: Settings,
    immutable_test: Callable[[str, str], bool] | None,
    headers_hooks: Sequence[Callable[..., Any]],
    provenance: Mapping[str, str],
) -> EntryBuilder:
    """The settings that shape each file's headers, compiled once (rules, media types,
    presets, CORS, ETags, hooks)."""
    return EntryBuilder(
        rules=compile_rules(settings.rules, provenance),
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
    #: The configured redirect that answered (None for a directory's slash redirect).
    redirect: CompiledRedirect | None = None


def explain(engine: Engine, request: Request) -> Explanation:
    """What answers ``request``: the same lookup and plan as a real request, plus why."""
    plan = engine.handle(request)
    entry = engine.lookup(request.path, request)
    if entry is None:
        return Explanation(plan, "miss", None, [], why_missing(engine, request))
    if isinstance(entry, RedirectEntry):
        return Explanation(plan, "redirect", entry, [], None, engine.redirect_of(request.path))
    kind = "file"
    if entry is engine.fallback or (entry.url != request.path and entry.status == 200):
        kind = "fallback"
    if entry.status == 404:
        kind = "not_found"
    urls = _rule_urls(entry.url, entry, engine.original_name(entry.source_url), engine.url_policy)
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
            if is_variant_path(candidate):
                return "variant"
            return "file"
    return None


def _answered_original(url: str, original: str | None, policy: UrlPolicy) -> str | None:
    """``original`` (the name a manifest serves a hashed file under) when the entry at
    ``url`` answers it, else None."""
    return original if original is not None and url in page_urls(original, policy) else None


def _rule_urls(
    url: str, entry: FileEntry, original: str | None, policy: UrlPolicy
) -> tuple[str, ...]:
    """The URLs the rules matched when ``entry`` was built to answer ``url``, as
    ``EntryBuilder.build`` folds them: ``url`` and the file's own URL, or for a manifest
    original the original name (``original``: the name the manifest serves the entry's
    file under), never the hashed one."""
    return matched_urls(url, _answered_original(url, original, policy) or entry.source_url)


def _indexed_rule_urls(engine: Engine) -> Iterator[tuple[str, FileEntry, tuple[str, ...]]]:
    """Each file entry of the start-up index, with the URLs its rules matched (built now
    if deferred: ``servestatic check`` reads them all)."""
    originals = {hashed: name for name, hashed in engine._originals.items()}
    for url, entry in engine.files.items():
        if type(entry) is FileEntry:
            original = originals.get(entry.source_url)
            yield url, entry, _rule_urls(url, entry, original, engine.url_policy)


def rule_usage(engine: Engine) -> dict[int, int]:
    """How many indexed URLs each rule matches (a rule matching nothing is likely a typo)."""
    counts = {rule.number: 0 for rule in engine.builder.rules.rules}
    # Files a deny rule hides are not in the table; the builder counted them.
    for number, hidden in engine.builder.denied.items():
        counts[number] += hidden
    for _, entry, urls in _indexed_rule_urls(engine):
        retained = entry.representations[0].path in engine.builder.retained
        for rule in engine.builder.rules.matching(urls, retained):
            counts[rule.number] += 1
    return counts


def preset_report(engine: Engine) -> list[str]:
    """``servestatic check``: each framework preset, the evidence it was chosen on, and the
    files each of its rules covers (a count and the first few URLs)."""
    choice = engine.settings.presets
    if choice == "off":
        return ["presets: off"]
    if not engine.presets:
        return ["presets: none detected" if choice == "auto" else "presets: none"]
    covered: dict[int, list[str]] = {}
    for url, _, urls in _indexed_rule_urls(engine):
        for rule in engine.builder.rules.matching(urls):
            if rule.preset is not None:
                covered.setdefault(rule.number, []).append(url)
    lines = []
    for preset in engine.presets:
        lines.append(f"preset {preset.name} at {preset.prefix}: {'; '.join(preset.evidence)}")
        for rule in preset.rules:
            found = sorted(covered.get(rule.number, []))
            more = ", ..." if len(found) > 3 else ""
            sample = f" ({', '.join(found[:3])}{more})" if found else ""
            lines.append(f"  {rule.name}: {rule.cache_control}, {len(found)} URLs{sample}")
    return lines


def cache_warnings(engine: Engine) -> list[str]:
    """``servestatic check``: files whose name carries a content hash but that are not
    immutable (every request revalidates a file that cannot change), and immutable files
    whose name carries no hash (a new version is never fetched)."""
    hashed_not_immutable: list[str] = []
    immutable_unhashed: list[str] = []
    for url, entry in engine.files.items():
        if type(entry) is not FileEntry or entry.source_url != url or entry.status != 200:
            continue
        cache_control = (entry.identity.ok.get("Cache-Control") or "").lower()
        immutable = "immutable" in cache_control
        hashed = looks_hashed(url) or engine.builder.immutable_test(entry.identity.path, url)
        if is_entry_point(url):
            continue  # HTML, service workers, manifests: never immutable, on purpose
        if hashed and not immutable and "no-store" not in cache_control:
            hashed_not_immutable.append(url)
        elif immutable and not hashed:
            immutable_unhashed.append(url)
    warnings_ = []
    for urls, text in (
        (hashed_not_immutable, "look content-hashed but are not immutable"),
        (immutable_unhashed, "are immutable but their names carry no content hash"),
    ):
        if urls:
            urls.sort()
            shown = ", ".join(urls[:5]) + (f" and {len(urls) - 5} more" if len(urls) > 5 else "")
            warnings_.append(f"{len(urls)} file(s) {text}: {shown}")
    return warnings_


def explain_notes(engine: Engine, entry: FileEntry) -> list[str]:
    """``servestatic explain``: where an entry's file, hints and CSP hashes come from."""
    notes = []
    source = entry.source_url
    policy = engine.url_policy
    file_url = source
    original = _answered_original(entry.url, engine.original_name(source), policy)
    if original is not None:
        notes.append(f"  original name of {source} (staticfiles.json), not immutable")
        file_url = original
    index = policy.index
    if (
        policy.clean_urls
        and entry.url != file_url
        and file_url.endswith(".html")
        and not (index is not None and file_url.endswith("/" + index))
    ):
        notes.append(f"  clean URL: {file_url} served at {entry.url}")
    page = engine.builder.pages.get(entry.identity.path)
    if page is not None:
        if page.link:
            notes.append(f"  Link hints from the build: {page.link}")
        hashes = len(page.script_hashes) + len(page.style_hashes)
        if hashes:
            notes.append(
                f"  CSP hashes from the build: {len(page.script_hashes)} script(s), "
                f"{len(page.style_hashes)} style(s)"
            )
    return notes
