"""WSGI-style ``environ`` (a WSGI server's, Django's ``request.META``) to a request record,
and the WSGI status lines: the translation the WSGI adapter, Django and ``explain`` share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servestatic._records import Request, reason_phrases

__all__ = ["STATUS_LINES", "request_from_environ"]

#: WSGI status lines, computed once.
STATUS_LINES = {code: f"{code} {reason}" for code, reason in reason_phrases().items()}


#: Where each field of the record comes from, by name: a WSGI environ key and its default.
#: The fields not listed (method, path, raw_path, mount) are the caller's arguments.
_ENVIRON_KEYS = {
    "query": ("QUERY_STRING", ""),
    "accept_encoding": ("HTTP_ACCEPT_ENCODING", None),
    "if_none_match": ("HTTP_IF_NONE_MATCH", None),
    "if_modified_since": ("HTTP_IF_MODIFIED_SINCE", None),
    "if_match": ("HTTP_IF_MATCH", None),
    "if_unmodified_since": ("HTTP_IF_UNMODIFIED_SINCE", None),
    "range": ("HTTP_RANGE", None),
    "if_range": ("HTTP_IF_RANGE", None),
    "origin": ("HTTP_ORIGIN", None),
}
#: (field, environ key or None for an argument, default), in the record's own field order
#: whatever that order is: the builder below makes exactly one value per field.
_SOURCES = tuple((name, *_ENVIRON_KEYS.get(name, (None, None))) for name in Request._fields)
_new_record = tuple.__new__


def request_from_environ(
    environ: Mapping[str, Any],
    method: str,
    path: str,
    raw_path: str | bytes | None,
    mount: str = "",
) -> Request:
    """The request record from WSGI-style ``HTTP_*`` keys (a WSGI environ, Django's META)."""
    get = environ.get
    given = {"method": method, "path": path, "raw_path": raw_path, "mount": mount}
    # One value per field in Request._fields order (taken by name above): tuple.__new__
    # skips the record's Python-level __new__, one call in a dozen on the request path.
    return _new_record(
        Request,
        [given[name] if key is None else get(key, default) for name, key, default in _SOURCES],
    )
