"""Build the precomputed entries of the file table from scanned files, rules and settings.

Every header a response can carry is decided here, once per file: media type, caching,
CORS, presets, rules, the code hook, ``Vary``, validators. A request then only picks a
representation and a block.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from wsgiref.headers import Headers

from servestatic.config import FOREVER, SERVER_MANAGED, Problem
from servestatic.formats.manifest import PageMeta
from servestatic.formats.variants import CODINGS
from servestatic.http.dates import format_http_date
from servestatic.http.media_types import MediaTypes
from servestatic.http.records import (
    Confinement,
    Derived,
    FileEntry,
    HeaderBlock,
    RedirectEntry,
    Representation,
)
from servestatic.serve.index import ScannedFile
from servestatic.serve.rules import BaseHeaders, Policy, RuleSet, matched_urls

__all__ = [
    "EntryBuilder",
    "HeaderProblem",
    "PageMeta",
    "content_etag",
    "merge_csp",
    "mtime_etag",
]

_HOOK_FORBIDDEN = SERVER_MANAGED - {"etag", "last-modified"}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Files with an mtime of 0 or 1 (reproducible builds, Nix) carry no real date: their
# Last-Modified would be wrong and an mtime ETag would not change with the content
# (whitenoise #222), so they get a content hash instead.
_NO_DATE_BEFORE = 2
_DATED_NS = _NO_DATE_BEFORE * 1_000_000_000
log = logging.getLogger("servestatic")
# Equal sizes rank the file itself first, then the codings in the table's order.
_CODING_ORDER = {"identity": 0, **{coding: rank for rank, coding in enumerate(CODINGS, 1)}}
_ALLOW_ORIGIN = "access-control-allow-origin"


def merge_csp(policy: str, scripts: tuple[str, ...], styles: tuple[str, ...]) -> str:
    """``policy`` with hash sources added to ``script-src`` / ``style-src`` (CSP Level 3).

    Hashes are only added where they keep their meaning and take nothing away: to a
    ``*-src`` (and ``*-src-elem``) directive the policy has, or to a copy of
    ``default-src`` when it has none. A directive allowing ``'unsafe-inline'`` is left
    alone (a hash source would switch that off, §6.7.3.3, and break inline event handlers
    the hashes do not cover); a policy with neither directive does not restrict scripts,
    so nothing is added. ``'none'`` gives way to the hashes.
    """
    directives: list[tuple[str, list[str]]] = []
    for part in policy.split(";"):
        tokens = part.split()
        if tokens:
            directives.append((tokens[0].lower(), tokens[1:]))
    names = [name for name, _ in directives]
    for kind, hashes in (("script-src", scripts), ("style-src", styles)):
        if not hashes:
            continue
        targets = [name for name in (kind, f"{kind}-elem") if name in names]
        if not targets and "default-src" in names:
            sources = list(directives[names.index("default-src")][1])
            if _allows_inline(sources):
                continue
            directives.append((kind, sources))
            names.append(kind)
            targets = [kind]
        for name in targets:
            sources = directives[names.index(name)][1]
            if _allows_inline(sources):
                continue
            sources[:] = [source for source in sources if source.lower() != "'none'"]
            sources.extend(source for source in hashes if source not in sources)
    return "; ".join(" ".join([name, *sources]) for name, sources in directives)


def _allows_inline(sources: list[str]) -> bool:
    return "'unsafe-inline'" in (source.lower() for source in sources)


@dataclass(frozen=True, slots=True)
class HeaderProblem:
    """A header a hook set for one file that cannot be sent, and why (issue 13)."""

    hook: str  # "add_headers_function", or the subclass hooks that ran
    name: str
    value: str
    path: str
    url: str
    reason: str

    def as_problem(self) -> Problem:
        """The start-up problem (and request-time log line) that reports it."""
        where = "for every file it is set for" if _name_problem(self.name) else "for this file"
        return Problem(
            self.hook,
            f"{self.name} for {self.url}",
            f"{self.reason} (file {self.path}); the header is left out {where}",
            self.value,
            kind="header_value",
            severity="warning",
        )

    def __str__(self) -> str:
        return str(self.as_problem())


def _header_problem(name: str, value: str) -> str | None:
    """Why a header a hook set cannot be sent as is, or None when it can.

    Checked in this order so that the reason given is the real one: the name (an RFC 9110
    token the server does not manage), then control characters (CR, LF and NUL would end
    the header or inject another; HTAB is allowed, §5.5), then the encoding: header values
    are bytes, which a WSGI server (PEP 3333) and the ASGI adapter make with ISO-8859-1.
    """
    return _name_problem(name) or _value_problem(value)


def _name_problem(name: str) -> str | None:
    if not _TOKEN.fullmatch(name):
        return "the name is not an RFC 9110 token (letters, digits and !#$%&'*+-.^_`|~)"
    if name.lower() in _HOOK_FORBIDDEN:
        return "the server manages this header itself (message framing or hop-by-hop)"
    return None


def _value_problem(value: str) -> str | None:
    if _CONTROL.search(value):
        return (
            "the value contains a control character (CR, LF, NUL, ...), which would end the "
            "header or start another"
        )
    if not _latin1(value):
        return (
            "the value is not encodable as ISO-8859-1, the only text a header value can carry "
            "(percent-encode it; a file name in Content-Disposition goes in "
            "filename*=UTF-8''<percent-encoded name>, RFC 8187)"
        )
    return None


def mtime_etag(mtime_ns: int, size: int, coding: str) -> str:
    """``"<mtime hex>-<size hex>"`` (nginx style), plus the coding for variants.

    Seconds since the epoch, so the value does not depend on the server's time zone.
    """
    tag = f"{mtime_ns // 1_000_000_000:x}-{size:x}"
    return f'"{tag}"' if coding == "identity" else f'"{tag}-{coding}"'


def content_etag(digest: str) -> str:
    """A strong ETag from a hex content digest (first 32 hex digits of SHA-256)."""
    return f'"{digest[:32]}"'


def file_digest(path: str) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


_SPACE_SEPARATED = frozenset({"surrogate-key", "xkey"})


@dataclass
class EntryBuilder:
    """Turns a :class:`ScannedFile` into a :class:`FileEntry` (or nothing, when denied)."""

    rules: RuleSet
    media_types: MediaTypes
    max_age: int | None
    charset: str | None
    immutable_test: Callable[[str, str], bool]
    presets: tuple[tuple[str, str], ...]  # CORS and security headers below the rules
    cors_origins: frozenset[str]
    etag_mode: str  # "mtime", "content" or "off"
    ranges: bool
    add_headers_function: Callable[..., Any] | None = None
    #: How problems with what ``add_headers_function`` sets name the hook(s) that ran.
    hook_label: str = "add_headers_function"
    digests: dict[str, str] = field(default_factory=dict)  # path -> sha256 hex (manifest)
    #: Per-page hints and CSP hashes from build manifests, by absolute file path.
    pages: dict[str, PageMeta] = field(default_factory=dict)
    #: Paths kept from a previous build (``--retain``): the rules' ``retained`` condition.
    retained: set[str] = field(default_factory=set)
    #: path -> ids of the builds containing it, and the headers that carry them as tags.
    build_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    tag_headers: tuple[str, ...] = ()
    #: Problems met by ``build(..., collect=True)``, for the engine to report at start-up.
    problems: list[HeaderProblem] = field(default_factory=list)
    # A bad header *name* is the same mistake for every file: reported once per name.
    _reported_names: set[str] = field(default_factory=set)
    _pairs: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    _shapes: dict[tuple[Any, ...], tuple[Any, ...]] = field(default_factory=dict)
    # Header lists shared between files: one tuple per policy, one per (policy, coding).
    _heads: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = field(
        default_factory=dict
    )
    _coded_heads: dict[tuple[Any, str], tuple[tuple[str, str], ...]] = field(default_factory=dict)
    #: URLs hidden by ``deny`` rules, counted per rule number (for ``servestatic check``).
    denied: Counter[int] = field(default_factory=Counter)

    # ------------------------------------------------------------------ entries

    def _build_tags(self, path: str) -> tuple[tuple[str, str], ...]:
        """``Surrogate-Key: build-<id> ...`` (issue 16): below the rules, so a rule can
        ``unset`` them. Fastly's Surrogate-Key and Varnish's xkey separate keys with
        spaces; Cloudflare's Cache-Tag and Akamai's Edge-Cache-Tag with commas."""
        ids = self.build_ids.get(path)
        if not ids or not self.tag_headers:
            return ()
        tags = [f"build-{build}" for build in ids]
        return tuple(
            (name, (" " if name.lower() in _SPACE_SEPARATED else ",").join(tags))
            for name in self.tag_headers
        )

    def deferred_from(self) -> int | None:
        """The modification time (ns) from which every file is :meth:`deferrable` without
        looking further (the start-up walk's fast path), or None: ask per file."""
        if self.add_headers_function is not None or self.rules.deny_rules:
            return None
        return {"off": 0, "mtime": _DATED_NS}.get(self.etag_mode)

    def deferrable(self, scanned: ScannedFile, urls: tuple[str, ...] = ()) -> bool:
        """May ``scanned``'s entry be built when first requested instead of at start-up?

        Only when building it can neither fail nor tell anything start-up must know: no
        header hook (what it sets may be a problem that ``strict`` refuses at start-up, and
        ServeStatic calls it while indexing), no ``deny`` rule that matches it (whether the
        URL is served at all; the imported ``_headers``/``_redirects`` are denied so), and
        no I/O (a content ETag without a manifest digest reads the file, which an
        asynchronous request must not do on the event loop).

        ``urls``: the URLs the rules match when the file answers other names (a manifest
        original: its own name, never the hashed one); by default the file's own URL.
        """
        if self.add_headers_function is not None:
            return False
        rules = self.rules
        if rules.deny_rules:
            retained = scanned.path in self.retained
            if any(rules.may_deny(url, retained) for url in urls or (scanned.url,)):
                return False
        mode = self.etag_mode
        if mode == "off" or (mode == "mtime" and scanned.mtime_ns >= _DATED_NS):
            return True
        digests = self.digests
        return scanned.path in digests and all(v.path in digests for v in scanned.variants)

    def build(
        self,
        scanned: ScannedFile,
        *,
        url: str | None = None,
        status: int = 200,
        cache_control: str | None = None,
        collect: bool = False,
        original: str | None = None,
    ) -> FileEntry | None:
        """Entry served at ``url`` (default: the file's own URL). None when a rule denies it.

        ``original``: the file is a build's hashed copy answering its original name (the
        URL ``original``, from ``staticfiles.json``): rules match that name and ``url``,
        never the hashed one, and the entry is never immutable (the name stays, the
        content changes with the next build).

        A header the hook sets that HTTP cannot carry is left out of this file's entry. With
        ``collect`` (indexing) the problem is recorded in :attr:`problems` for the engine to
        report with the start-up's (refused under ``strict = true``); builds at request time
        (autorefresh, a changed file) log it on the ``servestatic`` logger: one file's
        header must never turn a request into a 500.
        """
        request_url = url or scanned.url
        media_type = self.media_types.get_type(scanned.path)
        policy = self._policy(scanned, request_url, original or scanned.url, media_type)
        if policy.deny:
            self.denied.update(policy.matched)
            return None
        headers = list(policy.headers)
        page = self.pages.get(scanned.path) if self.pages else None
        if page is not None:
            headers = _page_headers(headers, page)
        if original is not None:
            headers = self._revalidated(headers)
        etag_override = None
        if self.add_headers_function is not None:
            headers, etag_override, problems = _call_hook(
                self.add_headers_function, headers, scanned.path, request_url, self.hook_label
            )
            for problem in problems:
                self._report(problem, collect)
        if cache_control is not None:
            headers = [pair for pair in headers if pair[0].lower() != "cache-control"]
            headers.append(("Cache-Control", cache_control))
        headers, cors_origins = self._negotiated(headers, bool(scanned.variants))
        content_type = next((v for n, v in headers if n.lower() == "content-type"), media_type)
        head = tuple([self._pairs.setdefault(pair, pair) for pair in headers])
        head = self._heads.setdefault(head, head)
        seconds = scanned.mtime_ns // 1_000_000_000
        dated = seconds >= _NO_DATE_BEFORE
        last_modified = format_http_date(seconds) if dated and status == 200 else None
        representations = self._representations(
            scanned, head, last_modified, status, etag_override, dated
        )
        order = sorted(
            range(len(representations)),
            key=lambda i: (representations[i].size, _CODING_ORDER[representations[i].coding]),
        )
        ranking = tuple(representations[i].coding for i in order)
        shared = self._shapes
        return FileEntry(
            url=request_url,
            representations=tuple(representations),
            ranking=shared.setdefault(ranking, ranking),
            ranked=shared.setdefault(tuple(order), tuple(order)),
            media_type=content_type,
            last_modified=last_modified,
            last_modified_time=seconds if last_modified is not None else None,
            status=status,
            cors_origins=cors_origins,
            source_url=scanned.url,
        )

    def _policy(
        self, scanned: ScannedFile, request_url: str, source: str, media_type: str
    ) -> Policy:
        """The rules folded over the built-in headers for the URL(s) the file answers."""
        urls = matched_urls(request_url, source)
        # The hooks see the URL the entry answers (a directory's URL for its index file),
        # as ServeStatic's did.
        immutable = self.immutable_test(scanned.path, request_url)
        mutable = f"max-age={self.max_age}, public" if self.max_age is not None else None
        base = BaseHeaders(
            media_type=media_type,
            charset=self.charset,
            cache_control=f"max-age={FOREVER}, public, immutable" if immutable else mutable,
            mutable_cache_control=mutable,
            extra=self.presets + self._build_tags(scanned.path),
        )
        return self.rules.fold(
            base, urls, os.path.basename(scanned.path), scanned.path in self.retained
        )

    def _negotiated(
        self, headers: list[tuple[str, str]], has_variants: bool
    ) -> tuple[list[tuple[str, str]], frozenset[str]]:
        """``Vary`` for what the answer depends on (the coding, the CORS origin), and the
        origins the CORS allow-list echoes for this file."""
        vary_extra = []
        if has_variants:
            vary_extra.append("Accept-Encoding")
        # A rule or hook that sets Access-Control-Allow-Origin itself wins over the
        # [cors] allow-list: echoing the origin as well would send the header twice, which
        # browsers reject.
        cors_origins = self.cors_origins
        if cors_origins and any(name.lower() == _ALLOW_ORIGIN for name, _ in headers):
            cors_origins = frozenset()
        if cors_origins:
            vary_extra.append("Origin")
        return _merge_vary(headers, vary_extra), cors_origins

    def _representations(
        self,
        scanned: ScannedFile,
        head: tuple[tuple[str, str], ...],
        last_modified: str | None,
        status: int,
        etag_override: str | None,
        dated: bool,
    ) -> list[Representation]:
        """The file itself, then its variants smallest first."""
        representations = [
            self._representation(
                "identity",
                scanned.path,
                scanned.size,
                scanned.mtime_ns,
                (scanned.inode, scanned.device, scanned.confinement),
                head,
                last_modified,
                status,
                etag_override,
                dated,
            )
        ]
        representations.extend(
            self._representation(
                variant.coding,
                variant.path,
                variant.size,
                variant.mtime_ns,
                (variant.inode, variant.device, scanned.confinement),
                head,
                last_modified,
                status,
                None if etag_override is None else _coded_tag(etag_override, variant.coding),
                dated,
            )
            for variant in sorted(scanned.variants, key=lambda v: (v.size, _CODING_ORDER[v.coding]))
        )
        return representations

    def _revalidated(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """An original name's headers: an ``immutable`` Cache-Control (from a rule or
        preset that matched the name) becomes the mutable policy."""
        mutable = f"max-age={self.max_age}, public" if self.max_age is not None else "no-cache"
        return [
            (name, mutable)
            if name.lower() == "cache-control" and "immutable" in value.lower()
            else (name, value)
            for name, value in headers
        ]

    def _representation(
        self,
        coding: str,
        path: str,
        size: int,
        mtime_ns: int,
        identity: tuple[int, int, Confinement | None],
        head: tuple[tuple[str, str], ...],
        last_modified: str | None,
        status: int,
        etag_override: str | None,
        dated: bool,
    ) -> Representation:
        etag = None
        if status == 200:
            etag = etag_override or self._etag(coding, path, size, mtime_ns, dated)
        if coding != "identity":
            coded = self._coded_heads.get((head, coding))
            if coded is None:
                coded = self._coded_heads[head, coding] = (*head, ("Content-Encoding", coding))
            head = coded
        return Representation(
            coding=coding,
            path=path,
            size=size,
            mtime_ns=mtime_ns,
            etag=etag,
            shared=head,
            last_modified=last_modified,
            accept_ranges=self.ranges and status == 200,
            confinement=identity[2],
            derived=Derived(inode=identity[0], device=identity[1]),
        )

    def _etag(self, coding: str, path: str, size: int, mtime_ns: int, dated: bool) -> str | None:
        if self.etag_mode == "off":
            return None
        if self.etag_mode == "content" or not dated:
            digest = self.digests.get(path)
            if digest is None:
                try:
                    digest = file_digest(path)
                except OSError:
                    return None
            return content_etag(digest)
        return mtime_etag(mtime_ns, size, coding)

    def _report(self, problem: HeaderProblem, collect: bool) -> None:
        name_problem = _name_problem(problem.name) is not None
        if name_problem:
            if problem.name.lower() in self._reported_names:
                return
            self._reported_names.add(problem.name.lower())
        if collect:
            self.problems.append(problem)
            return
        log.warning("%s", problem)

    # ------------------------------------------------------------------ redirects

    def redirect(self, location: str, status: int = 302) -> RedirectEntry:
        """An index redirect: ServeStatic sends Cache-Control on them (max_age)."""
        pairs = []
        if self.max_age is not None:
            pairs.append(("Cache-Control", f"max-age={self.max_age}, public"))
        pairs.append(("Content-Length", "0"))
        return RedirectEntry(location, status, HeaderBlock.of(pairs))


def _page_headers(headers: list[tuple[str, str]], page: PageMeta) -> list[tuple[str, str]]:
    """A page's ``Link`` hints appended to any ``Link`` a rule set, and its CSP hashes
    merged into the policy the rules (or the security preset) gave it."""
    result = []
    link = page.link
    for name, value in headers:
        lowered = name.lower()
        new = value
        if lowered == "link" and link is not None:
            new, link = f"{value}, {link}", None
        elif lowered == "content-security-policy" and (page.script_hashes or page.style_hashes):
            new = merge_csp(value, page.script_hashes, page.style_hashes)
        result.append((name, new))
    if link is not None:
        result.append(("Link", link))
    return result


def _call_hook(
    hook: Callable[..., Any], headers: list[tuple[str, str]], path: str, url: str, label: str
) -> tuple[list[tuple[str, str]], str | None, list[HeaderProblem]]:
    """ServeStatic's ``add_headers_function(headers, path, url)``, once per file.

    ``headers`` is a :class:`wsgiref.headers.Headers`, as in ServeStatic. An ETag the hook
    sets is kept (ServeStatic does too). A header that cannot be sent (a framing header, a
    name that is not a token, a value with a control character or one ISO-8859-1 cannot
    encode) is left out and returned as a problem: what a hook makes of one file's name
    must not stop the whole site (issue 13).
    """
    wrapper = Headers(list(headers))
    hook(wrapper, path, url)
    result = []
    etag = None
    problems = []
    for name, raw_value in wrapper.items():
        # RFC 9110 §5.5: surrounding whitespace is not part of a field value, and h11 (uvicorn,
        # hypercorn) refuses to send a value that has some.
        value = raw_value.strip(" \t")
        reason = _header_problem(name, value)
        if reason is not None:
            problems.append(HeaderProblem(label, name, raw_value, path, url, reason))
            continue
        lowered = name.lower()
        if lowered == "etag":
            etag = value
        elif lowered != "last-modified":
            result.append((name, value))
    return result, etag, problems


def _latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _merge_vary(headers: list[tuple[str, str]], additions: list[str]) -> list[tuple[str, str]]:
    """Add to ``Vary`` without replacing what a rule put there (ServeStatic overwrites it)."""
    if not additions:
        return headers
    for index, (name, value) in enumerate(headers):
        if name.lower() == "vary":
            present = {item.strip().lower() for item in value.split(",")}
            if "*" in present:
                return headers
            extra = [item for item in additions if item.lower() not in present]
            if extra:
                headers = list(headers)
                headers[index] = (name, ", ".join([value, *extra]))
            return headers
    return [*headers, ("Vary", ", ".join(additions))]


def _coded_tag(etag: str, coding: str) -> str:
    """A user-provided ETag, made distinct per content coding."""
    if etag.endswith('"'):
        return f'{etag[:-1]}-{coding}"'
    return f"{etag}-{coding}"
