"""Ranges of big files are read from a descriptor held per file (``HeldDescriptors``).

What must hold: a replaced, changed or deleted file is noticed (the same answers as opening
it every time: an ``fstat`` of the held file per request, a ``stat`` of its name at most
once a second), the table stays bounded, and a descriptor is never closed while a reader
may use it (its number could be reused by another open: a reader would then send another
file's bytes). ``HandedFiles`` (pathsend) checks its descriptors the same way.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import servestatic.serve.files as files_module
from servestatic.config import Settings
from servestatic.http.records import Derived, Representation
from servestatic.serve.files import NAME_CHECK_SECONDS, HandedFiles, HeldDescriptors, StaleFile
from servestatic.wsgi import ServeStatic
from tests.client import call_wsgi
from tests.conftest import FakeClock, Serve, write

SIZE = 16 * 1024
#: Small enough that a 16 KiB file is "big" (not in the memory cache) and a 100-byte range
#: is read in one pread (deliver's step 2).
OPTIONS: dict[str, Any] = {"memory_cache": {"max_file_size": 1024}}


def _version(name: str, number: int) -> bytes:
    """A version of a file: bytes that name the file and the version at every offset."""
    unit = f"<{name}:{number:04d}>".encode()
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


def _replace(path: Path, data: bytes, mtime_ns: int) -> None:
    """Atomically, as a deploy does: a new inode at the name, never a partial file."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.utime(temporary, ns=(mtime_ns, mtime_ns))
    os.replace(temporary, path)


def _representation(path: Path) -> Representation:
    info = path.stat()
    return Representation(
        "identity",
        str(path),
        info.st_size,
        info.st_mtime_ns,
        None,
        derived=Derived(inode=info.st_ino, device=info.st_dev),
    )


def _held_file(tmp_path: Path) -> tuple[Path, Representation]:
    """A big file's first version and the representation indexed for it."""
    path = write(tmp_path / "big.bin", _version("big", 0))
    return path, _representation(path)


def _record(
    monkeypatch: pytest.MonkeyPatch,
    calls: list[str],
    name: str,
    result: Callable[[Any], Any] = lambda value: value,
) -> None:
    """Replace ``os.<name>`` by a wrapper that appends ``name`` to ``calls`` and returns
    ``result`` of the real call's value."""
    real = getattr(os, name)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return result(real(*args, **kwargs))

    monkeypatch.setattr(os, name, recorded)


def test_a_held_descriptor_serves_repeated_ranges_without_reopening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, representation = _held_file(tmp_path)
    held = HeldDescriptors()
    assert held.read(representation, 100, 50) == _version("big", 0)[100:150]
    opens: list[str] = []
    _record(monkeypatch, opens, "open")
    for offset in range(0, 1000, 100):
        assert held.read(representation, offset, 10) == _version("big", 0)[offset : offset + 10]
    assert opens == []
    assert held.open_count == 1


def _check(holder: HeldDescriptors | HandedFiles, representation: Representation) -> bytes:
    """The holder's answer for the representation: the first 10 bytes read from its
    descriptor (a range, or what the server would read from the pathsend path)."""
    if isinstance(holder, HeldDescriptors):
        return holder.read(representation, 0, 10)
    body = holder.body(representation)
    assert body is not None
    with open(body.path, "rb") as handle:
        return handle.read(10)


HOLDERS = [HeldDescriptors, HandedFiles]


@pytest.mark.parametrize("holder", HOLDERS, ids=["ranges", "pathsend"])
@pytest.mark.parametrize("change", ["replaced", "rewritten", "deleted", "truncated"])
def test_a_changed_file_is_stale_not_read_from_the_held_descriptor(
    tmp_path: Path, change: str, holder: type[HeldDescriptors | HandedFiles]
) -> None:
    """Also inside the name check's window (the name was just looked up): the held file's
    own ``fstat`` notices each change, a rename over it by its link count."""
    path, representation = _held_file(tmp_path)
    held = holder()
    for _ in range(3):  # opened, its name looked up, then within the window
        assert _check(held, representation) == _version("big", 0)[:10]
    if change == "replaced":
        _replace(path, _version("big", 1), representation.mtime_ns)  # same size and mtime
    elif change == "rewritten":
        with path.open("r+b") as handle:  # in place: same inode, a new mtime
            handle.write(_version("big", 1))
        os.utime(path, ns=(representation.mtime_ns + 10**9, representation.mtime_ns + 10**9))
    elif change == "deleted":
        path.unlink()
    else:
        os.truncate(path, 5)
        os.utime(path, ns=(representation.mtime_ns, representation.mtime_ns))
    with pytest.raises(StaleFile):
        _check(held, representation)
    if isinstance(held, HeldDescriptors):
        assert held.open_count == 0  # the stale descriptor is let go
    else:
        assert held.open_count == 1  # kept for a server that may not have opened it yet


@pytest.mark.parametrize("holder", HOLDERS, ids=["ranges", "pathsend"])
def test_within_the_window_only_the_held_file_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, holder: type[HeldDescriptors | HandedFiles]
) -> None:
    """One ``stat`` of the name per second at most; between, ``fstat`` of the descriptor."""
    clock = FakeClock(monkeypatch, files_module)
    _, representation = _held_file(tmp_path)
    held = holder()
    for _ in range(2):  # opened, and its name looked up (after the read, for ranges)
        assert _check(held, representation) == _version("big", 0)[:10]
    calls: list[str] = []
    _record(monkeypatch, calls, "stat")
    _record(monkeypatch, calls, "fstat")
    for _ in range(5):
        _check(held, representation)
    assert calls == ["fstat"] * 5
    calls.clear()
    clock.now += NAME_CHECK_SECONDS
    _check(held, representation)
    assert calls.count("stat") == 1


@pytest.mark.parametrize("holder", HOLDERS, ids=["ranges", "pathsend"])
def test_a_file_replaced_but_linked_elsewhere_is_noticed_within_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, holder: type[HeldDescriptors | HandedFiles]
) -> None:
    """The one replacement an ``fstat`` cannot see: the old file keeps a link (moved aside,
    or hard-linked by a deploy tool). Until the name is looked up again, the old bytes are
    read, which still match the headers built for them; then the entry is stale."""
    clock = FakeClock(monkeypatch, files_module)
    path, representation = _held_file(tmp_path)
    held = holder()
    for _ in range(2):
        assert _check(held, representation) == _version("big", 0)[:10]
    os.link(path, tmp_path / "big.bin.previous")
    _replace(path, _version("big", 1), representation.mtime_ns + 10**9)
    clock.now += NAME_CHECK_SECONDS / 2
    assert _check(held, representation) == _version("big", 0)[:10]
    clock.now += NAME_CHECK_SECONDS / 2
    with pytest.raises(StaleFile):
        _check(held, representation)


def test_a_write_landing_just_before_the_read_is_caught_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The held file is checked after the ``pread``: a rewrite in place that lands between
    a check and the read (here: inside the read, just before the bytes are copied) would
    otherwise send its new bytes under the old version's headers."""
    path, representation = _held_file(tmp_path)
    held = HeldDescriptors()
    for _ in range(2):  # the descriptor held and its name looked up: the window is open
        assert held.read(representation, 0, 10) == _version("big", 0)[:10]
    real_pread = os.pread

    def pread_after_a_rewrite(descriptor: int, length: int, offset: int) -> bytes:
        with path.open("r+b") as handle:  # the same inode, new bytes, a new mtime
            handle.write(_version("big", 1))
        later = representation.mtime_ns + 10**9
        os.utime(path, ns=(later, later))
        return real_pread(descriptor, length, offset)

    monkeypatch.setattr(os, "pread", pread_after_a_rewrite)
    with pytest.raises(StaleFile):
        held.read(representation, 0, 10)


def test_a_file_system_without_link_counts_gets_the_name_checked_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, representation = _held_file(tmp_path)
    held = HeldDescriptors()
    calls: list[str] = []

    class NoLinks:
        """A ``stat`` result whose link count is 0, as some file systems report."""

        def __init__(self, info: os.stat_result) -> None:
            self.info = info

        def __getattr__(self, name: str) -> Any:
            return 0 if name == "st_nlink" else getattr(self.info, name)

    _record(monkeypatch, calls, "stat", NoLinks)
    for _ in range(3):
        assert held.read(representation, 0, 10) == _version("big", 0)[:10]
    assert calls == ["stat"] * 3


def test_a_file_known_by_path_only_is_reopened_and_checked(tmp_path: Path) -> None:
    """Without a recorded inode (autorefresh), a newer file of the same size and mtime at
    the name is opened and checked like a first request; one that differs is stale."""
    path = write(tmp_path / "big.bin", _version("big", 0))
    info = path.stat()
    representation = Representation("identity", str(path), SIZE, info.st_mtime_ns, None)
    held = HeldDescriptors()
    assert held.read(representation, 0, 10) == _version("big", 0)[:10]
    _replace(path, _version("big", 1), info.st_mtime_ns)
    # The learned inode now belongs to the old file: a fresh, path-described record reads
    # the new one through a new descriptor.
    fresh = Representation("identity", str(path), SIZE, info.st_mtime_ns, None)
    assert held.read(fresh, 0, 10) == _version("big", 1)[:10]
    assert held.open_count == 1
    _replace(path, _version("big", 2)[:100], info.st_mtime_ns)
    with pytest.raises(StaleFile):
        held.read(Representation("identity", str(path), SIZE, info.st_mtime_ns, None), 0, 10)


def test_the_table_is_bounded_and_an_evicted_descriptor_outlives_its_reader(
    tmp_path: Path,
) -> None:
    held = HeldDescriptors(limit=2)
    files = [write(tmp_path / f"f{number}.bin", _version(f"f{number}", 0)) for number in range(5)]
    for path in files:
        held.read(_representation(path), 0, 10)
        assert held.open_count <= 2
    assert held.open_count == 2
    # A reader's reference keeps the descriptor open after eviction; it is closed when the
    # last reference goes.
    first = _representation(files[0])
    held.read(first, 0, 10)
    reader = held._held[first.path]
    number = reader.descriptor
    for path in files[1:3]:
        held.read(_representation(path), 0, 10)
    assert first.path not in held._held
    assert os.pread(number, 10, 0) == _version("f0", 0)[:10]
    del reader
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(number)


def test_ranges_after_a_deploy_answer_with_the_new_file(tmp_path: Path, serve: Serve) -> None:
    """Through both adapters and both index modes: a range answered from a held descriptor,
    then the file replaced atomically, then the same range answers with the new bytes."""
    path = write(tmp_path / "big.bin", _version("big", 0))
    server = serve(tmp_path, **OPTIONS)
    first = server.get("/big.bin", {"Range": "bytes=100-199"})
    assert (first.status, first.body) == (206, _version("big", 0)[100:200])
    _replace(path, _version("big", 1), path.stat().st_mtime_ns + 10**9)
    second = server.get("/big.bin", {"Range": "bytes=100-199"})
    assert (second.status, second.body) == (206, _version("big", 1)[100:200])
    assert second.header("Content-Range") == f"bytes 100-199/{SIZE}"
    path.unlink()
    assert server.get("/big.bin", {"Range": "bytes=100-199"}).status == 404


def test_racing_readers_never_get_bytes_of_another_file_or_version(tmp_path: Path) -> None:
    """Many threads read ranges of three files while each is replaced atomically again and
    again and a two-entry table evicts on nearly every request: every 206 body is a slice of
    one complete version of the file asked for. (Closing a descriptor on eviction while a
    reader still used it let the writer's next temporary file take its number.)"""
    names = ["a", "b", "c"]
    versions: dict[str, list[bytes]] = {name: [_version(name, 0)] for name in names}
    for name in names:
        write(tmp_path / f"{name}.bin", versions[name][0])
    app = ServeStatic(None, settings=Settings(root=tmp_path, **OPTIONS))
    app.engine.held = HeldDescriptors(limit=2)
    stop = threading.Event()
    problems: list[str] = []
    answered = [0]

    def writer() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            for name in names:
                data = _version(name, number)
                versions[name].append(data)  # listed before any reader can see it
                _replace(tmp_path / f"{name}.bin", data, 10**18 + number)

    def reader(seed: int) -> None:
        for count in range(300):
            name = names[(seed + count) % len(names)]
            first = (seed * 37 + count * 101) % (SIZE - 200)
            try:
                response = call_wsgi(
                    app, f"/{name}.bin", headers={"Range": f"bytes={first}-{first + 99}"}
                )
            except Exception as error:  # a crash is a finding, as wrong bytes are
                problems.append(f"{name} at {first}: {error!r}")
                continue
            if response.status != 206:
                continue  # changed again while being rebuilt: a miss, never wrong bytes
            answered[0] += 1
            if not any(response.body == data[first : first + 100] for data in versions[name]):
                problems.append(f"{name} at {first}: {response.body[:24]!r}")

    threads = [threading.Thread(target=reader, args=(seed,)) for seed in range(8)]
    writing = threading.Thread(target=writer)
    writing.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    writing.join()
    assert problems == []
    assert answered[0] > 100  # the race was run, not skipped by misses
    assert app.engine.held.open_count <= 2
