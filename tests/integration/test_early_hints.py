"""103 Early Hints from a real server (issue 18).

Of the ASGI servers the tests use, hypercorn offers the ``http.response.early_hint``
extension, over HTTP/2 and HTTP/3 only (``hypercorn/protocol/http_stream.py``); uvicorn 0.55
offers it on HTTP/2 with its optional ``zttp`` protocol (``--http zttp``, not installed
here); granian does not offer it, and none does over HTTP/1.1. So the 103 is checked on
hypercorn over cleartext HTTP/2 (prior knowledge), spoken with the ``h2`` state machine.
"""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import pytest

from tests.conftest import write
from tests.live import BIN, clean_environment, free_port, wait_until_up


def _exchange(port: int, path: str) -> list[tuple[str, dict[str, str]]]:
    """(event kind, headers) of the informational and final responses to one GET."""
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        connection.initiate_connection()
        connection.send_headers(
            1,
            [(":method", "GET"), (":path", path), (":scheme", "http"),
             (":authority", f"127.0.0.1:{port}")],
            end_stream=True,
        )  # fmt: skip
        sock.sendall(connection.data_to_send())
        seen: list[tuple[str, dict[str, str]]] = []
        while not any(kind == "response" for kind, _ in seen):
            data = sock.recv(65536)
            assert data, "the server closed the connection"
            for event in connection.receive_data(data):
                if isinstance(
                    event, h2.events.InformationalResponseReceived | h2.events.ResponseReceived
                ):
                    kind = (
                        "informational"
                        if isinstance(event, h2.events.InformationalResponseReceived)
                        else "response"
                    )
                    headers = {
                        (name.decode() if isinstance(name, bytes) else name): (
                            value.decode() if isinstance(value, bytes) else value
                        )
                        for name, value in event.headers
                    }
                    seen.append((kind, headers))
            sock.sendall(connection.data_to_send())
    return seen


@pytest.mark.servers
def test_hypercorn_sends_the_pages_hints_as_103(tmp_path: Path) -> None:
    root = tmp_path / "site"
    write(root / "index.html", "<h1>page</h1>")
    write(root / "app.css", "h1{}")
    pages = {"index.html": {"links": [{"href": "app.css", "rel": "preload", "as": "style"}]}}
    write(root / "staticfiles.json", json.dumps({"paths": {}, "version": "1.0", "pages": pages}))
    port = free_port()
    environment = {
        **clean_environment(),
        "SERVESTATIC_ROOT": str(root),
        "SERVESTATIC_INDEX_FILE": "true",
    }
    process = subprocess.Popen(
        [str(BIN / "hypercorn"), "--bind", f"127.0.0.1:{port}", "servestatic.app:create_asgi()"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(port, process)
        page = _exchange(port, "/")
        asset = _exchange(port, "/app.css")
    finally:
        process.terminate()
        process.communicate(timeout=20)
    assert [kind for kind, _ in page] == ["informational", "response"]
    assert page[0][1][":status"] == "103"
    assert page[0][1]["link"] == "</app.css>; rel=preload; as=style"
    assert page[1][1][":status"] == "200"
    assert page[1][1]["link"] == "</app.css>; rel=preload; as=style"
    assert [kind for kind, _ in asset] == ["response"]  # no hints, no 103
