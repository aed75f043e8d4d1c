"""``servestatic export caddy``: one Caddyfile site block (Caddy 2.6 or later).

The same plan as the nginx export: ``map {path}`` is the URL table (Caddy compares exactly,
case included), one ``handle`` per header group with its headers set after ``file_server``
has written its own (``header { defer ... }``, so Content-Type and Vary are servestatic's),
one ``handle`` per redirect group, and a last ``handle`` for misses: ``[[redirects]]``
patterns, the SPA fallback (GET and HEAD, minus the exclusions), the 404 page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from servestatic.export._differences import comment_lines
from servestatic.export._groups import FileGroup, RedirectGroup, file_groups, redirect_groups
from servestatic.export._model import ExportError, FileAnswer, SiteModel
from servestatic.export._regex import glob_regex, redirect_regex, redirect_template
from servestatic.formats.variants import WRITTEN_SUFFIX

__all__ = ["CaddyOptions", "render"]

_TAB = "\t"
_CONDITIONAL = (
    "Range",
    "If-Range",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
)


@dataclass(frozen=True, slots=True)
class CaddyOptions:
    address: str = ":80"
    roots: tuple[str, ...] = ()  # the root paths as the Caddy machine sees them


def _token(value: str, *, placeholders: bool = True) -> str:
    """A quoted Caddyfile token. Caddy expands ``{...}`` placeholders in most values at run
    time; ``\\{`` and ``\\}`` are literal braces there."""
    if placeholders:
        value = value.replace("{", "\\{").replace("}", "\\}")
    if '"' in value and "`" not in value:
        return f"`{value}`"
    return '"' + value.replace('"', '\\"') + '"'


def _codings(answer: FileAnswer) -> tuple[str, ...]:
    """Variants Caddy can find (the suffixes the build writes: ``.zst`` only for zstd), in
    servestatic's order of preference for equal q-values: smallest file first."""
    suffixes = dict(answer.variants)
    return tuple(
        coding
        for coding in answer.ranking
        if coding in suffixes and suffixes[coding] == WRITTEN_SUFFIX[coding]
    )


class _Writer:
    def __init__(self, model: SiteModel, options: CaddyOptions) -> None:
        self.model = model
        self.options = options
        self.lines: list[str] = []

    def emit(self, line: str = "", indent: int = 0) -> None:
        self.lines.append(_TAB * indent + line if line else "")

    def root_path(self, index: int) -> str:
        roots = self.options.roots or tuple(root.path for root in self.model.roots)
        return roots[index].rstrip("/") or "/"

    # ------------------------------------------------------------------ pieces

    def response_headers(
        self,
        content_type: str | None,
        headers: tuple[tuple[str, str], ...],
        *,
        status: int,
        indent: int,
    ) -> None:
        """Deferred: applied after file_server, replacing its Content-Type, Vary and ETag.

        (servestatic sends ``Vary: Accept-Encoding`` whenever a file has variants, so the
        ``Vary`` Caddy adds for ``precompressed`` is always replaced.)"""
        self.emit("header {", indent)
        self.emit("defer", indent + 1)
        if content_type is None:
            self.emit("-Content-Type", indent + 1)
        else:
            self.emit(f"Content-Type {_token(content_type)}", indent + 1)
        seen: set[str] = set()
        for name, value in headers:
            # A second value for the same name is added, not set over the first.
            operator = "+" if name.lower() in seen else ""
            seen.add(name.lower())
            self.emit(f"{operator}{name} {_token(value)}", indent + 1)
        if not self.model.etag or status != 200:
            self.emit("-Etag", indent + 1)
        if status != 200:
            # The 404 page: no validators and no ranges, as servestatic sends it.
            self.emit("-Last-Modified", indent + 1)
        if status != 200 or not self.model.ranges:
            # Ranges off: not advertised (Go still answers a Range: range-settings).
            self.emit("-Accept-Ranges", indent + 1)
        self.emit("}", indent)

    def cors(self, name: str, origins: tuple[str, ...], indent: int) -> None:
        if not origins:
            return
        listed = " ".join(_token(origin) for origin in origins)
        self.emit(f"@{name}-origin header Origin {listed}", indent)
        self.emit(
            f"header @{name}-origin Access-Control-Allow-Origin {{http.request.header.Origin}}",
            indent,
        )

    def file_server(
        self, codings: tuple[str, ...], *, index: bool, status: int, indent: int
    ) -> None:
        self.emit("file_server {", indent)
        if index and self.model.index_file is not None:
            self.emit(f"index {_token(self.model.index_file)}", indent + 1)
        if codings:
            self.emit(f"precompressed {' '.join(codings)}", indent + 1)
        if status != 200:
            self.emit(f"status {status}", indent + 1)
        # The URL table already holds servestatic's directory redirects.
        self.emit("disable_canonical_uris", indent + 1)
        self.emit("}", indent)

    # ------------------------------------------------------------------ sections

    def url_table(
        self, groups: tuple[FileGroup, ...], redirects: tuple[RedirectGroup, ...]
    ) -> None:
        entries = [(a.url, group.name, "") for group in groups for a in group.answers]
        entries += [(a.url, group.name, a.location) for group in redirects for a in group.answers]
        entries.sort()
        self.emit("# The URL table: every URL servestatic answers, its group and, for a", 1)
        self.emit("# redirect, the target. Anything else is a miss (the last handle).", 1)
        self.emit("map {path} {servestatic_answer} {servestatic_location} {", 1)
        for url, name, location in entries:
            key = _token(url, placeholders=False)
            self.emit(f"{key} {name} {_token(location)}", 2)
        self.emit('default "" ""', 2)
        self.emit("}", 1)

    def file_group(self, group: FileGroup) -> None:
        root = self.model.roots[group.root]
        count = len(group.answers)
        self.emit(f"# {count} URL{'s' if count > 1 else ''}, first {group.answers[0].url}", 1)
        self.emit(f"@{group.name} vars {{servestatic_answer}} {group.name}", 1)
        self.emit(f"handle @{group.name} {{", 1)
        self.emit(f"root * {_token(self.root_path(group.root))}", 2)
        if root.prefix != "/":
            self.emit(f"uri strip_prefix {_token(root.prefix.rstrip('/'))}", 2)
        self.response_headers(group.content_type, group.headers, status=200, indent=2)
        self.cors(group.name, group.cors_origins, 2)
        self.file_server(group.codings, index=group.has_index, status=200, indent=2)
        self.emit("}", 1)

    def redirect_group(self, group: RedirectGroup) -> None:
        count = len(group.answers)
        query = "the query kept" if group.keep_query else "the query dropped"
        self.emit(
            f"# {count} redirect{'s' if count > 1 else ''} ({group.status}, {query}), "
            f"first {group.answers[0].url}",
            1,
        )
        self.emit(f"@{group.name} vars {{servestatic_answer}} {group.name}", 1)
        self.emit(f"handle @{group.name} {{", 1)
        for name, value in group.headers:
            self.emit(f"header {name} {_token(value)}", 2)
        # Go adds Content-Length: 0 to an empty GET answer by itself, not to a HEAD one.
        self.emit('header Content-Length "0"', 2)
        if group.keep_query:
            self.emit(f'@{group.name}-query expression `{{query}} != ""`', 2)
            self.emit(
                f"redir @{group.name}-query {{servestatic_location}}?{{query}} {group.status}", 2
            )
        self.emit(f"redir {{servestatic_location}} {group.status}", 2)
        self.emit("}", 1)

    def special(self, answer: FileAnswer, indent: int) -> None:
        """The fallback or the 404 page: the file at its own path below its root."""
        self.emit(f"root * {_token(self.root_path(answer.root))}", indent)
        target = quote("/" + answer.relative, safe="/!$&'()*+,;=:@-._~")
        self.emit(f"rewrite * {_token(target)}", indent)
        codings = _codings(answer)
        self.response_headers(
            answer.content_type,
            answer.other_headers,
            status=answer.status,
            indent=indent,
        )
        self.cors(f"servestatic-{answer.status}", answer.cors_origins, indent)
        self.file_server(codings, index=False, status=answer.status, indent=indent)

    def miss(self) -> None:
        model = self.model
        self.emit(
            "# A path with no file: [[redirects]] patterns, the SPA fallback, the 404 page.", 1
        )
        self.emit("handle {", 1)
        for redirect in model.patterns:
            number = redirect.number
            self.emit(f"# [[redirects]] #{number}: {redirect.source} -> {redirect.target}", 2)
            # Kept, the query needs a "?" only when there is one: two matchers.
            variants = [("", "(?:\\?)?$" if redirect.keep_query else "(?:\\?.*)?$", "")]
            if redirect.keep_query:
                variants.insert(0, ("q", "\\?(?P<servestatic_query>.+)$", "?{query}"))
            for suffix, tail, query in variants:
                name = f"servestatic-p{number}{suffix}"
                regex = redirect_regex(redirect.source)[:-1] + tail
                pattern = _token(regex, placeholders=False)
                self.emit(f"@{name} vars_regexp {name} {{http.request.uri}} {pattern}", 2)
                target = redirect_template(
                    _escape(redirect.target), f"{{{{http.regexp.{name}.{{name}}}}}}"
                )
                if query:
                    target += f"?{{http.regexp.{name}.servestatic_query}}"
                self.emit(f'header @{name} Content-Length "0"', 2)
                self.emit(
                    f"redir @{name} {_token(target, placeholders=False)} {redirect.status}", 2
                )
        if model.fallback is not None:
            self.emit("@servestatic-fallback {", 2)
            self.emit("method GET HEAD", 3)
            if model.spa_exclude:
                combined = "|".join(glob_regex(pattern) for pattern in model.spa_exclude)
                self.emit(f"# spa.exclude: {', '.join(model.spa_exclude)}", 3)
                # A pattern is not expanded for placeholders: no brace escaping.
                self.emit(f"not vars_regexp {{path}} {_token(combined, placeholders=False)}", 3)
            self.emit("}", 2)
            self.emit("handle @servestatic-fallback {", 2)
            self.special(model.fallback, 3)
            self.emit("}", 2)
        self.emit("handle {", 2)
        if model.not_found is not None:
            # servestatic's 404 page ignores ranges and validators; Go's file server would not.
            for name in _CONDITIONAL:
                self.emit(f"request_header -{name}", 3)
            self.special(model.not_found, 3)
        else:
            self.emit('header Content-Type "text/plain; charset=utf-8"', 3)
            self.emit('header Cache-Control "no-cache"', 3)
            self.emit('respond "Not Found" 404', 3)
        self.emit("}", 2)
        self.emit("}", 1)


def _escape(text: str) -> str:
    return text.replace("{", "\\{").replace("}", "\\}")


def render(model: SiteModel, options: CaddyOptions | None = None) -> str:
    """The Caddyfile site block of a site (deterministic: same model, same text)."""
    options = options or CaddyOptions()
    if options.roots and len(options.roots) != len(model.roots):
        raise ExportError(f"{len(model.roots)} roots to map, {len(options.roots)} paths given")
    if re.search(r"\s|[{}]", options.address):
        raise ExportError(f"--address {options.address!r}: a Caddy site address has no spaces")
    writer = _Writer(model, options)
    groups = file_groups(model, _codings)
    redirects = redirect_groups(model)
    head = [
        "# Generated by `servestatic export caddy`: do not edit, run the export again.",
        "# A Caddyfile site block (Caddy 2.6+): run it as is, or `import` it from a Caddyfile.",
        f"# {len(model.files)} file URLs in {len(groups)} header groups, "
        f"{len(model.redirects)} redirect URLs in {len(redirects)} groups.",
        "#",
        "# What Caddy does differently from servestatic for this site (docs/export.md):",
    ]
    head.extend(comment_lines("caddy", model))
    writer.emit(f"{options.address} {{")
    writer.url_table(groups, redirects)
    for group in groups:
        writer.emit()
        writer.file_group(group)
    for redirect in redirects:
        writer.emit()
        writer.redirect_group(redirect)
    writer.emit()
    writer.miss()
    writer.emit("}")
    return "\n".join([*head, "", *writer.lines]) + "\n"
