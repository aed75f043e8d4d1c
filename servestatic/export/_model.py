"""What each URL answers: the engine's compiled table as plain records, for the writers.

:func:`model_from_engine` is the only place that reads an :class:`~servestatic.serve.engine.Engine`
(its file table, redirects, SPA fallback, 404 page and options). The writers (``nginx``,
``caddy``, ``netlify``) and the tests only see the records below, so a change in how the
engine stores its table touches this one function.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from servestatic.build.compress import walk_files
from servestatic.errors import ServeStaticError
from servestatic.formats.variants import VARIANT_SUFFIXES
from servestatic.http.records import FileEntry, RedirectEntry

if TYPE_CHECKING:
    from servestatic.serve.engine import Engine

__all__ = [
    "ConfiguredRedirect",
    "ExportError",
    "FileAnswer",
    "RedirectAnswer",
    "Root",
    "SiteModel",
    "model_from_engine",
]

Headers = tuple[tuple[str, str], ...]


class ExportError(ServeStaticError, ValueError):
    """The site cannot be exported as configured; the message says why."""


@dataclass(frozen=True, slots=True)
class Root:
    """A served directory and its URL prefix (``/`` or ``/static/``)."""

    path: str
    prefix: str


@dataclass(frozen=True, slots=True)
class FileAnswer:
    """A URL answered with a file: a file URL, a directory's index, the fallback, the 404 page."""

    url: str
    root: int  # index into SiteModel.roots
    relative: str  # path of the file below its root, "/"-separated ("docs/index.html")
    status: int  # 200, or 404 for the 404 page
    # Every header servestatic sends with the 200 (or 404) except those computed per
    # response (Content-Length, ETag, Last-Modified, Accept-Ranges, Content-Encoding),
    # in servestatic's order. Content-Type is among them (unless a rule unset it).
    headers: Headers
    # The precompressed siblings servestatic serves, (coding, file suffix), smallest first;
    # ``ranking`` is every coding (identity included) smallest file first, the order
    # servestatic prefers between codings of equal weight.
    variants: tuple[tuple[str, str], ...]
    ranking: tuple[str, ...]
    # [cors] allow_origins: an Origin in this list is echoed in Access-Control-Allow-Origin.
    cors_origins: tuple[str, ...]
    dated: bool  # False for files with no usable mtime (servestatic sends no Last-Modified)

    @property
    def content_type(self) -> str | None:
        return next((v for n, v in self.headers if n.lower() == "content-type"), None)

    @property
    def other_headers(self) -> Headers:
        """The headers without Content-Type (engines set that one their own way)."""
        return tuple((n, v) for n, v in self.headers if n.lower() != "content-type")

    @property
    def is_index(self) -> bool:
        return self.url.endswith("/")


@dataclass(frozen=True, slots=True)
class RedirectAnswer:
    """A URL answered with a redirect: an index redirect, or a ``[[redirects]]`` entry."""

    url: str
    location: str  # relative ("docs/", "./") or absolute, without the query
    status: int
    headers: Headers  # without Location and Content-Length (the body is always empty)
    keep_query: bool
    configured: int | None  # the [[redirects]] entry's number; None for an index redirect


@dataclass(frozen=True, slots=True)
class ConfiguredRedirect:
    """A ``[[redirects]]`` entry. With placeholders it also answers paths with no file."""

    number: int  # 1-based position in the configuration
    source: str  # "/old/*", "/u/:name", "/literal"
    target: str  # "/new/:splat", "https://example.com/:name"
    status: int
    keep_query: bool
    literal: bool  # no placeholder: the URL table already lists the one path it answers
    force: bool = True  # False: a file at the path wins (Netlify's line without "!")


@dataclass(frozen=True, slots=True)
class SiteModel:
    """The whole site as servestatic answers it (standalone, from the start-up index)."""

    roots: tuple[Root, ...]
    files: tuple[FileAnswer, ...]  # sorted by URL
    redirects: tuple[RedirectAnswer, ...]  # sorted by URL
    configured: tuple[ConfiguredRedirect, ...]  # configuration order (first match wins)
    fallback: FileAnswer | None  # the SPA fallback, for GET/HEAD misses
    spa_exclude: tuple[str, ...]  # globs of paths that never fall back
    not_found: FileAnswer | None  # the 404 page
    not_found_cache_control: str
    index_file: str | None
    etag: bool  # False with ``etag = "off"``
    ranges: bool
    max_ranges: int
    multipart: bool
    # URLs of files below the roots that servestatic does not serve: dotfiles, files a
    # ``deny`` rule hides, precompressed siblings at their own URL. Misses everywhere.
    unserved: tuple[str, ...]

    @property
    def patterns(self) -> tuple[ConfiguredRedirect, ...]:
        """The configured redirects with placeholders, in order."""
        return tuple(redirect for redirect in self.configured if not redirect.literal)

    def variant_codings(self) -> frozenset[str]:
        """Every content coding some URL of the site is served with."""
        answers = [*self.files, *(a for a in (self.fallback, self.not_found) if a is not None)]
        return frozenset(coding for answer in answers for coding, _ in answer.variants)

    def variant_suffixes(self) -> frozenset[str]:
        answers = [*self.files, *(a for a in (self.fallback, self.not_found) if a is not None)]
        return frozenset(suffix for answer in answers for _, suffix in answer.variants)


def model_from_engine(engine: Engine) -> SiteModel:
    """The export model of an engine built from the start-up index (not autorefresh)."""
    if engine.autorefresh:
        raise ExportError(
            "autorefresh looks files up per request; export from an index built at start-up "
            "(the export command turns autorefresh off itself)"
        )
    roots = tuple(Root(path, prefix) for path, prefix in engine.roots)
    files: list[FileAnswer] = []
    redirects: list[RedirectAnswer] = []
    for url in sorted(engine.files):
        entry = engine.files[url]
        if isinstance(entry, FileEntry):
            files.append(_file_answer(url, entry, roots))
        else:
            found = engine.redirect_of(url)
            number = found.number if found is not None else None
            redirects.append(_redirect_answer(url, entry, number))
    configured = tuple(
        ConfiguredRedirect(
            redirect.number,
            redirect.source,
            redirect.target,
            redirect.status,
            redirect.keep_query,
            redirect.regex is None,
            redirect.force,
        )
        for redirect in engine.redirects
    )
    settings = engine.settings
    fallback = engine.fallback
    not_found = engine.not_found
    answers = (
        *files,
        *(
            _file_answer(entry.url, entry, roots)
            for entry in (fallback, not_found)
            if entry is not None
        ),
    )
    served = {
        os.path.join(roots[answer.root].path, *answer.relative.split("/")) for answer in answers
    }
    return SiteModel(
        roots=roots,
        files=tuple(files),
        redirects=tuple(redirects),
        configured=configured,
        fallback=_file_answer(fallback.url, fallback, roots) if fallback is not None else None,
        spa_exclude=tuple(settings.spa.exclude) if fallback is not None else (),
        not_found=_file_answer(not_found.url, not_found, roots) if not_found is not None else None,
        not_found_cache_control=settings.errors.not_found_cache_control,
        index_file=engine.index_file,
        etag=settings.etag != "off",
        ranges=engine.options.ranges,
        max_ranges=engine.options.max_ranges,
        multipart=engine.options.multipart,
        unserved=_unserved(roots, served, set(engine.files)),
    )


def _file_answer(url: str, entry: FileEntry, roots: tuple[Root, ...]) -> FileAnswer:
    identity = entry.identity
    source_url = entry.source_url or entry.url
    root, relative = _locate(identity.path, source_url, roots)
    variants = []
    for representation in entry.representations[1:]:
        suffix = representation.path[len(identity.path) :]
        if not representation.path.startswith(identity.path) or suffix not in VARIANT_SUFFIXES:
            raise ExportError(  # pragma: no cover - the index only pairs siblings
                f"{url}: variant {representation.path} is not a sibling of {identity.path}"
            )
        variants.append((representation.coding, suffix))
    return FileAnswer(
        url=url,
        root=root,
        relative=relative,
        status=entry.status,
        headers=identity.shared,
        variants=tuple(variants),
        ranking=entry.ranking,
        cors_origins=tuple(sorted(entry.cors_origins)),
        dated=identity.mtime_ns // 1_000_000_000 >= 2,
    )


def _locate(path: str, url: str, roots: tuple[Root, ...]) -> tuple[int, str]:
    """The root (latest first, as the index lets later roots win) a file is served from."""
    for index in range(len(roots) - 1, -1, -1):
        root = roots[index]
        if not url.startswith(root.prefix):
            continue
        relative = url[len(root.prefix) :]
        if os.path.join(root.path, *relative.split("/")) == path:
            return index, relative
    raise ExportError(
        f"{url} is served from {path}, which is not below a configured root: only files "
        "from roots can be exported (files added in code, such as Django's finders, cannot)"
    )


def _redirect_answer(url: str, entry: RedirectEntry, configured: int | None) -> RedirectAnswer:
    headers = tuple(pair for pair in entry.headers.pairs if pair[0].lower() != "content-length")
    return RedirectAnswer(url, entry.location, entry.status, headers, entry.keep_query, configured)


def _unserved(roots: tuple[Root, ...], served: set[str], urls: set[str]) -> tuple[str, ...]:
    """URLs of regular files below the roots that servestatic does not answer with a file."""
    found: set[str] = set()
    for root in roots:
        for relative in walk_files(root.path, skip_unreadable=True):
            if not _printable(relative.rsplit("/", 1)[-1]):
                continue  # never servable, and not writable into a configuration
            path = os.path.join(root.path, *relative.split("/"))
            url = root.prefix + relative
            if path not in served and url not in urls:
                found.add(url)
    return tuple(sorted(found))


def _printable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return name.isprintable()
