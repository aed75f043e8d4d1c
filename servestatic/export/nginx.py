"""``servestatic export nginx``: one file to include in nginx's ``http {}`` block.

How the configuration answers like servestatic (``docs/export.md`` explains the choices):

* ``map $uri $servestatic_answer`` is the URL table: every URL servestatic answers names
  its group. A URL not in the table is a miss, so dotfiles, denied files and precompressed
  siblings at their own URL are never served, whatever is in the directory.
* ``location /`` rewrites a listed URL to ``/.servestatic/<group><url>``; each group is one
  internal ``location`` holding its headers as literal ``add_header ... always`` lines. No
  ``add_header`` sits at the server level: nginx drops inherited ``add_header`` lines in any
  location that has its own, so each location is complete by itself.
* Misses go to ``@servestatic_miss``: ``[[redirects]]`` patterns, then the SPA fallback
  (GET and HEAD only, minus the exclusions), then the 404 page. A named location, reached
  through ``error_page``: an ``error_page`` URI would cut a path at a decoded ``?``.
* nginx compares ``map`` strings ignoring case; a listed URL asked for in another case
  finds no file on disk, and that 404 is sent through the miss handling too. URLs that
  differ only in case become case-sensitive regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from servestatic.export._differences import comment_lines
from servestatic.export._groups import FileGroup, RedirectGroup, file_groups, redirect_groups
from servestatic.export._model import ExportError, FileAnswer, SiteModel
from servestatic.export._regex import glob_regex, redirect_regex, redirect_template

__all__ = ["NginxOptions", "render"]

INTERNAL = "/.servestatic/"
# nginx's map_hash_bucket_size (a cache line on x86-64 and arm64) and map_hash_max_size.
_DEFAULT_BUCKET = 64
_DEFAULT_MAX_SIZE = 2048
_REDIRECT_CODES = "301 302 303 307 308"


@dataclass(frozen=True, slots=True)
class NginxOptions:
    listen: str = "80"
    server_name: str = "_"
    brotli: bool = True  # brotli_static (the ngx_brotli static module)
    roots: tuple[str, ...] = ()  # the root paths as the nginx machine sees them


class _Writer:
    def __init__(self, model: SiteModel, options: NginxOptions) -> None:
        self.model = model
        self.options = options
        self.lines: list[str] = []
        self.dollar = False  # a value contains "$": define $servestatic_dollar
        self.hash_lines: list[str] = []
        self.origin_maps: dict[tuple[str, ...], str] = {}

    # ------------------------------------------------------------------ quoting

    def string(self, value: str, *, script: bool = True) -> str:
        r"""A double-quoted nginx string. nginx turns ``\\`` and ``\"`` back into ``\`` and
        ``"``; in values that nginx expands (``script``) a ``$`` would start a variable and
        has no escape, so it becomes ``${servestatic_dollar}`` (a ``geo`` constant)."""
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        if script and "$" in quoted:
            self.dollar = True
            quoted = quoted.replace("$", "${servestatic_dollar}")
        return f'"{quoted}"'

    def root_path(self, index: int) -> str:
        if self.options.roots:
            return self.options.roots[index].rstrip("/") or "/"
        return self.model.roots[index].path.rstrip("/") or "/"

    def file_path(self, answer: FileAnswer) -> str:
        root = self.root_path(answer.root)
        return f"{root.rstrip('/')}/{answer.relative}"

    def emit(self, line: str = "", indent: int = 0) -> None:
        self.lines.append("    " * indent + line if line else "")

    # ------------------------------------------------------------------ pieces

    def codings(self, answer: FileAnswer) -> tuple[str, ...]:
        available = {coding for coding, _ in answer.variants}
        wanted = ("br", "gzip") if self.options.brotli else ("gzip",)
        return tuple(coding for coding in wanted if coding in available)

    def origin_map(self, origins: tuple[str, ...]) -> str:
        name = self.origin_maps.get(origins)
        if name is None:
            name = f"$servestatic_origin_{len(self.origin_maps) + 1}"
            self.origin_maps[origins] = name
        return name

    def headers(
        self,
        content_type: str | None,
        headers: tuple[tuple[str, str], ...],
        codings: tuple[str, ...],
        origins: tuple[str, ...],
        indent: int,
    ) -> None:
        # `types {}` empties the extension table, so default_type is the Content-Type of
        # every file here, exactly servestatic's (an empty one sends none).
        self.emit("types { }", indent)
        self.emit(f"default_type {self.string(content_type or '')};", indent)
        if "gzip" in codings:
            self.emit("gzip_static on;", indent)
        if "br" in codings:
            self.emit("brotli_static on;", indent)
        for name, value in headers:
            quoted = self.string(name, script=False)
            self.emit(f"add_header {quoted} {self.string(value)} always;", indent)
        if origins:
            # An empty value adds no header: only a listed Origin is echoed.
            self.emit(
                f"add_header Access-Control-Allow-Origin {self.origin_map(origins)} always;",
                indent,
            )

    # ------------------------------------------------------------------ sections

    def hash_sizes(self, keys: list[str]) -> None:
        """``map`` hash sizes for this table, when nginx's defaults cannot hold it.

        nginx refuses to start when one key does not fit a hash bucket (64 bytes by
        default: URLs over about 46 bytes) or when the table needs more than 2,048 slots.
        An element takes a pointer plus the key and two bytes, aligned to a pointer, and a
        bucket ends with a null pointer (``ngx_hash_init``).
        """
        if not keys:
            return
        longest = max(len(key.encode("utf-8")) for key in keys)
        needed = 8 + (longest + 2 + 7) // 8 * 8 + 8
        lines = []
        if needed > _DEFAULT_BUCKET:
            bucket = _DEFAULT_BUCKET
            while bucket < needed:
                bucket *= 2
            lines.append(f"map_hash_bucket_size {bucket};")
        if len(keys) > _DEFAULT_MAX_SIZE // 2:
            size = _DEFAULT_MAX_SIZE
            while size < 4 * len(keys):
                size *= 2
            lines.append(f"map_hash_max_size {size};")
        if lines:
            self.hash_lines = [
                "# The URL table does not fit nginx's default map hash. nginx reads these",
                "# settings before its first map and refuses them twice: include this file",
                "# before any other map in http {} (or move them there, keeping the larger",
                "# value if nginx.conf sets them too).",
                *lines,
                "",
            ]

    def url_table(
        self, groups: tuple[FileGroup, ...], redirects: tuple[RedirectGroup, ...]
    ) -> None:
        entries = [(answer.url, group.name) for group in groups for answer in group.answers]
        entries += [(answer.url, group.name) for group in redirects for answer in group.answers]
        entries.sort()
        folded: dict[str, int] = {}
        for url, _ in entries:
            folded[url.lower()] = folded.get(url.lower(), 0) + 1
        self.emit("# The URL table: every URL servestatic answers, and the group that answers it.")
        self.emit("# Anything else is a miss (see location @servestatic_miss below).")
        self.emit("map $uri $servestatic_answer {")
        self.emit('default "";', 1)
        for url, name in entries:
            self.emit(f"{self.key(url, folded[url.lower()] > 1)} {name};", 1)
        self.emit("}")
        locations = [answer for group in redirects for answer in group.answers]
        if locations:
            self.emit()
            self.emit("# Redirect targets, by original URL (the query is added where it is kept).")
            self.emit("map $servestatic_path $servestatic_location {")
            for answer in sorted(locations, key=lambda a: a.url):
                key = self.key(answer.url, folded[answer.url.lower()] > 1)
                self.emit(f"{key} {self.string(answer.location)};", 1)
            self.emit("}")

    def key(self, url: str, case_sensitive: bool) -> str:
        if case_sensitive:
            # map compares strings ignoring case: URLs that differ only in case are
            # matched by an exact, case-sensitive expression instead.
            return self.string(f"~^{re.escape(url)}$", script=False)
        return self.string(url, script=False)

    def server(self, groups: tuple[FileGroup, ...], redirects: tuple[RedirectGroup, ...]) -> None:
        model = self.model
        self.emit("server {")
        self.emit(f"listen {self.options.listen};", 1)
        self.emit(f"server_name {self.options.server_name};", 1)
        self.emit("# Location headers stay relative, as servestatic sends them.", 1)
        self.emit("absolute_redirect off;", 1)
        self.emit(
            "# RFC 9110 §13.1.3: not modified since the date (nginx's default is 'exact').", 1
        )
        self.emit("if_modified_since before;", 1)
        self.emit(f"etag {'on' if model.etag else 'off'};", 1)
        # servestatic's limit: more ranges than this and the whole file is sent.
        self.emit(f"max_ranges {model.max_ranges if model.ranges else 0};", 1)
        self.emit(f"error_page 404 {INTERNAL}not-found;", 1)
        self.emit()
        self.emit("location / {", 1)
        self.emit("# The path as asked for, for the miss handling and redirect targets.", 2)
        self.emit("set $servestatic_path $uri;", 2)
        self.emit("error_page 404 = @servestatic_miss;", 2)
        self.emit("recursive_error_pages on;", 2)
        self.emit('if ($servestatic_answer = "") { return 404; }', 2)
        self.emit(f"rewrite ^ {INTERNAL}$servestatic_answer$uri last;", 2)
        self.emit("}", 1)
        for group in groups:
            self.emit()
            self.file_group(group)
        for redirect in redirects:
            self.emit()
            self.redirect_group(redirect)
        self.emit()
        self.miss()
        if model.fallback is not None:
            self.emit()
            self.special(
                "fallback", model.fallback, "The SPA fallback: its own headers, status 200."
            )
        self.emit()
        if model.not_found is not None:
            self.special("not-found", model.not_found, "The 404 page: no validators, no ranges.")
        else:
            self.emit("# The plain 404 servestatic sends when no 404 page is configured.", 1)
            self.emit(f"location = {INTERNAL}not-found {{", 1)
            self.emit("internal;", 2)
            self.emit("types { }", 2)
            self.emit('default_type "text/plain; charset=utf-8";', 2)
            self.emit('add_header Cache-Control "no-cache" always;', 2)
            self.emit('return 404 "Not Found";', 2)
            self.emit("}", 1)
        if model.patterns:
            self.emit()
            self.emit(
                "# The empty body of a [[redirects]] answer (nginx would send an HTML page).", 1
            )
            self.emit(f"location = {INTERNAL}redirect {{", 1)
            self.emit("internal;", 2)
            self.emit("types { }", 2)
            self.emit('default_type "";', 2)
            self.emit('return 200 "";', 2)
            self.emit("}", 1)
        self.emit("}")

    # Location expressions start with (?s): a path may hold a decoded newline (%0A), and
    # without a match nginx would loop through "location /" until it gives up with a 500.

    def file_group(self, group: FileGroup) -> None:
        prefix = re.escape(self.model.roots[group.root].prefix.rstrip("/"))
        count = len(group.answers)
        self.emit(f"# {count} URL{'s' if count > 1 else ''}, first {group.answers[0].url}", 1)
        self.emit(
            "location ~ "
            + self.string(
                f"(?s)^{re.escape(INTERNAL)}{group.name}(?<servestatic_path>{prefix}"
                f"(?<servestatic_file>/.*))$",
                script=False,
            )
            + " {",
            1,
        )
        self.emit("internal;", 2)
        # One quoted argument: nginx refuses text right after a closing quote.
        directory = self.string(self.root_path(group.root).rstrip("/"))
        self.emit(f'alias {directory[:-1]}$servestatic_file";', 2)
        if group.has_index and self.model.index_file is not None:
            self.emit(f"index {self.string(self.model.index_file)};", 2)
        self.emit("# A listed URL with no file (another case, a file removed): a miss.", 2)
        self.emit("error_page 404 = @servestatic_miss;", 2)
        # Without it, nginx would not let the miss handling send the 404 page in turn.
        self.emit("recursive_error_pages on;", 2)
        self.emit("log_not_found off;", 2)
        self.headers(group.content_type, group.headers, group.codings, group.cors_origins, 2)
        self.emit("}", 1)

    def redirect_group(self, group: RedirectGroup) -> None:
        count = len(group.answers)
        query = "the query kept" if group.keep_query else "the query dropped"
        self.emit(
            f"# {count} redirect{'s' if count > 1 else ''} ({group.status}, {query}), "
            f"first {group.answers[0].url}",
            1,
        )
        self.emit(
            "location ~ "
            + self.string(
                f"(?s)^{re.escape(INTERNAL)}{group.name}(?<servestatic_path>/.*)$", script=False
            )
            + " {",
            1,
        )
        self.emit("internal;", 2)
        self.emit(f"error_page {group.status} {INTERNAL}{group.name}-body;", 2)
        tail = "$is_args$args" if group.keep_query else ""
        self.emit(f"return {group.status} $servestatic_location{tail};", 2)
        self.emit("}", 1)
        self.emit(f"location = {INTERNAL}{group.name}-body {{", 1)
        self.emit("internal;", 2)
        self.headers("", group.headers, (), (), 2)
        self.emit('return 200 "";', 2)
        self.emit("}", 1)

    def miss(self) -> None:
        model = self.model
        self.emit(
            "# A path with no file: [[redirects]] patterns, the SPA fallback, the 404 page.", 1
        )
        self.emit("location @servestatic_miss {", 1)
        self.emit("recursive_error_pages on;", 2)
        self.emit(f"error_page 404 {INTERNAL}not-found;", 2)
        if model.patterns:
            self.emit(f"error_page {_REDIRECT_CODES} {INTERNAL}redirect;", 2)
        for redirect in model.patterns:
            self.emit(
                f"# [[redirects]] #{redirect.number}: {redirect.source} -> {redirect.target}", 2
            )
            target = redirect_template(redirect.target, "${{servestatic_c_{name}}}")
            # Literal parts of the target are escaped; the captures are nginx variables.
            parts = re.split(r"(\$\{[A-Za-z_]\w*\})", target)
            value = "".join(
                part if index % 2 else self.string(part)[1:-1] for index, part in enumerate(parts)
            )
            tail = "$is_args$args" if redirect.keep_query else ""
            pattern = self.string(
                redirect_regex(redirect.source, query=True, capture_prefix="servestatic_c_"),
                script=False,
            )
            self.emit(
                f'if ($request_uri ~ {pattern}) {{ return {redirect.status} "{value}{tail}"; }}', 2
            )
        if model.fallback is not None:
            self.emit('if ($request_method !~ "^(GET|HEAD)$") { return 404; }', 2)
            for pattern in model.spa_exclude:
                regex = self.string(glob_regex(pattern), script=False)
                self.emit(f"# spa.exclude {pattern}", 2)
                self.emit(f"if ($servestatic_path ~ {regex}) {{ return 404; }}", 2)
            self.emit(f"rewrite ^ {INTERNAL}fallback last;", 2)
        self.emit("return 404;", 2)
        self.emit("}", 1)

    def special(self, name: str, answer: FileAnswer, comment: str) -> None:
        self.emit(f"# {comment} {answer.url}", 1)
        self.emit(f"location = {INTERNAL}{name} {{", 1)
        self.emit("internal;", 2)
        self.emit(f"alias {self.string(self.file_path(answer))};", 2)
        if answer.status != 200:
            self.emit("etag off;", 2)
        self.headers(
            answer.content_type,
            answer.other_headers,
            self.codings(answer),
            answer.cors_origins,
            2,
        )
        self.emit("}", 1)


def render(model: SiteModel, options: NginxOptions | None = None) -> str:
    """The nginx configuration of a site (deterministic: same model, same text)."""
    options = options or NginxOptions()
    if options.roots and len(options.roots) != len(model.roots):
        raise ExportError(f"{len(model.roots)} roots to map, {len(options.roots)} paths given")
    listed = [answer.url for answer in model.files] + [answer.url for answer in model.redirects]
    reserved = [url for url in listed if url.startswith(INTERNAL)]
    if reserved:
        raise ExportError(
            f"{reserved[0]}: paths under {INTERNAL} are used by the exported configuration"
        )
    writer = _Writer(model, options)
    groups = file_groups(model, writer.codings)
    redirects = redirect_groups(model)
    writer.hash_sizes(listed)
    writer.url_table(groups, redirects)
    writer.emit()
    writer.server(groups, redirects)
    body = writer.lines
    head = [*_head(model, options, len(groups), len(redirects)), *writer.hash_lines]
    if writer.origin_maps:
        head.append("# [cors] allow_origins: the request's Origin when it is listed, else nothing.")
        for origins, name in writer.origin_maps.items():
            head.append(f"map $http_origin {name} {{")
            head.append('    default "";')
            head.extend(
                f"    {writer.string(f'~^{re.escape(origin)}$', script=False)} $http_origin;"
                for origin in origins
            )
            head.append("}")
        head.append("")
    if writer.dollar:
        head.append("# A literal '$' for header values (nginx strings have no escape for it).")
        head.append('geo $servestatic_dollar { default "$"; }')
        head.append("")
    return "\n".join([*head, *body]) + "\n"


def _head(model: SiteModel, options: NginxOptions, groups: int, redirects: int) -> list[str]:
    lines = [
        "# Generated by `servestatic export nginx`: do not edit, run the export again.",
        "# Include it in nginx's http {} block: include /path/to/this/file;",
        f"# {len(model.files)} file URLs in {groups} header groups, {len(model.redirects)} "
        f"redirect URLs in {redirects} groups.",
    ]
    if options.brotli and "br" in model.variant_codings():
        lines.append(
            "# brotli_static needs the ngx_brotli static module (Debian: "
            "libnginx-mod-http-brotli-static);"
        )
        lines.append("# export with --no-brotli for an nginx without it.")
    lines.append("#")
    lines.append("# What nginx does differently from servestatic for this site (docs/export.md):")
    lines.extend(comment_lines("nginx", model))
    lines.append("")
    return lines
