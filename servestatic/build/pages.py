"""Per-page hints and CSP hashes, read from each built HTML page (issue 18).

For every HTML page the build records, in ``staticfiles.json`` under ``pages``:

* ``links``: what the page will fetch first, as ``Link`` hints (RFC 8288): stylesheets
  (``rel=preload; as=style``), ``<link rel=preload>`` and ``rel=modulepreload`` as written
  (fonts included), module scripts (``rel=modulepreload``) and classic external scripts
  (``rel=preload; as=script``). Only same-origin URLs: a relative ``href`` is resolved
  against the page into a name below the root, an absolute path is kept;
* ``csp`` (with ``--csp-hashes``): the ``'sha256-…'`` sources of every inline ``<script>``
  and ``<style>`` (CSP Level 3 §8.3: the hash of the element's text, UTF-8).

The HTML is parsed by lexbor (through ``selectolax``), a WHATWG-conformant parser: a CSP
hash is only right if the text is exactly what a browser puts in the element, and the
HTML tokenizer's script states (``<!--<script>`` inside a script, CR LF normalisation)
are where a regular expression or the standard library's ``html.parser`` tokenizer
(which does not implement them) would hash something else. See
``docs/build-pipeline.md``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
from typing import Any

from servestatic.build.references import resolve, split_suffix

__all__ = ["CSP_PARSER_MISSING", "PARSER_MISSING", "analyse_page", "parser_available"]

PARSER_MISSING = (
    "per-page Link hints and CSP hashes need an HTML parser: pip install 'servestatic[build]' "
    "(pages are recorded without them)"
)
CSP_PARSER_MISSING = (
    "CSP hashes need an HTML parser: pip install 'servestatic[build]' (nothing was written)"
)
#: ``<script type>`` values that are data blocks, never run (HTML §4.12.1.1), so they need
#: no hash; the empty type and JavaScript MIME types run, and so do ``module``/``importmap``.
_DATA_BLOCKS = ("application/json", "application/ld+json", "text/template", "text/x-template")
_PRELOAD_AS = frozenset(
    {"audio", "document", "embed", "fetch", "font", "image", "object", "script", "style",
     "track", "video", "worker"}
)  # fmt: skip


def parser_available() -> bool:
    """Is the ``build`` extra's HTML parser installed?"""
    try:
        importlib.import_module("selectolax.lexbor")
    except ImportError:
        return False
    return True


def _source(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _target(href: str | None, page: str) -> str | None:
    """A same-origin URL of this site: a name below the root, ``/an/absolute/path``, or
    None for other origins, ``data:`` and fragments."""
    if not href:
        return None
    href = href.strip()
    if href.startswith("/") and not href.startswith("//"):
        return href.split("#", 1)[0] or None
    path, suffix = split_suffix(href)
    name = resolve(path, page)
    if name is None or name.startswith("../") or name == "..":
        return None
    return name + suffix.split("#", 1)[0]


def analyse_page(data: bytes, page: str, *, csp: bool) -> dict[str, Any]:
    """``{"links": [...], "csp": {...}}`` for the HTML ``data`` of the page named ``page``
    (``/``-separated, relative to the root). Raises ImportError without the parser."""
    lexbor = importlib.import_module("selectolax.lexbor")
    tree = lexbor.LexborHTMLParser(data.decode("utf-8", "surrogateescape"))
    links: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(href: str | None, rel: str, **params: str | None) -> None:
        target = _target(href, page)
        if target is None or (target, rel) in seen:
            return
        seen.add((target, rel))
        hint = {"href": target, "rel": rel}
        hint.update({name: value for name, value in params.items() if value is not None})
        links.append(hint)

    scripts: list[str] = []
    styles: list[str] = []
    for node in tree.css("link, script, style"):
        attributes = {key.lower(): value for key, value in node.attributes.items()}
        tag = node.tag
        # A bare `crossorigin` comes back as None: present means anonymous (""), absent None.
        crossorigin = (attributes.get("crossorigin") or "") if "crossorigin" in attributes else None
        if tag == "link":
            rels = (attributes.get("rel") or "").lower().split()
            if "stylesheet" in rels and "alternate" not in rels:
                add(
                    attributes.get("href"),
                    "preload",
                    **{"as": "style", "media": attributes.get("media"), "crossorigin": crossorigin},
                )
            elif "modulepreload" in rels:
                add(attributes.get("href"), "modulepreload", crossorigin=crossorigin)
            elif "preload" in rels and (attributes.get("as") or "").lower() in _PRELOAD_AS:
                kind = (attributes.get("as") or "").lower()
                # Fonts are always fetched in CORS mode: a hint without crossorigin would
                # be a second, unusable download.
                if kind == "font" and crossorigin is None:
                    crossorigin = ""
                params = {"as": kind, "type": attributes.get("type"), "crossorigin": crossorigin}
                params["media"] = attributes.get("media")
                params["fetchpriority"] = attributes.get("fetchpriority")
                add(attributes.get("href"), "preload", **params)
            continue
        kind = (attributes.get("type") or "").strip().lower()
        if tag == "script" and attributes.get("src") is not None:
            if kind == "module":
                add(attributes["src"], "modulepreload", crossorigin=crossorigin)
            elif (
                kind in {"", "text/javascript", "application/javascript"}
                and "nomodule" not in attributes
            ):
                add(attributes["src"], "preload", **{"as": "script", "crossorigin": crossorigin})
            continue
        if not csp:
            continue
        text = node.text(deep=True, strip=False)
        if not text:
            continue
        if tag == "script" and kind not in _DATA_BLOCKS:
            scripts.append(_source(text))
        elif tag == "style":
            styles.append(_source(text))
    record: dict[str, Any] = {"links": links}
    if csp:
        record["csp"] = {
            "script-src": list(dict.fromkeys(scripts)),
            "style-src": list(dict.fromkeys(styles)),
        }
    return record
