"""A minimal HTTP/1.1 client over raw sockets, sync and asyncio.

Real clients (httpx, curl without ``--path-as-is``) normalise ``..`` away and decode
``Content-Encoding``; hostile-input and byte-for-byte checks need the request target sent
exactly as written and the response bytes exactly as received.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["RawResponse", "build_request", "fetch", "read_response_async"]


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    head: bytes  # the status line and header block, as received

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in reversed(self.headers):
            if key.lower() == lowered:
                return value
        return None

    @property
    def raw(self) -> bytes:
        return self.head + self.body


def build_request(
    method: str,
    target: str,
    headers: Mapping[str, str] | None = None,
    *,
    close: bool = False,
) -> bytes:
    """Serialise a request; ``target`` goes on the wire verbatim (UTF-8 for non-ASCII)."""
    lines = [b"Host: 127.0.0.1"]
    lines.extend(f"{name}: {value}".encode("latin-1") for name, value in (headers or {}).items())
    if close:
        lines.append(b"Connection: close")
    start = method.encode("ascii") + b" " + target.encode("utf-8") + b" HTTP/1.1"
    return b"\r\n".join([start, *lines]) + b"\r\n\r\n"


def _parse_head(head: bytes) -> tuple[int, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name, value.strip(" \t")))
    return status, headers


def _has_no_body(method: str, status: int) -> bool:
    return method == "HEAD" or status in {204, 304} or 100 <= status < 200


def _length(headers: list[tuple[str, str]]) -> int | None:
    for name, value in headers:
        if name.lower() == "content-length":
            return int(value)
    return None


def _chunked(headers: list[tuple[str, str]]) -> bool:
    return any(
        name.lower() == "transfer-encoding" and "chunked" in value.lower()
        for name, value in headers
    )


def fetch(
    port: int,
    target: str,
    headers: Mapping[str, str] | None = None,
    *,
    method: str = "GET",
    timeout: float = 30.0,
) -> RawResponse:
    """One request on a fresh connection (``Connection: close``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(build_request(method, target, headers, close=True))
        reader = sock.makefile("rb")
        try:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = reader.readline()
                if not line:
                    raise ConnectionError(f"connection closed in the head: {head!r}")
                head += line
            status, parsed = _parse_head(head)
            if _has_no_body(method, status):
                return RawResponse(status, parsed, b"", head)
            if _chunked(parsed):
                return RawResponse(status, parsed, _read_chunked_sync(reader), head)
            length = _length(parsed)
            body = reader.read() if length is None else reader.read(length)
            return RawResponse(status, parsed, body, head)
        finally:
            reader.close()


def _read_chunked_sync(reader: BinaryIO) -> bytes:
    body = b""
    while True:
        size = int(reader.readline().split(b";", 1)[0], 16)
        if size == 0:
            while reader.readline() not in {b"\r\n", b""}:
                pass
            return body
        chunk = reader.read(size + 2)
        if len(chunk) != size + 2:
            raise ConnectionError("connection closed in a chunk")
        body += chunk[:size]


async def read_response_async(reader: asyncio.StreamReader, method: str) -> RawResponse:
    """Read one response from a keep-alive connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    status, parsed = _parse_head(head)
    if _has_no_body(method, status):
        return RawResponse(status, parsed, b"", head)
    if _chunked(parsed):
        return RawResponse(status, parsed, await _read_chunked_async(reader), head)
    length = _length(parsed)
    body = await (reader.read() if length is None else reader.readexactly(length))
    return RawResponse(status, parsed, body, head)


async def _read_chunked_async(reader: asyncio.StreamReader) -> bytes:
    body = b""
    readline: Callable[[], Awaitable[bytes]] = reader.readline
    while True:
        size = int((await readline()).split(b";", 1)[0], 16)
        if size == 0:
            while (await readline()) not in {b"\r\n", b""}:
                pass
            return body
        body += await reader.readexactly(size)
        await reader.readexactly(2)
