"""``watch = true``: real filesystem events (watchfiles) keep the start-up index current.

Every test changes files on disk and waits for the running watcher thread to apply the
events; nothing is fed to the engine by hand. Parametrised over WSGI and ASGI.
"""

from __future__ import annotations

import asyncio
import errno
import gzip
import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest

from servestatic.config import ConfigError, Settings, load_settings
from servestatic.serve import watch as _watch
from servestatic.serve.engine import Engine
from tests.client import Response, Server, make_server
from tests.conftest import write

TEXT = b"a report line that compresses well\n" * 64


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> float:
    """Seconds until ``predicate()`` holds (fails the test after ``timeout``)."""
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            pytest.fail(f"not within {timeout} s")
        time.sleep(0.005)
    return time.perf_counter() - start


@pytest.fixture
def watched(adapter: str, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """``watched(**settings)``: a standalone app over ``tmp_path / "root"`` with watching on,
    its watcher ready; every watcher is stopped after the test."""
    servers: list[Server] = []

    def factory(**options: Any) -> Server:
        options.setdefault("root", tmp_path / "root")
        (tmp_path / "root").mkdir(exist_ok=True)
        server = make_server(adapter, None, settings=Settings(watch=True, **options))
        watcher = server.app.engine.watcher
        assert watcher is not None
        assert watcher.ready.wait(10)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.app.engine.watcher.stop()
        assert not server.app.engine.watcher.running


def status(server: Server, path: str, **headers: str) -> int:
    return server.get(path, headers).status


def test_a_new_file_is_served_within_a_second(watched: Any, tmp_path: Path) -> None:
    server = watched()
    assert status(server, "/report.txt") == 404
    write(tmp_path / "root" / "report.txt", TEXT)
    elapsed = wait_for(lambda: status(server, "/report.txt") == 200)
    assert elapsed < 1.0
    response = server.get("/report.txt")
    assert response.body == TEXT
    assert response.header("ETag")


def test_a_replaced_file_gets_a_new_etag_and_its_bytes(watched: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "root" / "data.txt", b"version one")
    server = watched()
    first = server.get("/data.txt")
    assert first.body == b"version one"
    # Written elsewhere and renamed over the old file, as deploy tools do.
    write(tmp_path / "new.txt", b"version two, longer")
    os.replace(tmp_path / "new.txt", path)
    wait_for(lambda: server.get("/data.txt").body == b"version two, longer")
    second = server.get("/data.txt")
    assert second.header("ETag") != first.header("ETag")
    # The old validator no longer matches: a revalidation gets the new bytes.
    again = server.get("/data.txt", {"If-None-Match": first.header("ETag") or ""})
    assert again.status == 200


def test_a_deleted_file_is_gone(watched: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "root" / "old.txt", b"old")
    server = watched()
    assert status(server, "/old.txt") == 200
    path.unlink()
    wait_for(lambda: status(server, "/old.txt") == 404)
    assert "/old.txt" not in server.app.engine.files


def test_a_renamed_file_moves(watched: Any, tmp_path: Path) -> None:
    write(tmp_path / "root" / "a" / "first.txt", b"moving")
    server = watched()
    (tmp_path / "root" / "b").mkdir()
    os.rename(tmp_path / "root" / "a" / "first.txt", tmp_path / "root" / "b" / "second.txt")
    wait_for(lambda: status(server, "/b/second.txt") == 200)
    wait_for(lambda: status(server, "/a/first.txt") == 404)


def test_a_renamed_directory_moves_every_file(watched: Any, tmp_path: Path) -> None:
    for number in range(20):
        write(tmp_path / "root" / "v1" / "deep" / f"{number}.txt", str(number))
    server = watched()
    os.rename(tmp_path / "root" / "v1", tmp_path / "root" / "v2")
    wait_for(lambda: all(status(server, f"/v2/deep/{n}.txt") == 200 for n in range(20)))
    wait_for(lambda: all(status(server, f"/v1/deep/{n}.txt") == 404 for n in range(20)))


def _index_of(engine: Engine) -> dict[str, object]:
    """What an index answers, comparable between two engines: each URL's kind and, for a
    file, the files and codings it is served from with their validators."""
    described: dict[str, object] = {}
    for url, entry in engine.files.items():
        representations = getattr(entry, "representations", None)
        if representations is None:
            described[url] = type(entry).__name__
        else:
            described[url] = [(r.coding, r.path, r.size, r.etag) for r in representations]
    return described


def test_a_tree_moved_in_is_indexed_as_start_up_indexes_it(
    watched: Any, adapter: str, tmp_path: Path
) -> None:
    # Prepared outside the root, then renamed in at once (one event for the directory):
    # the watcher walks it with the start-up walk, checks and all.
    tree = tmp_path / "staging" / "release"
    write(tree / "plain.txt", TEXT)
    write(tree / "deep" / "er" / "note.txt", TEXT)
    write(tree / "small.txt.gz", gzip.compress(TEXT))  # a variant without its file
    write(tree / "page.html", TEXT)
    write(tree / "page.html.br", brotli.compress(TEXT))  # smaller: used
    write(tree / "tiny.txt", b"x")
    write(tree / "tiny.txt.gz", gzip.compress(b"x" * 4) + b"padding")  # larger: not used
    write(tree / ".env", b"SECRET=1")
    write(tree / ".git" / "config", b"[core]")
    write(tree / "bad:name.txt", b"no URL can name it")
    secret = write(tmp_path / "secret.txt", b"outside")
    os.symlink(secret, tree / "leak.txt")
    os.symlink(tmp_path / "staging", tree / "outside-dir")
    os.symlink("..", tree / "deep" / "er" / "loop")  # back to an ancestor
    os.symlink("plain.txt", tree / "alias.txt")  # inside the root
    write(tmp_path / "root" / "before.txt", b"before")
    server = watched()
    os.rename(tree, tmp_path / "root" / "release")
    wait_for(lambda: status(server, "/release/plain.txt") == 200)
    wait_for(lambda: status(server, "/release/alias.txt") == 200)
    fresh = make_server(adapter, None, settings=Settings(root=tmp_path / "root"))
    assert _index_of(server.app.engine) == _index_of(fresh.app.engine)
    for hidden in ("/release/.env", "/release/.git/config", "/release/leak.txt"):
        assert status(server, hidden) == 404
    assert status(server, "/release/deep/er/loop/er/note.txt") == status(
        fresh, "/release/deep/er/loop/er/note.txt"
    )
    # A tree moved into a hidden directory stays hidden.
    shutil.copytree(tmp_path / "root" / "release", tmp_path / "staging" / "copy", symlinks=True)
    os.rename(tmp_path / "staging" / "copy", tmp_path / "root" / ".cache")
    write(tmp_path / "root" / "after.txt", b"a later event")
    wait_for(lambda: status(server, "/after.txt") == 200)
    assert not [url for url in server.app.engine.files if url.startswith("/.cache")]


def test_a_symlink_out_of_the_root_is_refused(watched: Any, tmp_path: Path) -> None:
    secret = write(tmp_path / "secret.txt", b"outside")
    server = watched()
    os.symlink(secret, tmp_path / "root" / "leak.txt")
    write(tmp_path / "root" / "after.txt", b"a later event")  # the link's event came first
    wait_for(lambda: status(server, "/after.txt") == 200)
    assert status(server, "/leak.txt") == 404
    # A link that stays inside the root is served, as at start-up.
    os.symlink(tmp_path / "root" / "after.txt", tmp_path / "root" / "inside.txt")
    wait_for(lambda: status(server, "/inside.txt") == 200)


def test_a_new_dotfile_stays_hidden(watched: Any, tmp_path: Path) -> None:
    server = watched()
    write(tmp_path / "root" / ".env", b"SECRET=1")
    write(tmp_path / "root" / ".git" / "config", b"[core]")
    write(tmp_path / "root" / "visible.txt", b"shown")
    wait_for(lambda: status(server, "/visible.txt") == 200)
    assert status(server, "/.env") == 404
    assert status(server, "/.git/config") == 404


def test_a_variant_is_used_only_when_smaller(watched: Any, tmp_path: Path) -> None:
    write(tmp_path / "root" / "big.txt", TEXT)
    write(tmp_path / "root" / "tiny.txt", b"ab")
    server = watched()
    assert server.get("/big.txt", {"Accept-Encoding": "br"}).header("Content-Encoding") is None
    write(tmp_path / "root" / "big.txt.br", brotli.compress(TEXT))
    wait_for(
        lambda: server.get("/big.txt", {"Accept-Encoding": "br"}).header("Content-Encoding") == "br"
    )
    assert server.get("/big.txt", {"Accept-Encoding": "br"}).body == brotli.compress(TEXT)
    # A gzip of two bytes is larger than they are: never sent, and not served by itself.
    write(tmp_path / "root" / "tiny.txt.gz", gzip.compress(b"ab"))
    write(tmp_path / "root" / "marker.txt", b"after the variant")
    wait_for(lambda: status(server, "/marker.txt") == 200)
    tiny = server.get("/tiny.txt", {"Accept-Encoding": "gzip"})
    assert tiny.header("Content-Encoding") is None
    assert tiny.body == b"ab"
    assert status(server, "/tiny.txt.gz") == 404
    # The variant removed: the identity file again.
    (tmp_path / "root" / "big.txt.br").unlink()
    wait_for(
        lambda: server.get("/big.txt", {"Accept-Encoding": "br"}).header("Content-Encoding") is None
    )


def test_rules_presets_and_immutable_names_apply_to_new_files(watched: Any, tmp_path: Path) -> None:
    server = watched(
        rules=[{"match": "/reports/*.csv", "cache_control": "no-store", "headers": {"X-R": "1"}}],
        presets=["vite"],
    )
    write(tmp_path / "root" / "reports" / "q1.csv", b"a,b\n")
    write(tmp_path / "root" / "assets" / "index-AbCd1234.js", b"vite();")
    write(tmp_path / "root" / "app.0123456789ab.js", b"hashed();")
    write(tmp_path / "root" / "plain.js", b"plain();")
    wait_for(
        lambda: (
            all(
                status(server, url) == 200
                for url in ("/reports/q1.csv", "/assets/index-AbCd1234.js", "/app.0123456789ab.js")
            )
            and status(server, "/plain.js") == 200
        )
    )
    report = server.get("/reports/q1.csv")
    assert report.header("Cache-Control") == "no-store"
    assert report.header("X-R") == "1"
    assert "immutable" in (server.get("/assets/index-AbCd1234.js").header("Cache-Control") or "")
    assert "immutable" in (server.get("/app.0123456789ab.js").header("Cache-Control") or "")
    assert "immutable" not in (server.get("/plain.js").header("Cache-Control") or "")


def test_a_deny_rule_hides_a_new_file(watched: Any, tmp_path: Path) -> None:
    server = watched(rules=[{"match": "/**/*.bak", "deny": True}])
    write(tmp_path / "root" / "site.bak", b"backup")
    write(tmp_path / "root" / "site.txt", b"site")
    wait_for(lambda: status(server, "/site.txt") == 200)
    assert status(server, "/site.bak") == 404


def test_index_files_and_clean_urls_follow_the_disk(watched: Any, tmp_path: Path) -> None:
    server = watched(index_file=True, clean_urls=True)
    write(tmp_path / "root" / "docs" / "index.html", b"<h1>docs</h1>")
    write(tmp_path / "root" / "about.html", b"<h1>about</h1>")
    wait_for(lambda: status(server, "/docs/") == 200 and status(server, "/about") == 200)
    assert server.get("/docs/").body == b"<h1>docs</h1>"
    assert status(server, "/docs") in {301, 302, 308}
    assert status(server, "/about.html") in {301, 302, 308}
    (tmp_path / "root" / "docs" / "index.html").unlink()
    (tmp_path / "root" / "about.html").unlink()
    wait_for(lambda: status(server, "/docs/") == 404 and status(server, "/about") == 404)
    assert status(server, "/docs") == 404


def test_a_file_of_a_later_root_shadows_and_uncovers(watched: Any, tmp_path: Path) -> None:
    write(tmp_path / "first" / "shared.txt", b"first")
    (tmp_path / "second").mkdir()
    server = watched(root=None, roots=[{"path": tmp_path / "first"}, {"path": tmp_path / "second"}])
    assert server.get("/shared.txt").body == b"first"
    write(tmp_path / "second" / "shared.txt", b"second")
    wait_for(lambda: server.get("/shared.txt").body == b"second")
    (tmp_path / "second" / "shared.txt").unlink()
    wait_for(lambda: server.get("/shared.txt").body == b"first")


def test_the_spa_fallback_and_404_page_follow_the_disk(watched: Any, tmp_path: Path) -> None:
    server = watched(spa={"fallback": "/index.html"}, errors={"not_found": "/404.html"})
    assert status(server, "/some/route") == 404
    write(tmp_path / "root" / "index.html", b"<div id=app>")
    wait_for(lambda: status(server, "/some/route") == 200)
    assert server.get("/some/route").body == b"<div id=app>"


def test_content_etags_follow_the_bytes_not_a_stale_manifest(watched: Any, tmp_path: Path) -> None:
    write(tmp_path / "root" / "page.txt", b"one")
    server = watched(etag="content")
    before = server.get("/page.txt").header("ETag")
    write(tmp_path / "root" / "page.txt", b"two")
    wait_for(lambda: server.get("/page.txt").body == b"two")
    assert server.get("/page.txt").header("ETag") not in {None, before}


def test_requests_make_no_filesystem_calls(
    watched: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "root" / "a.txt", b"a")
    server = watched()
    server.get("/a.txt")  # the descriptor and memory caches are filled
    calls: list[str] = []
    for name in ("stat", "lstat", "listdir", "scandir"):
        original = getattr(os, name)

        def spy(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            if threading.current_thread() is threading.main_thread():
                calls.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(os, name, spy)
    assert status(server, "/a.txt") == 200
    assert status(server, "/missing.txt") == 404
    monkeypatch.undo()
    assert calls == []


def test_a_burst_of_10000_files_is_applied_in_batches(watched: Any, tmp_path: Path) -> None:
    write(tmp_path / "root" / "steady.txt", b"steady")
    server = watched()
    watcher = server.app.engine.watcher
    failures: list[int] = []
    done = threading.Event()

    slowest = [0.0]

    def hammer() -> None:
        # Requests racing the update get the old or the new entry: never an error.
        while not done.is_set():
            began = time.perf_counter()
            code = status(server, "/steady.txt")
            slowest[0] = max(slowest[0], time.perf_counter() - began)
            if code != 200:
                failures.append(code)
            probe = status(server, "/burst/d7/f7.txt")
            if probe not in {200, 404}:
                failures.append(probe)
            # A server's request thread waits on its socket between requests (and so lets
            # the watcher run); a loop that never waits would time the GIL, not the watcher.
            time.sleep(0.0002)

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        # A git checkout: another process writes the 10,000 files (in this process the
        # writer would compete for the GIL with the request loop above, and the test would
        # time the writer).
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import pathlib, sys\n"
                "for d in range(100):\n"
                "    folder = pathlib.Path(sys.argv[1]) / f'd{d}'\n"
                "    folder.mkdir(parents=True)\n"
                "    for n in range(100):\n"
                "        (folder / f'f{n}.txt').write_bytes(b'x')\n",
                str(tmp_path / "root" / "burst"),
            ],
            check=True,
        )
        written = time.perf_counter()
        engine = server.app.engine
        wait_for(
            lambda: sum(1 for url in list(engine.files) if url.startswith("/burst/")) == 10_000,
            timeout=60,
        )
        settled = time.perf_counter() - written
    finally:
        done.set()
        thread.join()
    assert failures == []
    # Applied in steps (of at most BATCH event paths; a directory's walk is one path),
    # each short enough for requests to interleave.
    assert watcher.batches >= 2
    # Alone this settles in a fraction of a second (benchmarks/watch.py); the bound leaves
    # room for a loaded CI machine.
    assert settled < 30
    # No request waits for a batch: the longest one took a fraction of a second.
    assert slowest[0] < 0.5
    assert server.get("/burst/d99/f99.txt").body == b"x"


def test_a_removed_root_is_logged_and_watched_again_when_back(
    watched: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path / "stays" / "kept.txt", b"kept")
    write(tmp_path / "goes" / "old.txt", b"old")
    server = watched(root=None, roots=[{"path": tmp_path / "stays"}, {"path": tmp_path / "goes"}])
    caplog.set_level(logging.WARNING, "servestatic")
    shutil.rmtree(tmp_path / "goes")
    wait_for(lambda: "was removed" in caplog.text)
    assert status(server, "/kept.txt") == 200
    # The other root is still watched.
    write(tmp_path / "stays" / "more.txt", b"more")
    wait_for(lambda: status(server, "/more.txt") == 200)
    # The root back (a new release): indexed again and watched.
    write(tmp_path / "goes" / "new.txt", b"new")
    wait_for(lambda: status(server, "/new.txt") == 200)
    write(tmp_path / "goes" / "newer.txt", b"newer")
    wait_for(lambda: status(server, "/newer.txt") == 200)
    assert status(server, "/old.txt") == 404


def test_a_switched_release_link_is_indexed_again(watched: Any, tmp_path: Path) -> None:
    write(tmp_path / "r1" / "app.txt", b"one")
    os.symlink(tmp_path / "r1", tmp_path / "current")
    server = watched(root=tmp_path / "current")
    write(tmp_path / "r2" / "app.txt", b"two")
    os.symlink(tmp_path / "r2", tmp_path / "next")
    os.replace(tmp_path / "next", tmp_path / "current")  # an atomic switch
    wait_for(lambda: server.get("/app.txt").body == b"two")


def test_the_inotify_limit_falls_back_to_polling(
    watched: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = _watch.Watcher._notify
    refused: list[bool] = []

    def limited(self: _watch.Watcher, roots: list[str]) -> Any:
        if not self.polling:
            refused.append(True)
            raise OSError(errno.ENOSPC, "OS file watch limit reached")
        return original(self, roots)

    monkeypatch.setattr(_watch.Watcher, "_notify", limited)
    caplog.set_level(logging.ERROR, "servestatic")
    server = watched()
    assert refused == [True]
    assert "inotify watch limit" in caplog.text
    assert server.app.engine.watcher.polling
    write(tmp_path / "root" / "polled.txt", b"polled")
    wait_for(lambda: status(server, "/polled.txt") == 200)


def test_a_failing_batch_is_logged_and_watching_goes_on(
    watched: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = watched()
    engine = server.app.engine
    original = Engine.apply_changes
    failed: list[bool] = []

    def once(self: Engine, paths: Any, *, resync: bool = False) -> int:
        if not failed:
            failed.append(True)
            raise RuntimeError("boom")
        return original(self, paths, resync=resync)

    monkeypatch.setattr(Engine, "apply_changes", once)
    caplog.set_level(logging.ERROR, "servestatic")
    write(tmp_path / "root" / "first.txt", b"1")
    wait_for(lambda: bool(failed))
    write(tmp_path / "root" / "second.txt", b"2")
    wait_for(lambda: status(server, "/second.txt") == 200)
    assert "re-indexing" in caplog.text
    assert engine.watcher is not None
    assert engine.watcher.running


def test_lifespan_shutdown_stops_the_watcher(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    server = make_server("asgi", None, settings=Settings(root=tmp_path / "root", watch=True))
    watcher = server.app.engine.watcher
    assert watcher.ready.wait(10)
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(server.app({"type": "lifespan"}, receive, send))
    assert sent[-1] == {"type": "lifespan.shutdown.complete"}
    wait_for(lambda: not watcher.running, timeout=5)


def test_a_collected_engine_ends_its_watcher(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    engine = Engine(Settings(root=tmp_path / "root", watch=True), standalone=True)
    watcher = engine.watcher
    assert watcher is not None
    assert watcher.ready.wait(10)
    del engine
    wait_for(lambda: not watcher.running, timeout=5)


def test_a_forked_child_starts_its_own_watcher(tmp_path: Path) -> None:
    """gunicorn --preload: the engine (and its watcher) is built before the fork."""
    (tmp_path / "root").mkdir()
    engine = Engine(Settings(root=tmp_path / "root", watch=True), standalone=True)
    assert engine.watcher is not None
    assert engine.watcher.ready.wait(10)
    parent = engine.watcher.pid
    reader, writer = os.pipe()
    with warnings.catch_warnings():
        # Python warns (in the parent) that the process runs threads: the child uses only
        # the watcher it starts itself.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            watcher = engine.watcher
            if watcher.pid == os.getpid() and watcher.pid != parent and watcher.ready.wait(10):
                (tmp_path / "root" / "child.txt").write_bytes(b"child")
                deadline = time.monotonic() + 10
                while "/child.txt" not in engine.files and time.monotonic() < deadline:
                    time.sleep(0.01)
                code = 0 if "/child.txt" in engine.files else 2
        finally:
            os.write(writer, bytes([code]))
            os._exit(0)
    os.close(writer)
    result = os.read(reader, 1)
    os.waitpid(pid, 0)
    os.close(reader)
    engine.watcher.stop()
    assert result == b"\x00"


# --------------------------------------------------------------------------- configuration


def test_watch_from_the_environment_and_toml(tmp_path: Path) -> None:
    loaded = load_settings({}, environ={"SERVESTATIC_WATCH": "true"}, cwd=tmp_path)
    assert loaded.settings.watch is True
    assert loaded.source_of("watch") == "SERVESTATIC_WATCH"
    (tmp_path / "servestatic.toml").write_text("watch = true\n")
    from_file = load_settings({}, environ={}, cwd=tmp_path)
    assert from_file.settings.watch is True


def test_watch_with_autorefresh_is_an_error_naming_the_source(tmp_path: Path) -> None:
    environ = {"SERVESTATIC_WATCH": "true", "SERVESTATIC_AUTOREFRESH": "true"}
    with pytest.raises(ConfigError) as raised:
        load_settings({}, environ=environ, cwd=tmp_path).settings  # noqa: B018
    text = str(raised.value)
    assert "SERVESTATIC_WATCH" in text
    assert "autorefresh has no index" in text
    (tmp_path / "servestatic.toml").write_text("watch = true\nautorefresh = true\n")
    with pytest.raises(ConfigError, match=r"servestatic\.toml.*watch"):
        load_settings({}, environ={}, cwd=tmp_path).settings  # noqa: B018


def test_watch_without_the_extra_is_a_start_up_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=r"servestatic\[watch\]"):
        Engine(Settings(root=tmp_path, watch=True), standalone=True)


def test_watch_is_off_by_default_and_starts_no_thread(tmp_path: Path) -> None:
    engine = Engine(Settings(root=tmp_path), standalone=True)
    assert engine.watcher is None
    assert not any(thread.name == "servestatic-watch" for thread in threading.enumerate())


def test_response_bodies_are_whole(watched: Any, tmp_path: Path) -> None:
    """A file replaced in place (not renamed) is served whole once the event is applied."""
    path = write(tmp_path / "root" / "grow.txt", b"short")
    server = watched()
    path.write_bytes(b"a much longer body than before")
    wait_for(lambda: server.get("/grow.txt").body == b"a much longer body than before")
    response: Response = server.get("/grow.txt")
    assert response.header("Content-Length") == str(len(b"a much longer body than before"))
