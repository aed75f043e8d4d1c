"""WSGI-style ``environ`` (a WSGI server's, Django's ``request.META``) to a request record,
and the WSGI status lines: the translation the WSGI adapter, Django and ``explain`` share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from servestatic.http.records import Request, reason_phrases

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


class _Builder(Protocol):
    def __call__(
        self,
        environ: Mapping[str, Any],
        method: str,
        path: str,
        raw_path: str | bytes | None,
        mount: str = "",
    ) -> Request: ...


def _compile_builder() -> _Builder:
    """``request_from_environ``, written out once at import with one value per field in
    ``Request._fields`` order, by name (as ``collections.namedtuple`` writes its own
    ``__new__``): a record field with no source here fails the import.

    Why generated: the record is built on every request, and a tuple literal handed to
    ``tuple.__new__`` (which reuses it, where a list would be copied once more) takes
    0.6 us where keyword arguments to the NamedTuple take 1.4 us and a loop over the
    fields 1.3 us; hard-coding the literal would tie it to the
    field order (tests/serving/test_fast_paths.py reorders the fields to check)."""
    sources = {name: f"get({key!r}, {default!r})" for name, (key, default) in _ENVIRON_KEYS.items()}
    sources.update(method="method", path="path", raw_path="raw_path", mount="mount")
    values = ", ".join(sources[name] for name in Request._fields)
    source = (
        "def request_from_environ(environ, method, path, raw_path, mount=''):\n"
        "    get = environ.get\n"
        f"    return _new_record(Request, ({values}))\n"
    )
    namespace: dict[str, Any] = {"_new_record": tuple.__new__, "Request": Request}
    exec(source, namespace)  # noqa: S102 - our own text, built from constants above
    builder: _Builder = namespace["request_from_environ"]
    builder.__doc__ = (
        "The request record from WSGI-style ``HTTP_*`` keys (a WSGI environ, Django's META)."
    )
    builder.__module__ = __name__
    return builder


request_from_environ = _compile_builder()
