"""Symlinks that escape the root: files, directories, index files and precompressed variants,
present at start-up or swapped in afterwards. Both adapters, both index modes."""

from __future__ import annotations

import gzip
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from servestatic.cli import main
from tests.client import Response, call_asgi
from tests.security.conftest import MakeServer
from tests.security.hostile import (
    JS,
    Hostile,
    assert_clean,
    assert_healthy,
    build_with_warnings,
    send,
)

ENCODINGS = [
    "br",
    "zstd",
    "br, zstd",
    "zstd;q=1, br;q=1, gzip;q=0.1",
    "*",
    "br;q=1, identity;q=0.001",
    "gzip, deflate, br, zstd",
    "BR",
    "x-gzip, br",
]


@pytest.mark.parametrize("accept", ENCODINGS)
def test_escaping_variant_is_never_negotiated(
    make_hostile_server: MakeServer, hostile: Hostile, accept: str
) -> None:
    """aiohttp CVE-2024-42367: ``app.js.br`` and ``app.js.zst`` link out of the root and are
    smaller than ``app.js``, so they would win negotiation if they were not refused."""
    server = make_hostile_server(hostile)
    response = send(server, "/app.js", {"Accept-Encoding": accept})
    assert_clean(response, hostile.markers, label=accept)
    assert response.status == 200
    coding = response.header("content-encoding")
    assert coding in {None, "gzip"}
    assert (gzip.decompress(response.body) if coding == "gzip" else response.body) == JS
    assert response.header("vary") is not None  # the genuine gzip variant still varies


def test_escaping_variant_with_only_it_acceptable_is_406(
    make_hostile_server: MakeServer, hostile: Hostile
) -> None:
    """If the client accepts only the refused coding, the answer is 406, not the secret."""
    server = make_hostile_server(hostile)
    response = send(server, "/app.js", {"Accept-Encoding": "br, identity;q=0, *;q=0"})
    assert response.status == 406
    assert response.body == b""
    assert_clean(response, hostile.markers)


def test_inside_symlink_is_served(make_hostile_server: MakeServer, hostile: Hostile) -> None:
    """A link that stays inside the root is ordinary content."""
    server = make_hostile_server(hostile)
    response = send(server, "/inside.js")
    assert response.status == 200
    assert response.body == JS


def test_broken_links_and_loops_are_reported_not_fatal(hostile: Hostile, adapter: str) -> None:
    """ServeStatic crashes on a broken link at start-up; the index reports and skips it."""
    server, caught = build_with_warnings(adapter, "static", hostile)
    messages = "\n".join(caught)
    assert f"{hostile.root / 'broken.txt'}: broken symlink" in messages
    assert f"{hostile.root / 'loop'}: directory loop" in messages
    assert send(server, "/broken.txt").status == 404
    assert_healthy(server)


def test_each_skipped_link_is_reported_once(hostile: Hostile, adapter: str) -> None:
    """Issue 13: a variant link out of the root was reported twice (by the directory walk
    and again when attached to its file), from two code locations, so Python's
    once-per-location filter printed both."""
    _, caught = build_with_warnings(adapter, "static", hostile)
    counts = Counter(caught)
    assert counts, "the hostile tree must produce start-up warnings"
    assert {message: count for message, count in counts.items() if count > 1} == {}
    for name in ("app.js.br", "app.js.zst", "link.txt"):
        assert sum(str(hostile.root / name) in message for message in caught) == 1, name


def test_check_prints_each_skipped_link_once(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(hostile.base)
    assert main(["check", "--config", _config(hostile)]) == 0
    out, err = capsys.readouterr()
    lines = [line for line in (out + err).splitlines() if "Skipping" in line]
    assert lines
    assert len(lines) == len(set(lines)), lines
    assert sum("app.js.br" in line for line in lines) == 1


def _config(hostile: Hostile) -> str:
    path = hostile.base / "check.toml"
    path.write_text(f'root = "{hostile.root}"\n', encoding="utf-8")
    return str(path)


def _swap_in_symlink(path: Path, target: Path) -> None:
    """Atomically replace ``path`` with a symlink to ``target`` (as a deploy tool would)."""
    temporary = path.with_name(path.name + ".swap")
    os.symlink(target, temporary)
    os.replace(temporary, path)


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_file_swapped_for_an_escaping_symlink_after_start_up(
    make_hostile_server: MakeServer, fresh_hostile: Hostile, warm: bool
) -> None:
    """The index was built when ``docs/index.html`` was a file; it is then replaced by a link
    to a secret. The changed file is noticed when opened (size/mtime), the entry is rebuilt
    with the containment check, and the link is refused. ``warm``: the old bytes were
    already in the memory cache (serving them is a consistent, old answer, never the link).
    """
    tree = fresh_hostile
    server = make_hostile_server(tree)
    if warm:
        assert send(server, "/docs/").body == b"<h1>docs</h1>"
    _swap_in_symlink(tree.root / "docs" / "index.html", tree.base / "static_private/index.html")
    for request_target in ("/docs/", "/docs/index.html", "/docs"):
        response = send(server, request_target)
        assert_clean(response, tree.markers, label=request_target)
        if response.status == 200:
            assert response.body == b"<h1>docs</h1>"
    assert_healthy(server)


def test_variant_swapped_for_an_escaping_symlink_after_start_up(
    make_hostile_server: MakeServer, fresh_hostile: Hostile
) -> None:
    """The genuine ``app.js.gz`` becomes a link to a secret after start-up."""
    tree = fresh_hostile
    server = make_hostile_server(tree, settings=_no_memory_cache())
    _swap_in_symlink(tree.root / "app.js.gz", tree.base / "secret.txt")
    for _ in range(2):
        response = send(server, "/app.js", {"Accept-Encoding": "gzip"})
        assert_clean(response, tree.markers)
        assert response.status == 200
        assert response.header("content-encoding") is None
        assert response.body == JS


def test_directory_swapped_for_an_escaping_symlink_after_start_up(
    make_hostile_server: MakeServer, fresh_hostile: Hostile
) -> None:
    """``docs/`` becomes a link to ``static_private/`` (which has an ``index.html``)."""
    tree = fresh_hostile
    server = make_hostile_server(tree, settings=_no_memory_cache())
    (tree.root / "docs" / "index.html").unlink()
    (tree.root / "docs").rmdir()
    os.symlink(tree.base / "static_private", tree.root / "docs")
    for request_target in ("/docs/", "/docs", "/docs/index.html", "/docs/secret.txt"):
        response = send(server, request_target)
        assert_clean(response, tree.markers, label=request_target)
        assert response.status in {302, 404}, request_target
    assert_healthy(server)


def _no_memory_cache() -> object:
    from servestatic.config import Settings

    return Settings.model_validate({"memory_cache": {"max_file_size": 0}})


def _twin_of(secret: Path, path: Path, fill: bytes) -> None:
    """A file in the root with the secret's size and modification time."""
    info = secret.stat()
    path.write_bytes(fill * info.st_size)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


@pytest.mark.parametrize("request_kind", ["whole", "range", "pathsend"])
def test_swap_for_a_link_with_the_same_size_and_mtime_is_noticed(
    make_hostile_server: MakeServer, fresh_hostile: Hostile, request_kind: str
) -> None:
    """Size and mtime alone can be matched by someone who may write in the root and stat
    the target: the swapped-in link must still be noticed (its inode differs), and the
    rebuilt entry refuses it. Every way a body is read: whole, a range, pathsend."""
    tree = fresh_hostile
    secret = tree.base / "secret.txt"
    decoy = tree.root / "decoy.txt"
    _twin_of(secret, decoy, b"d")
    server = make_hostile_server(tree, settings=_no_memory_cache())
    headers = {"Range": "bytes=0-3"} if request_kind == "range" else {}
    extensions: dict[str, Any] | None = (
        {"http.response.pathsend": {}} if request_kind == "pathsend" else None
    )
    if request_kind == "pathsend" and server.kind != "asgi":
        extensions = None  # WSGI has no pathsend; its whole-file path is covered above

    def get() -> Response:
        if extensions is not None:
            return call_asgi(server.app, "/decoy.txt", headers=headers, extensions=extensions)
        return send(server, "/decoy.txt", headers)

    assert get().body.startswith(b"dddd")
    _swap_in_symlink(decoy, secret)
    assert (os.stat(decoy).st_size, os.stat(decoy).st_mtime_ns) == (
        secret.stat().st_size,
        secret.stat().st_mtime_ns,
    )
    for _ in range(2):
        response = get()
        assert_clean(response, tree.markers)
        assert response.status == 404
    assert_healthy(server)


def test_listed_file_learns_its_inode_on_first_open(tmp_path: Path) -> None:
    """Files listed by a manifest are not stat-ed at start-up (inode unknown): the first
    open records it, so a later same-size, same-mtime swap is noticed too."""
    from servestatic.config import Settings
    from servestatic.http.records import FileEntry
    from servestatic.serve.files import StaleFile, read_bytes
    from servestatic.serve.index import ScannedFile
    from servestatic.wsgi import ServeStatic

    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"s" * 64)
    listed = root / "listed.txt"
    _twin_of(outside, listed, b"d")
    info = listed.stat()
    app = ServeStatic(
        None, settings=Settings.model_validate({"memory_cache": {"max_file_size": 0}})
    )
    app.engine.add_files(
        [ScannedFile("/listed.txt", str(listed), info.st_size, info.st_mtime_ns, ())],
        root=str(root),
    )
    entry = app.engine.files["/listed.txt"]
    assert isinstance(entry, FileEntry)
    representation = entry.identity
    assert representation.inode == 0
    assert read_bytes(representation, 0, 4) == b"dddd"
    assert representation.inode == info.st_ino
    _swap_in_symlink(listed, outside)
    with pytest.raises(StaleFile):
        read_bytes(representation, 0, 4)
