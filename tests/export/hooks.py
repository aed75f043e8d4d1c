"""An ``add_headers_function`` for the export tests (``tests.export.hooks:two_links``)."""

from __future__ import annotations

from typing import Any


def two_links(headers: Any, path: str, url: str) -> None:
    """Two ``Link`` headers (a hook may repeat a name; rules cannot) and none of the rest."""
    for name in list(headers.keys()):
        del headers[name]
    headers.add_header("Link", "</a.css>; rel=preload")
    headers.add_header("Link", "</b.css>; rel=preload")
