"""WSGI adapter: translate ``environ`` into a request record and a plan into a response."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.util import FileWrapper

from servestatic._files import BoundedFile, Spans, StaleFile, open_representation, read_bytes
from servestatic._paths import decode_wsgi_path
from servestatic._records import STATUS_LINES, FileBody, Plan, request_from_environ
from servestatic._respond import NOT_FOUND, revalidate
from servestatic.base import ServeStaticBase

__all__ = ["ServeStatic"]

StartResponse = Callable[..., Any]
_CACHE_STATUS_HIT = ("Cache-Status", "servestatic; hit")


class ServeStatic(ServeStaticBase):
    """Serve static files in front of a WSGI application (or alone with ``application=None``)."""

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        get = environ.get
        path = decode_wsgi_path(get("PATH_INFO", ""))
        engine = self.engine
        if engine.passthrough and path not in engine.files and path:
            return self.application(environ, start_response)  # type: ignore[no-any-return]
        # PEP 3333 requires REQUEST_METHOD, but hand-built environs in tests often lack it:
        # "" is no method, which the core answers with 400 for a file and passes on otherwise.
        method = get("REQUEST_METHOD", "")
        raw_path = get("RAW_URI") or get("REQUEST_URI")
        if_none_match = get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:
            # A revalidation (what browsers and caches send back) is decided by the core
            # from the six values it depends on, before the other headers are read
            # (`environ` makes single headers cheap). Anything but a 304 goes through the
            # whole request record below.
            entry = engine.indexed(path, raw_path)
            if entry is not None:
                plan = revalidate(
                    entry,
                    method,
                    get("HTTP_ACCEPT_ENCODING"),
                    if_none_match,
                    get("HTTP_IF_MATCH"),
                    get("HTTP_IF_UNMODIFIED_SINCE"),
                    get("HTTP_ORIGIN"),
                )
                if plan is not None:
                    return self._send(plan, environ, start_response)
        # PATH_INFO is already below SCRIPT_NAME (the mount point); redirects need both.
        mount = get("SCRIPT_NAME") or ""
        request = request_from_environ(
            environ, method, path, raw_path, decode_wsgi_path(mount) if mount else ""
        )
        plan = engine.handle(request)
        if plan is None:
            return self._app(environ, start_response)
        try:
            return self._send(plan, environ, start_response)
        except StaleFile as stale:
            # Changed on disk since start-up: rebuild that entry, answer once more.
            engine.refresh(request.path, str(stale))
            plan = engine.handle(request)
            if plan is None:
                return self._app(environ, start_response)
            try:
                return self._send(plan, environ, start_response)
            except StaleFile:
                return self._app(environ, start_response)

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self.application is None:
            return self._send(NOT_FOUND, environ, start_response)
        result: Iterable[bytes] = self.application(environ, start_response)
        return result

    def _send(
        self, plan: Plan, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        headers = list(plan.headers.pairs)
        if plan.extra:
            headers.extend(plan.extra)
        body = plan.body
        status = STATUS_LINES[plan.status]
        if body is None:
            start_response(status, headers)
            return []
        if isinstance(body, bytes):
            start_response(status, headers)
            return [body]
        if isinstance(body, FileBody):
            representation = body.representation
            memory = self.engine.memory
            if memory.eligible(representation):
                data = memory.get(representation)
                if data is None:
                    data = memory.load(representation)
                elif memory.cache_status:
                    headers.append(_CACHE_STATUS_HIT)  # RFC 9211: this cache answered
                start_response(status, headers)
                if body.whole:
                    return [data]
                return [data[body.offset : body.offset + body.length]]
            if not body.whole and body.length <= memory.max_file_size:
                data = read_bytes(representation, body.offset, body.length)
                start_response(status, headers)
                return [data]
            handle = open_representation(representation)
            start_response(status, headers)
            streams = self.engine.streams
            if body.whole:
                # Servers with sendfile never call read(); the others read blocks through
                # the file object, each one taken from the streaming budget.
                wrapper = environ.get("wsgi.file_wrapper", FileWrapper)
                bounded = BoundedFile(handle, body.length, streams.lease())
                return wrapper(bounded, streams.max_block)  # type: ignore[no-any-return]
            return Spans(handle, [(body.offset, body.length, b"")], b"", streams.lease())
        handle = open_representation(body.representation)
        start_response(status, headers)
        return Spans(handle, list(body.parts), body.tail, self.engine.streams.lease())
