"""Files that change under a running server: deleted, truncated, grown, replaced, made
unreadable, turned into a directory or a FIFO, after start-up and while a body is being
sent. Both adapters, both index modes.

The rule: every answer is consistent, either a 200 whose headers describe exactly the
bytes sent (Content-Length, the size part of the ETag) with the bytes of a version the
file really had, or a clean 404. Never headers of one version with bytes of another, never
a second response start, never a leaked descriptor, never a hung worker.

Tests run as root, where ``chmod 000`` does not stop reads; "unreadable" is simulated by
making ``open()`` raise ``PermissionError`` for that one path (``monkeypatch``), which is
what the adapters see for a file they may not read.
"""

from __future__ import annotations

import builtins
import gzip
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.client import Response, Server
from tests.conftest import Serve
from tests.reliability.inprocess import open_fds, run_asgi, start_wsgi

SMALL = b"small file, kept in the memory cache\n" * 20
BIG = os.urandom(300 * 1024)  # more than one WSGI block (256 KiB)
LARGE = os.urandom(2 * 1024 * 1024 + 123)  # three ASGI blocks (1 MiB)
JS = b"export const answer = () => 42;\n" * 6000
DOCS = b"<h1>docs</h1>" + b"<p>text</p>" * 8000

NO_MEMORY = {"memory_cache": {"max_file_size": 0}}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (root / "small.txt").write_bytes(SMALL)
    (root / "big.bin").write_bytes(BIG)
    (root / "large.bin").write_bytes(LARGE)
    (root / "app.js").write_bytes(JS)
    (root / "app.js.gz").write_bytes(gzip.compress(JS, mtime=0))
    (root / "docs" / "index.html").write_bytes(DOCS)
    return root


def server_for(serve: Serve, root: Path, **settings: Any) -> Server:
    return serve(root, index_file=True, **settings)


_ETAG = re.compile(r'"([0-9a-f]+)-([0-9a-f]+)(?:-[a-z]+)?"\Z')


def assert_consistent(response: Response, *versions: bytes, decoded: bool = False) -> None:
    """A clean 404, or a 200 whose headers match the bytes, which are one real version."""
    if response.status == 404:
        assert response.body == b"Not Found"
        return
    assert response.status == 200, response.status
    body = response.body
    assert response.header("content-length") == str(len(body))
    etag = _ETAG.match(response.header("etag") or "")
    if etag is not None:
        assert int(etag.group(2), 16) == len(body)  # the ETag names this size
    if decoded and response.header("content-encoding") == "gzip":
        body = gzip.decompress(body)
    assert body in versions


def _rewrite(path: Path, data: bytes) -> None:
    """Replace a file atomically with new content and a new modification time."""
    temporary = path.with_name(path.name + ".new")
    temporary.write_bytes(data)
    info = path.stat()
    os.utime(temporary, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    os.replace(temporary, path)


class Unreadable:
    """``open()`` raises PermissionError for the given paths (root ignores ``chmod``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: set[str] = set()
        original = builtins.open

        def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, (str, os.PathLike)) and os.fspath(file) in self.paths:
                raise PermissionError(13, "Permission denied", os.fspath(file))
            return original(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", guarded)


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Unreadable:
    return Unreadable(monkeypatch)


# fault name → (apply(path, unreadable), what the file now holds or None when it is gone)
Fault = Callable[[Path, Unreadable], bytes | None]


def _deleted(path: Path, _: Unreadable) -> None:
    path.unlink()


def _truncated(path: Path, _: Unreadable) -> bytes:
    data = path.read_bytes()[: path.stat().st_size // 3]
    with open(path, "r+b") as handle:
        handle.truncate(len(data))
    return data


def _grown(path: Path, _: Unreadable) -> bytes:
    with open(path, "ab") as handle:
        handle.write(b"appended after start-up\n" * 100)
    return path.read_bytes()


def _replaced_same_size(path: Path, _: Unreadable) -> bytes:
    data = bytes(byte ^ 0xFF for byte in path.read_bytes())
    _rewrite(path, data)
    return data


def _replaced_bigger(path: Path, _: Unreadable) -> bytes:
    data = path.read_bytes() * 2
    _rewrite(path, data)
    return data


def _made_unreadable(path: Path, unreadable: Unreadable) -> None:
    unreadable.paths.add(str(path))


def _made_directory(path: Path, _: Unreadable) -> None:
    path.unlink()
    path.mkdir()


FAULTS: dict[str, Fault] = {
    "deleted": _deleted,
    "truncated": _truncated,
    "grown": _grown,
    "replaced-same-size": _replaced_same_size,
    "replaced-bigger": _replaced_bigger,
    "unreadable": _made_unreadable,
    "directory": _made_directory,
}
TARGETS = {
    "/big.bin": "big.bin",
    "/docs/": "docs/index.html",
    "/small.txt": "small.txt",
}


@pytest.mark.parametrize("url", list(TARGETS))
@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_file_changed_after_start_up(
    serve: Serve,
    tree: Path,
    unreadable: Unreadable,
    fault: str,
    url: str,
    warm: bool,
) -> None:
    """Without the memory cache: the new bytes (with new headers) or a clean 404."""
    server = server_for(serve, tree, **NO_MEMORY)
    path = tree / TARGETS[url]
    old = path.read_bytes()
    before = open_fds()
    if warm:
        assert server.get(url).body == old
    new = FAULTS[fault](path, unreadable)
    for _ in range(3):  # the first answer may rebuild the entry; later ones use it
        response = server.get(url)
        if new is None:
            assert response.status == 404
        else:
            assert response.status == 200
            assert response.body == new
        assert_consistent(response, *([] if new is None else [new]))
    unreadable.paths.clear()
    assert open_fds() == before


@pytest.mark.parametrize("fault", list(FAULTS))
def test_memory_cached_file_changed_after_start_up(
    serve: Serve, tree: Path, unreadable: Unreadable, fault: str
) -> None:
    """A small file already in the memory cache may keep answering with the bytes it had
    (a consistent, older version), or with the new ones, or 404; never a mix."""
    server = server_for(serve, tree)
    path = tree / "small.txt"
    assert server.get("/small.txt").body == SMALL
    new = FAULTS[fault](path, unreadable)
    for _ in range(3):
        assert_consistent(server.get("/small.txt"), SMALL, *([] if new is None else [new]))


@pytest.mark.parametrize("change", ["deleted", "replaced"])
def test_variant_changed_after_start_up(serve: Serve, tree: Path, change: str) -> None:
    """The gzip variant disappears or is rebuilt: negotiation follows the disk."""
    server = server_for(serve, tree, **NO_MEMORY)
    variant = tree / "app.js.gz"
    new_js = JS.replace(b"42", b"43")
    if change == "deleted":
        variant.unlink()
    else:
        _rewrite(tree / "app.js", new_js)
        _rewrite(variant, gzip.compress(new_js, mtime=0))
    for _ in range(3):
        response = server.get("/app.js", {"Accept-Encoding": "gzip"})
        assert_consistent(response, JS, new_js, decoded=True)
        if change == "deleted":
            assert response.header("content-encoding") is None
        else:
            assert gzip.decompress(response.body) == new_js


@pytest.mark.timeout(60)
def test_file_replaced_by_a_fifo_does_not_block_a_worker(
    serve: Serve, tree: Path, adapter: str, mode: str
) -> None:
    """A FIFO where an indexed file was: ``open()`` on a FIFO waits for a writer, which
    would park the worker forever. The request runs in a thread that must finish on its
    own; if it does not within 10 s, the test opens the FIFO for writing (which ends a
    reader's wait) so that the failure is reported instead of hanging. (Watching for a
    reader instead is racy: the non-blocking open that refuses the FIFO is a reader too,
    for a moment.)"""
    server = server_for(serve, tree, **NO_MEMORY)
    path = tree / "big.bin"
    path.unlink()
    os.mkfifo(path)
    result: list[Response] = []
    worker = threading.Thread(target=lambda: result.append(server.get("/big.bin")), daemon=True)
    worker.start()
    worker.join(10)
    blocked = worker.is_alive()
    while worker.is_alive():
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: nobody is reading the FIFO yet
            worker.join(0.01)
            continue
        os.close(descriptor)  # EOF for the reader: the request can finish
        worker.join(0.01)
    worker.join()
    assert not blocked, f"{adapter}/{mode}: the request blocked opening a FIFO"
    assert result[0].status == 404


# ---------------------------------------------------------------------------- mid-body


def test_asgi_file_shrinks_while_streaming(tree: Path, mode: str) -> None:
    """After the first 1 MiB block the file is truncated. The response has started, so it
    cannot be replaced: exactly one ``http.response.start``, and only bytes of the file as
    it was (a short body that the server turns into an aborted connection)."""
    from servestatic.asgi import ServeStaticASGI

    app = ServeStaticASGI(None, tree, autorefresh=mode == "autorefresh")
    path = tree / "large.bin"

    def truncate(count: int) -> None:
        if count == 1:
            with open(path, "r+b") as handle:
                handle.truncate(1024 * 1024 + 10)

    before = open_fds()
    run = run_asgi(app, "/large.bin", on_body=truncate)
    assert len(run.starts) == 1, [m["type"] for m in run.messages]
    assert run.starts[0]["status"] == 200
    assert run.header("content-length") == str(len(LARGE))
    assert run.body == LARGE[: len(run.body)]
    assert len(run.body) < len(LARGE)
    assert open_fds() == before


def test_wsgi_file_grows_while_streaming(tree: Path, mode: str) -> None:
    """Appending to a file between ``start_response`` and the end of the body must not
    add bytes past Content-Length (PEP 3333 asks servers to clip, not all do)."""
    from servestatic.wsgi import ServeStatic

    app = ServeStatic(None, tree, autorefresh=mode == "autorefresh")
    before = open_fds()
    run = start_wsgi(app, "/big.bin")
    with open(tree / "big.bin", "ab") as handle:
        handle.write(b"X" * 50_000)
    try:
        body = b"".join(run.chunks())
    finally:
        run.close()
    assert run.headers["content-length"] == str(len(BIG))
    assert len(body) <= len(BIG)
    assert body == BIG[: len(body)]
    assert open_fds() == before


@pytest.mark.parametrize("ranged", [False, True], ids=["whole", "range"])
def test_wsgi_file_shrinks_while_streaming(tree: Path, mode: str, ranged: bool) -> None:
    """Truncation after the first block: the body stops early (an error for the server to
    abort the connection on, or a short body); it never continues with other bytes."""
    from servestatic.wsgi import ServeStatic

    app = ServeStatic(None, tree, autorefresh=mode == "autorefresh")
    before = open_fds()
    headers = {"Range": "bytes=10-"} if ranged else None
    run = start_wsgi(app, "/big.bin", headers)
    expected = BIG[10:] if ranged else BIG
    received = b""
    failed = False
    chunks = run.chunks()
    try:
        received += next(chunks)
        with open(tree / "big.bin", "r+b") as handle:
            handle.truncate(1000)
        for chunk in chunks:
            received += chunk
    except Exception:
        failed = True
    finally:
        run.close()
    assert received == expected[: len(received)]
    assert len(received) < len(expected) or not failed
    assert open_fds() == before


@pytest.mark.parametrize(
    ("headers", "offset"),
    [(None, 0), ({"Range": "bytes=5-"}, 5), ({"Range": "bytes=0-9,100-3000000"}, None)],
    ids=["whole", "range", "multipart"],
)
def test_asgi_client_disconnects_mid_body(
    tree: Path, mode: str, headers: dict[str, str] | None, offset: int | None
) -> None:
    """After the first block the client is gone: the adapter stops reading the file (no
    block after the disconnect is noticed) and closes it."""
    from servestatic.asgi import ServeStaticASGI

    app = ServeStaticASGI(None, tree, autorefresh=mode == "autorefresh")
    before = open_fds()
    run = run_asgi(app, "/large.bin", headers, disconnect_after=1)
    assert run.error is None
    assert len(run.starts) == 1
    assert 1 <= run.body_messages <= 2  # of 3+ blocks: the disconnect stopped the stream
    if offset is not None:
        assert run.body == LARGE[offset : offset + len(run.body)]
    assert open_fds() == before


@pytest.mark.parametrize("headers", [None, {"Range": "bytes=5-"}], ids=["whole", "range"])
def test_wsgi_client_disconnects_mid_body(
    tree: Path, mode: str, headers: dict[str, str] | None
) -> None:
    """The server calls ``close()`` on the iterable when the client goes away: the file
    is closed at once."""
    from servestatic.wsgi import ServeStatic

    app = ServeStatic(None, tree, autorefresh=mode == "autorefresh")
    before = open_fds()
    run = start_wsgi(app, "/big.bin", headers)
    chunks = run.chunks()  # kept referenced: only ``close()`` may close the file
    assert next(chunks)
    assert open_fds() == before + 1  # the file being sent
    run.close()
    assert open_fds() == before
    chunks.close()


def test_many_faults_leak_no_descriptor(serve: Serve, tree: Path, unreadable: Unreadable) -> None:
    """A burst of requests against files in every fault state: descriptors balance."""
    server = server_for(serve, tree, **NO_MEMORY)
    before = open_fds()
    _truncated(tree / "big.bin", unreadable)
    _made_unreadable(tree / "large.bin", unreadable)
    _deleted(tree / "docs" / "index.html", unreadable)
    for _ in range(50):
        for url in ("/big.bin", "/large.bin", "/docs/", "/app.js", "/missing"):
            server.get(url, {"Range": "bytes=0-10,20-30"})
            server.get(url, {"Accept-Encoding": "gzip"})
    unreadable.paths.clear()
    assert open_fds() == before
