"""WSGI adapter: translate ``environ`` into a request record and a plan into a response."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.util import FileWrapper

from servestatic.base import ServeStaticBase
from servestatic.http.environ import STATUS_LINES, request_from_environ
from servestatic.http.paths import decode_wsgi_path
from servestatic.serve.deliver import Answer, FileSpan
from servestatic.serve.files import BoundedFile, Spans

__all__ = ["ServeStatic"]

StartResponse = Callable[..., Any]


class ServeStatic(ServeStaticBase):
    """Serve static files in front of a WSGI application (or alone with ``application=None``)."""

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        get = environ.get
        path = decode_wsgi_path(get("PATH_INFO", ""))
        engine = self.engine
        claimed = engine.claimed
        if claimed is not None and path and path not in claimed:
            return self.application(environ, start_response)  # type: ignore[no-any-return]
        # PEP 3333 requires REQUEST_METHOD, but hand-built environs in tests often lack it:
        # "" is no method, which the core answers with 400 for a file and passes on otherwise.
        method = get("REQUEST_METHOD", "")
        raw_path = get("RAW_URI") or get("REQUEST_URI")
        if_none_match = get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:
            # A revalidation (what browsers and caches send back) is decided from the six
            # values it depends on, before the other headers are read (`environ` makes
            # single headers cheap). Anything but a 304 goes through the whole record.
            # By position, in Engine.revalidate's order (a keyword call costs more here).
            not_modified = engine.revalidate(
                path,
                raw_path,
                method,
                get("HTTP_ACCEPT_ENCODING"),  # accept_encoding
                if_none_match,
                get("HTTP_IF_MATCH"),  # if_match
                get("HTTP_IF_UNMODIFIED_SINCE"),  # if_unmodified_since
                get("HTTP_ORIGIN"),  # origin
            )
            if not_modified is not None:
                return self._send(not_modified, environ, start_response)
        elif (
            # A plain GET (servestatic.http.respond.is_plain: no precondition, no Range) is
            # answered from the engine's table before the other headers are read.
            method == "GET"
            and get("HTTP_RANGE") is None
            and get("HTTP_IF_MODIFIED_SINCE") is None
            and get("HTTP_IF_MATCH") is None
            and get("HTTP_IF_UNMODIFIED_SINCE") is None
        ):
            kept = engine.plain(path, raw_path, get("HTTP_ACCEPT_ENCODING"))
            if kept is not None:
                return self._send(kept, environ, start_response)
        # PATH_INFO is already below SCRIPT_NAME (the mount point); redirects need both.
        mount = get("SCRIPT_NAME") or ""
        request = request_from_environ(
            environ, method, path, raw_path, decode_wsgi_path(mount) if mount else ""
        )
        response = engine.serve(request)
        if response is None:
            return self.application(environ, start_response)  # type: ignore[no-any-return]
        return self._send(response, environ, start_response)

    def _send(
        self, response: Answer, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """Map a response onto WSGI: bytes as one item, files through ``wsgi.file_wrapper``
        (servers with sendfile never call ``read()``) or as an iterator of spans."""
        headers = list(response.headers.pairs)
        if response.extra:
            headers.extend(response.extra)
        body = response.body
        start_response(STATUS_LINES[response.status], headers)
        if body is None:
            return []
        if type(body) is bytes:
            return [body]
        streams = self.engine.streams
        if type(body) is FileSpan:
            if body.whole:
                # Servers without sendfile read blocks through the file object, each one
                # taken from the streaming budget.
                wrapper = environ.get("wsgi.file_wrapper", FileWrapper)
                bounded = BoundedFile(body.handle, body.length, streams.lease())
                return wrapper(bounded, streams.max_block)  # type: ignore[no-any-return]
            return Spans(body.handle, [(body.offset, body.length, b"")], b"", streams.lease())
        # FileSpans: a multipart body (HandedPath is only for transports offering pathsend).
        return Spans(body.handle, list(body.parts), body.tail, streams.lease())  # type: ignore[union-attr]
