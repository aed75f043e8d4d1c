"""``servestatic export netlify``: ``_headers`` and ``_redirects`` (Netlify, Cloudflare Pages).

The writer works in two steps so that a reader of these files can share its records: the
site becomes :class:`HeaderRule` and :class:`RedirectRule` values (:func:`rules`), and the
records become text (:func:`format_headers`, :func:`format_redirects`). A ``_headers`` /
``_redirects`` configuration source only has to parse text back into the same records.

Syntax written (a subset both hosts document):

``_headers``: a path line starting with ``/``, then indented ``Name: value`` lines; ``#``
starts a comment line. ``_redirects``: ``FROM TO STATUS`` per line, whitespace-separated,
``!`` after the status forces the rule over an existing file; ``:name`` and a trailing ``*``
(``:splat`` in TO) as in servestatic's ``[[redirects]]``. Paths are written percent-encoded
(spaces and ``*``/``:`` in file names would otherwise read as syntax).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import quote

from servestatic.export._differences import PREFIX_GLOB, comment_lines
from servestatic.export._model import SiteModel
from servestatic.http.glob import compile_glob

__all__ = [
    "HeaderRule",
    "RedirectRule",
    "encode_path",
    "format_headers",
    "format_redirects",
    "render",
    "rules",
]

# Characters a path keeps unencoded: RFC 3986 pchar minus the ones these files give a
# meaning to ("*" splat, ":" placeholder) and "!" (force, after the status).
_PATH_SAFE = "/$&'()+,;=@-._~"


@dataclass(frozen=True, slots=True)
class HeaderRule:
    """One ``_headers`` block: a path and the headers its responses get, in order."""

    path: str  # as written: percent-encoded, possibly with ":name" or a trailing "*"
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class RedirectRule:
    """One ``_redirects`` line."""

    source: str  # as written: percent-encoded, ":name" placeholders, trailing "*"
    target: str  # path or absolute URL, ":name" and ":splat" placeholders
    status: int  # 200 is a rewrite (the SPA fallback), 404 a not-found answer
    force: bool  # "!": applies even when a file exists at the path
    comment: str = ""  # written on the line above


def encode_path(url: str) -> str:
    """A decoded URL path as written in these files."""
    return quote(url, safe=_PATH_SAFE)


def rules(model: SiteModel) -> tuple[tuple[HeaderRule, ...], tuple[RedirectRule, ...]]:
    """The site as ``_headers`` blocks and ``_redirects`` lines (first match wins)."""
    headers = []
    for answer in model.files:
        pairs = tuple(answer.headers)
        if pairs:
            headers.append(HeaderRule(encode_path(answer.url), pairs))
    redirects: list[RedirectRule] = []
    not_found = model.not_found.url if model.not_found is not None else "/404.html"
    for redirect in model.configured:
        source = redirect.source if not redirect.literal else encode_path(redirect.source)
        redirects.append(
            RedirectRule(
                source,
                redirect.target,
                redirect.status,
                redirect.force,  # "!": over an existing file, as servestatic does
                f"[[redirects]] #{redirect.number}",
            )
        )
    # A file servestatic does not serve is a miss there: the fallback where it applies,
    # else the 404 page. Forced ("!"), as the file exists.
    excluded = [compile_glob(pattern) for pattern in model.spa_exclude]
    for index, url in enumerate(model.unserved):
        comment = (
            "files servestatic does not serve (dotfiles, deny rules, precompressed siblings "
            "at their own URL): answered as misses"
        )
        if model.fallback is not None and not any(glob.match(url) for glob in excluded):
            rule = RedirectRule(encode_path(url), encode_path(model.fallback.url), 200, True)
        else:
            rule = RedirectRule(encode_path(url), encode_path(not_found), 404, True)
        redirects.append(replace(rule, comment=comment if index == 0 else ""))
    if model.fallback is not None:
        for number, pattern in enumerate(model.spa_exclude):
            prefix = PREFIX_GLOB.match(pattern)
            if prefix is None:
                continue  # not expressible: see the spa-exclude difference
            redirects.append(
                RedirectRule(
                    encode_path(prefix.group(1)) + "/*",
                    encode_path(not_found),
                    404,
                    False,
                    "spa.exclude (never the fallback)" if number == 0 else "",
                )
            )
        redirects.append(
            RedirectRule("/*", encode_path(model.fallback.url), 200, False, "the SPA fallback")
        )
    if model.not_found is not None and model.not_found.url != "/404.html":
        redirects.append(
            RedirectRule("/*", encode_path(model.not_found.url), 404, False, "the 404 page")
        )
    return tuple(headers), tuple(redirects)


def format_headers(blocks: tuple[HeaderRule, ...], preamble: tuple[str, ...] = ()) -> str:
    lines = list(preamble)
    for block in blocks:
        if lines:
            lines.append("")
        lines.append(block.path)
        lines.extend(f"  {name}: {value}" for name, value in block.headers)
    return "\n".join(lines) + "\n"


def format_redirects(lines_in: tuple[RedirectRule, ...], preamble: tuple[str, ...] = ()) -> str:
    lines = list(preamble)
    for rule in lines_in:
        if rule.comment:
            lines.append("")
            lines.append(f"# {rule.comment}")
        status = f"{rule.status}{'!' if rule.force else ''}"
        lines.append(f"{rule.source}  {rule.target}  {status}")
    return "\n".join(lines) + "\n"


def render(model: SiteModel) -> dict[str, str]:
    """``{"_headers": text, "_redirects": text}`` for the site."""
    blocks, redirects = rules(model)
    preamble = (
        "# Generated by `servestatic export netlify`: do not edit, run the export again.",
        "#",
        "# What Netlify and Cloudflare Pages do differently from servestatic (docs/export.md):",
        *comment_lines("netlify", model),
    )
    return {
        "_headers": format_headers(blocks, preamble),
        "_redirects": format_redirects(redirects, preamble),
    }
