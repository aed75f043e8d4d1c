"""What nginx, Caddy and Netlify do differently from servestatic for the same exported site.

One list, three readers: the comment at the top of each generated file, the output of
``servestatic export ... --check``, and the table in ``docs/export.md`` (a test compares
that table with :func:`markdown_table`). The fidelity tests that run nginx and Caddy excuse
a mismatch only by naming one of these entries, so the documentation cannot drift from
what the engines were seen to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from servestatic.export._model import SiteModel

#: The SPA exclusions a Netlify rule can express: a literal path prefix and "/**".
PREFIX_GLOB = re.compile(r"^(/(?:[A-Za-z0-9._~-]+/)*[A-Za-z0-9._~-]+)/\*\*$")

__all__ = [
    "DIFFERENCES",
    "ENGINES",
    "PREFIX_GLOB",
    "Difference",
    "applicable",
    "by_id",
    "comment_lines",
    "markdown_table",
]

#: The export targets, in the order the docs list them.
ENGINES = ("nginx", "caddy", "netlify")


def _always(model: SiteModel) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Difference:
    """Something servestatic does that an engine's exported configuration does not."""

    id: str
    # engine -> one-line description, for comments, --check and the docs table
    texts: tuple[tuple[str, str], ...]
    # Whether this site is concerned (e.g. only sites with zstd variants).
    concerns: Callable[[SiteModel], bool] = _always

    @property
    def engines(self) -> frozenset[str]:
        return frozenset(engine for engine, _ in self.texts)

    def text(self, engine: str) -> str:
        return dict(self.texts)[engine]


def _same(text: str, *engines: str) -> tuple[tuple[str, str], ...]:
    return tuple((engine, text) for engine in engines)


def _has(coding: str) -> Callable[[SiteModel], bool]:
    return lambda model: coding in model.variant_codings()


def _has_variants(model: SiteModel) -> bool:
    return bool(model.variant_codings())


def _has_redirects(model: SiteModel) -> bool:
    return bool(model.redirects or model.patterns)


def _has_patterns(model: SiteModel) -> bool:
    return bool(model.patterns)


def _has_undated(model: SiteModel) -> bool:
    return any(not answer.dated for answer in model.files)


def _no_multipart(model: SiteModel) -> bool:
    return model.ranges and not model.multipart


def _range_limits(model: SiteModel) -> bool:
    return not model.ranges or model.max_ranges != 16 or not model.multipart


def _etag_off(model: SiteModel) -> bool:
    return not model.etag


_N, _C, _L = "nginx", "caddy", "netlify"

DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "etag-format",
        (
            (_N, "ETags are nginx's own (hex mtime-size, the variant's for a variant)"),
            (_C, "ETags are Caddy's own (base-36 mtime and size)"),
            (_L, "ETags are the host's own"),
        ),
    ),
    Difference(
        "not-modified-headers",
        (
            *_same(
                "a 304 repeats every configured header (rule, security and CORS headers, "
                "Last-Modified); servestatic sends only the RFC 9110 §15.4.5 subset",
                _N,
                _C,
            ),
            (
                _L,
                "which headers a 304 repeats is the host's rule; servestatic sends only the "
                "RFC 9110 §15.4.5 subset",
            ),
        ),
    ),
    Difference(
        "coding-preference",
        (
            (
                _N,
                "of the acceptable codings nginx serves br, then gzip, then the file itself, "
                "whatever their q-values, and reads neither '*' nor 'x-gzip'; servestatic "
                "takes the highest q-value, then the smallest file",
            ),
            (
                _C,
                "Caddy reads neither '*' nor 'x-gzip', and serves an acceptable variant even "
                "when identity has a higher q-value; otherwise it chooses as servestatic does "
                "(highest q-value, then smallest file)",
            ),
        ),
        _has_variants,
    ),
    Difference(
        "not-acceptable",
        (
            *_same(
                "'Accept-Encoding: identity;q=0' with no acceptable variant gets the file (or "
                "the 404 answer); servestatic answers 406",
                _N,
                _C,
            ),
            (
                _L,
                "content codings are the host's choice: servestatic's 406 for "
                "'Accept-Encoding: identity;q=0' is not exported",
            ),
        ),
    ),
    Difference(
        "methods",
        (
            (
                _N,
                "methods other than GET and HEAD get nginx's own 405 page (or the miss "
                "answer); servestatic answers OPTIONS and CORS preflight with 204 and other "
                "methods with an empty 405, both with Allow",
            ),
            (
                _C,
                "methods other than GET and HEAD get Caddy's own 405 (or the miss answer); "
                "servestatic answers OPTIONS and CORS preflight with 204 and other methods "
                "with an empty 405, both with Allow",
            ),
            (
                _L,
                "methods other than GET and HEAD are answered by the host's rules; "
                "servestatic answers OPTIONS and CORS preflight with 204 and other methods "
                "with an empty 405, both with Allow",
            ),
        ),
    ),
    Difference(
        "ranges",
        (
            (
                _N,
                "nginx sends a precompressed variant whole when asked for a range, omits "
                "Accept-Ranges on variants and on 206, and applies its own If-Range rules; "
                "servestatic serves ranges of variants too",
            ),
            (_C, "Caddy applies Go's If-Range and multipart rules (and its own boundary)"),
            (_L, "byte ranges are answered by the host's rules"),
        ),
    ),
    Difference(
        "range-settings",
        _same(
            "[ranges] enabled, max_ranges and multipart are not exported: ranges are always "
            "answered",
            _C,
            _L,
        ),
        _range_limits,
    ),
    Difference(
        "multipart-setting",
        ((_N, "[ranges] multipart = false is not exported: nginx sends multipart/byteranges"),),
        _no_multipart,
    ),
    Difference(
        "variant-length",
        (
            (
                _C,
                "a precompressed variant is sent without Content-Length on HEAD (and chunked "
                "when it is large): Go leaves the length of encoded content to the server",
            ),
        ),
        _has_variants,
    ),
    Difference(
        "variant-validators",
        _same(
            "a precompressed variant's Last-Modified is the variant file's own; servestatic "
            "sends the source file's (the same when the build keeps their times)",
            _N,
            _C,
        ),
        _has_variants,
    ),
    Difference(
        "undated-files",
        (
            *_same(
                "a file with a modification time of 0 or 1 (a reproducible build) gets a "
                "Last-Modified; servestatic sends none",
                _N,
                _C,
            ),
            (_L, "Last-Modified is the host's own; servestatic sends none for files dated 0 or 1"),
        ),
        _has_undated,
    ),
    Difference(
        "etag-off",
        (
            (
                _C,
                "etag = 'off' removes Caddy's ETag from its answers, but Caddy still makes one: "
                "a 304 then carries no Last-Modified",
            ),
            (_L, "etag = 'off' is not exported: the host sends its own ETag"),
        ),
        _etag_off,
    ),
    Difference(
        "path-normalization",
        (
            (
                _N,
                "nginx decodes %2F, merges repeated slashes and resolves dot segments before "
                "the lookup; servestatic answers such paths as misses",
            ),
            (
                _C,
                "Caddy decodes %2F before the lookup; servestatic answers a path with an "
                "encoded separator as a miss",
            ),
        ),
    ),
    Difference(
        "query-escaping",
        _same(
            "a redirect appends the query string as received; servestatic percent-encodes "
            "what RFC 3986 does not allow in a query",
            _N,
            _C,
            _L,
        ),
        _has_redirects,
    ),
    Difference(
        "query-forwarding",
        (
            (
                _L,
                "whether a redirect keeps the query string is the host's rule (keep_query is "
                "not written)",
            ),
        ),
        lambda model: bool(model.configured),
    ),
    Difference(
        "redirect-captures",
        _same(
            "[[redirects]] captures are copied as the client encoded them; one that starts "
            "with '/' or holds a backslash does not match (servestatic re-encodes captures)",
            _N,
            _C,
        ),
        _has_patterns,
    ),
    Difference(
        "case-insensitive-redirects",
        (
            (
                _N,
                "nginx finds a listed redirect in any letter case (/DOCS redirects like "
                "/docs); servestatic's table is case-sensitive",
            ),
        ),
        lambda model: bool(model.redirects),
    ),
    Difference(
        "snapshot",
        _same(
            "the export lists the files present when it ran, each with the headers its rules "
            "gave it (the rules are not translated as patterns): a file added later is a miss "
            "(or the SPA fallback) until the next export",
            _N,
            _C,
        ),
    ),
    Difference(
        "reserved-prefix",
        ((_N, "paths under /.servestatic/ are used internally by the configuration"),),
    ),
    Difference(
        "zstd",
        ((_N, "stock nginx has no zstd_static: zstd variants are not served"),),
        _has("zstd"),
    ),
    Difference(
        "zstd-suffix",
        ((_C, "Caddy finds zstd variants as .zst only: a .zstd variant is not served"),),
        lambda model: ".zstd" in model.variant_suffixes(),
    ),
    Difference(
        "precompressed",
        (
            (
                _L,
                "precompressed variants are not used (the host compresses itself); their "
                "files are answered as misses",
            ),
        ),
        _has_variants,
    ),
    Difference(
        "listing",
        (
            (
                _L,
                "the host serves every file it is given: the export answers those servestatic "
                "does not serve as misses, but a file added later is served",
            ),
        ),
    ),
    Difference(
        "index-redirects",
        (
            (
                _L,
                "directory redirects (/docs to /docs/, /docs/index.html to ./) are left to "
                "the host's pretty URLs",
            ),
        ),
        lambda model: model.index_file is not None,
    ),
    Difference(
        "spa-exclude",
        (
            (
                _L,
                "SPA exclusions other than a '/prefix/**' glob (such as the default "
                "'/**/*.*') cannot be written: such paths get the fallback too",
            ),
        ),
        lambda model: (
            model.fallback is not None
            and any(PREFIX_GLOB.match(pattern) is None for pattern in model.spa_exclude)
        ),
    ),
    Difference(
        "special-pages",
        (
            (
                _L,
                "the SPA fallback and the 404 page (the host's own when none is configured) "
                "are sent for every method, with the headers the host chooses for a "
                "rewritten path",
            ),
        ),
    ),
    Difference(
        "cors-allow-list",
        (
            (
                _L,
                "[cors] allow_origins cannot echo a listed Origin: those files get no "
                "Access-Control-Allow-Origin",
            ),
        ),
        lambda model: any(answer.cors_origins for answer in model.files),
    ),
)


def by_id(identifier: str) -> Difference:
    """The entry named ``identifier`` (KeyError for a name not in the list)."""
    for difference in DIFFERENCES:
        if difference.id == identifier:
            return difference
    raise KeyError(identifier)


def applicable(engine: str, model: SiteModel | None = None) -> tuple[Difference, ...]:
    """The differences of ``engine``; with a model, only those that concern that site."""
    return tuple(
        difference
        for difference in DIFFERENCES
        if engine in difference.engines and (model is None or difference.concerns(model))
    )


def comment_lines(engine: str, model: SiteModel, prefix: str = "# ") -> list[str]:
    """The differences that concern a site, as comment lines for a generated file."""
    lines = []
    for difference in applicable(engine, model):
        lines.extend(_wrap(f"{difference.id}: {difference.text(engine)}", prefix))
    return lines


def _wrap(text: str, prefix: str, width: int = 96) -> list[str]:
    lines: list[str] = []
    current = f"{prefix}-"
    for word in text.split():
        if len(current) + 1 + len(word) > width:
            lines.append(current)
            current = f"{prefix} "
        current += " " + word
    lines.append(current)
    return lines


def markdown_table(engine: str) -> str:
    """The docs table of one engine: every difference it has, whatever the site."""
    lines = ["| Difference | What happens |", "|---|---|"]
    for difference in applicable(engine):
        text = difference.text(engine).replace("|", "\\|")
        lines.append(f"| `{difference.id}` | {text} |")
    return "\n".join(lines) + "\n"
