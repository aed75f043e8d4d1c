"""Preload hints for dynamic views, from the build manifest (issue 18).

The server sends the ``Link`` header the build recorded for each static HTML page. Pages a
view renders (a Django template, a Starlette endpoint) get theirs from here::

    from servestatic.hints import ManifestHints, with_early_hints

    hints = ManifestHints("dist", prefix="/static/")   # reads dist/staticfiles.json once

    # Django: CDNs that turn Link into 103 Early Hints (Cloudflare, Fastly) do so.
    response["Link"] = hints.link("css/app.css", "js/app.js")

    # Starlette (any ASGI app): the same header, plus a 103 sent directly when the
    # server offers the ``http.response.early_hint`` extension.
    return with_early_hints(HTMLResponse(html), hints.link("css/app.css"))

Names are the ones the templates use (``{% static "css/app.css" %}``): the manifest maps
them to the hashed files, so the hints name exactly what the page will load.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from servestatic.build.manifest import MANIFEST_NAME, format_link, read_manifest

__all__ = ["ManifestHints", "send_early_hints", "with_early_hints"]

Scope = MutableMapping[str, Any]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

_AS = {
    ".css": "style",
    ".js": "script",
    ".woff2": "font",
    ".woff": "font",
    ".ttf": "font",
    ".otf": "font",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".gif": "image",
    ".webp": "image",
    ".avif": "image",
    ".svg": "image",
}


class ManifestHints:
    """The ``paths`` and ``pages`` of one ``staticfiles.json``, served under ``prefix``."""

    def __init__(self, root: str | os.PathLike[str], prefix: str = "/static/") -> None:
        document = read_manifest(os.path.join(os.fspath(root), MANIFEST_NAME))
        self.prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        self.paths: dict[str, str] = {
            name: hashed
            for name, hashed in document.get("paths", {}).items()
            if isinstance(name, str) and isinstance(hashed, str)
        }
        pages = document.get("pages")
        self.pages: dict[str, Any] = pages if isinstance(pages, dict) else {}

    def url(self, name: str) -> str:
        """The URL a template's ``static(name)`` gives: the hashed name when there is one."""
        return self.prefix + self.paths.get(name, name).lstrip("/")

    def link(self, *names: str, module: bool = False) -> str:
        """A ``Link`` value preloading ``names``: ``as`` from the extension (fonts with
        ``crossorigin``); ``.mjs``, and ``.js`` with ``module=True``, as
        ``rel=modulepreload``."""
        elements = []
        for name in names:
            extension = posixpath.splitext(name)[1].lower()
            hint: dict[str, str] = {"href": self.url(name), "rel": "preload"}
            if extension == ".mjs" or (extension == ".js" and module):
                hint["rel"] = "modulepreload"
            elif extension in _AS:
                hint["as"] = _AS[extension]
                if hint["as"] == "font":
                    hint["crossorigin"] = ""
            value = format_link(hint)
            if value is not None:
                elements.append(value)
        return ", ".join(elements)

    def page(self, name: str) -> str | None:
        """The ``Link`` value the build recorded for the HTML page ``name``, if any."""
        record = self.pages.get(name)
        if not isinstance(record, dict):
            return None
        links = [
            value
            for hint in record.get("links") or []
            if isinstance(hint, dict) and (value := format_link(hint, self.prefix)) is not None
        ]
        return ", ".join(links) or None


async def send_early_hints(scope: Scope, send: Send, link: str) -> bool:
    """Send ``link`` as a 103 Early Hints response if the ASGI server offers the
    ``http.response.early_hint`` extension; True if it was sent. Call it before the
    response starts."""
    extensions = scope.get("extensions") or {}
    if not link or "http.response.early_hint" not in extensions:
        return False
    await send({"type": "http.response.early_hint", "links": [link.encode("latin-1")]})
    return True


class with_early_hints:  # noqa: N801 - used like a function around a response
    """An ASGI response (Starlette's, or any ASGI callable) preceded by a 103 carrying
    ``link`` where the server can send one; the response itself gets the ``Link`` header
    too when it has a ``headers`` mapping (Starlette's responses do)."""

    def __init__(self, response: Any, link: str) -> None:
        self.response = response
        self.link = link
        headers = getattr(response, "headers", None)
        if link and headers is not None and "link" not in headers:
            headers["Link"] = link

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_early_hints(scope, send, self.link)
        await self.response(scope, receive, send)
