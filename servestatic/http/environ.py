"""WSGI-style ``environ`` (a WSGI server's, Django's ``request.META``) to a request record,
and the WSGI status lines: the translation the WSGI adapter, Django and ``explain`` share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servestatic.http.records import Request, reason_phrases

__all__ = ["STATUS_LINES", "request_from_environ"]

#: WSGI status lines, computed once.
STATUS_LINES = {code: f"{code} {reason}" for code, reason in reason_phrases().items()}


def request_from_environ(
    environ: Mapping[str, Any],
    method: str,
    path: str,
    raw_path: str | bytes | None,
    mount: str = "",
) -> Request:
    """The request record from WSGI-style ``HTTP_*`` keys (a WSGI environ, Django's META)."""
    get = environ.get
    return Request(
        method=method,
        path=path,
        query=get("QUERY_STRING", ""),
        accept_encoding=get("HTTP_ACCEPT_ENCODING"),
        if_none_match=get("HTTP_IF_NONE_MATCH"),
        if_modified_since=get("HTTP_IF_MODIFIED_SINCE"),
        if_match=get("HTTP_IF_MATCH"),
        if_unmodified_since=get("HTTP_IF_UNMODIFIED_SINCE"),
        range=get("HTTP_RANGE"),
        if_range=get("HTTP_IF_RANGE"),
        origin=get("HTTP_ORIGIN"),
        raw_path=raw_path,
        mount=mount,
    )
