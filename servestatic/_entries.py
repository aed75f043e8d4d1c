"""Build the precomputed entries of the file table from scanned files, rules and settings.

Every header a response can carry is decided here, once per file: media type, caching,
CORS, presets, rules, the code hook, ``Vary``, validators. A request then only picks a
representation and a block.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from wsgiref.headers import Headers

from servestatic._dates import format_http_date
from servestatic._index import ScannedFile
from servestatic._records import (
    Confinement,
    FileEntry,
    HeaderBlock,
    RedirectEntry,
    Representation,
)
from servestatic.config import FOREVER
from servestatic.config._headers import SERVER_MANAGED
from servestatic.media_types import MediaTypes
from servestatic.rules import BaseHeaders, RuleSet

__all__ = ["EntryBuilder", "content_etag", "mtime_etag"]

_HOOK_FORBIDDEN = SERVER_MANAGED - {"etag", "last-modified"}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Files with an mtime of 0 or 1 (reproducible builds, Nix) carry no real date: their
# Last-Modified would be wrong and an mtime ETag would not change with the content
# (whitenoise #222), so they get a content hash instead.
_NO_DATE_BEFORE = 2
_CODING_ORDER = {"identity": 0, "zstd": 1, "br": 2, "gzip": 3}
_ALLOW_ORIGIN = "access-control-allow-origin"


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
    digests: dict[str, str] = field(default_factory=dict)  # path -> sha256 hex (manifest)
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

    def build(
        self,
        scanned: ScannedFile,
        *,
        url: str | None = None,
        status: int = 200,
        cache_control: str | None = None,
    ) -> FileEntry | None:
        """Entry served at ``url`` (default: the file's own URL). None when a rule denies it."""
        request_url = url or scanned.url
        urls = (request_url,) if request_url == scanned.url else (request_url, scanned.url)
        media_type = self.media_types.get_type(scanned.path)
        # The hooks see the URL the entry answers (a directory's URL for its index file),
        # as ServeStatic's did.
        immutable = self.immutable_test(scanned.path, request_url)
        mutable = f"max-age={self.max_age}, public" if self.max_age is not None else None
        base = BaseHeaders(
            media_type=media_type,
            charset=self.charset,
            cache_control=f"max-age={FOREVER}, public, immutable" if immutable else mutable,
            mutable_cache_control=mutable,
            extra=self.presets,
        )
        policy = self.rules.fold(base, urls, os.path.basename(scanned.path))
        if policy.deny:
            self.denied.update(policy.matched)
            return None
        headers = list(policy.headers)
        etag_override = None
        if self.add_headers_function is not None:
            headers, etag_override = _call_hook(
                self.add_headers_function, headers, scanned.path, request_url
            )
        if cache_control is not None:
            headers = [pair for pair in headers if pair[0].lower() != "cache-control"]
            headers.append(("Cache-Control", cache_control))
        vary_extra = []
        if scanned.variants:
            vary_extra.append("Accept-Encoding")
        # A rule or hook that sets Access-Control-Allow-Origin itself wins over the
        # [cors] allow-list: echoing the origin as well would send the header twice, which
        # browsers reject.
        cors_origins = self.cors_origins
        if cors_origins and any(name.lower() == _ALLOW_ORIGIN for name, _ in headers):
            cors_origins = frozenset()
        if cors_origins:
            vary_extra.append("Origin")
        headers = _merge_vary(headers, vary_extra)
        content_type = next((v for n, v in headers if n.lower() == "content-type"), media_type)
        head = tuple([self._pairs.setdefault(pair, pair) for pair in headers])
        head = self._heads.setdefault(head, head)
        seconds = scanned.mtime_ns // 1_000_000_000
        dated = seconds >= _NO_DATE_BEFORE
        last_modified = format_http_date(seconds) if dated and status == 200 else None
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
            inode=identity[0],
            device=identity[1],
            confinement=identity[2],
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

    # ------------------------------------------------------------------ redirects

    def redirect(self, location: str, status: int = 302) -> RedirectEntry:
        """An index redirect: ServeStatic sends Cache-Control on them (max_age)."""
        pairs = []
        if self.max_age is not None:
            pairs.append(("Cache-Control", f"max-age={self.max_age}, public"))
        pairs.append(("Content-Length", "0"))
        return RedirectEntry(location, status, HeaderBlock.of(pairs))


def _call_hook(
    hook: Callable[..., Any], headers: list[tuple[str, str]], path: str, url: str
) -> tuple[list[tuple[str, str]], str | None]:
    """ServeStatic's ``add_headers_function(headers, path, url)``, once per file.

    ``headers`` is a :class:`wsgiref.headers.Headers`, as in ServeStatic. An ETag the hook
    sets is kept (ServeStatic does too); framing headers and CR/LF/NUL are refused.
    """
    wrapper = Headers(list(headers))
    hook(wrapper, path, url)
    result = []
    etag = None
    for name, value in wrapper.items():
        lowered = name.lower()
        if (
            lowered in _HOOK_FORBIDDEN
            or not _TOKEN.fullmatch(name)
            or _CONTROL.search(value)
            or not _latin1(value)
        ):
            msg = (
                f"add_headers_function set {name!r}: {value!r} for {url}: framing headers, "
                "names that are not tokens and values with control characters are refused"
            )
            raise ValueError(msg)
        if lowered == "etag":
            etag = value
        elif lowered != "last-modified":
            result.append((name, value))
    return result, etag


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
