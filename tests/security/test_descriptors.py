"""Whatever is sent is the file that was checked (issue 13, item 1), in process.

A check by path and a later open by path can reach two different files: a symlink swapped
in at the file's name, or at any directory above it, redirects the open. servestatic opens
once, checks that descriptor and sends only from it; ``http.response.pathsend`` gets a path
that names the descriptor. The races are made deterministic here: the swap happens between
the check the old code made and the open a server makes (``tests/security/test_swap_race``
races real servers).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import servestatic.serve.files as files_module
from servestatic import ServeStatic, ServeStaticASGI
from servestatic.config import Settings
from servestatic.http.records import Confinement, Derived, FileEntry, Representation
from servestatic.http.records import Request as RecordRequest
from servestatic.serve.deliver import FileSpan, HandedPath, Transport, WouldBlock
from servestatic.serve.deliver import Response as DeliveredResponse
from servestatic.serve.files import HandedFiles, StaleFile, open_representation, read_bytes
from servestatic.serve.index import ScannedFile, stat_file
from tests.client import Response, call_asgi, call_wsgi
from tests.conftest import FakeClock

BIG = (b"public big file\n" * 13_000)[:200_000]  # above the 64 KiB memory cache
SMALL = b"public small file\n" * 20
MARKER = b"OUTSIDE-SECRET-MARKER"
PATHSEND: dict[str, Any] = {"http.response.pathsend": {}}
ZEROCOPY: dict[str, Any] = {"http.response.zerocopysend": {}}


@dataclass
class Tree:
    root: Path
    outside: Path


def _twin(original: Path, twin: Path) -> None:
    """An outside file with the original's size and mtime: only the inode differs."""
    twin.parent.mkdir(parents=True, exist_ok=True)
    size = original.stat().st_size
    twin.write_bytes((MARKER * (size // len(MARKER) + 1))[:size])
    info = original.stat()
    os.utime(twin, ns=(info.st_atime_ns, info.st_mtime_ns))


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    root, outside = tmp_path / "root", tmp_path / "outside"
    for name, data in {"big.bin": BIG, "sub/deep.bin": BIG, "sub/small.txt": SMALL}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        _twin(path, outside / name)
    os.symlink("big.bin", root / "inside.bin")  # a link inside the root: ordinary content
    return Tree(root, outside)


def _swap_file(path: Path, target: Path) -> None:
    temporary = path.with_name(path.name + ".swap")
    os.symlink(target, temporary)
    os.replace(temporary, path)


def _swap_directory(tree: Tree) -> None:
    os.rename(tree.root / "sub", tree.root.parent / "sub-moved")
    os.symlink(tree.outside / "sub", tree.root / "sub", target_is_directory=True)


def _app(kind: str, tree: Tree, mode: str, **options: Any) -> Any:
    settings = Settings(root=tree.root, autorefresh=mode == "autorefresh", **options)
    return (ServeStatic if kind == "wsgi" else ServeStaticASGI)(None, settings=settings)


def _assert_clean(response: Response) -> None:
    assert MARKER not in response.body
    for name, value in response.header_list:
        assert MARKER.decode() not in name + value


# ----------------------------------------------------------------------------- pathsend


@pytest.mark.parametrize("mode", ["static", "autorefresh"])
@pytest.mark.parametrize("swap", ["file", "directory"])
def test_pathsend_names_the_checked_file_not_its_name(tree: Tree, mode: str, swap: str) -> None:
    """granian opens the pathsend path after ``send()`` returned: a swap in between must
    not change what that path opens."""
    app = _app("asgi", tree, mode)
    url = "/big.bin" if swap == "file" else "/sub/deep.bin"
    response = call_asgi(app, url, extensions=PATHSEND)
    assert response.status == 200
    assert response.body == BIG
    path = response.messages[1]["path"]
    assert path != str(tree.root / url.lstrip("/"))
    if swap == "file":
        _swap_file(tree.root / "big.bin", tree.outside / "big.bin")
    else:
        _swap_directory(tree)
    with open(path, "rb") as handle:  # what the server does after send() returned
        assert handle.read() == BIG


@pytest.mark.parametrize("mode", ["static", "autorefresh"])
def test_pathsend_reuses_one_descriptor_per_file(tree: Tree, mode: str) -> None:
    app = _app("asgi", tree, mode)
    first = call_asgi(app, "/big.bin", extensions=PATHSEND).messages[1]["path"]
    second = call_asgi(app, "/big.bin", extensions=PATHSEND).messages[1]["path"]
    assert first == second
    assert app.engine.handed.open_count == 1


@pytest.mark.parametrize("mode", ["static", "autorefresh"])
def test_pathsend_of_a_changed_file_hands_the_new_one(tree: Tree, mode: str) -> None:
    """A file replaced by a deploy: the entry is rebuilt and a new descriptor is handed
    over; the old one stays open (the server may not have opened it yet)."""
    app = _app("asgi", tree, mode)
    old = call_asgi(app, "/big.bin", extensions=PATHSEND).messages[1]["path"]
    new_data = b"n" * 150_000
    (tree.root / "big.bin.new").write_bytes(new_data)
    os.replace(tree.root / "big.bin.new", tree.root / "big.bin")
    response = call_asgi(app, "/big.bin", extensions=PATHSEND)
    assert response.header("content-length") == str(len(new_data))
    assert response.body == new_data
    assert response.messages[1]["path"] != old
    with open(old, "rb") as handle:
        assert handle.read() == BIG  # still the file it was checked as
    assert app.engine.handed.open_count == 2


def test_pathsend_of_a_deleted_file_is_a_404(tree: Tree) -> None:
    app = _app("asgi", tree, "static")
    assert call_asgi(app, "/big.bin", extensions=PATHSEND).status == 200
    (tree.root / "big.bin").unlink()
    assert call_asgi(app, "/big.bin", extensions=PATHSEND).status == 404


def test_pathsend_through_an_inside_link(tree: Tree) -> None:
    for mode in ("static", "autorefresh"):
        response = call_asgi(_app("asgi", tree, mode), "/inside.bin", extensions=PATHSEND)
        assert response.body == BIG


def test_without_a_free_descriptor_the_body_is_streamed(tree: Tree) -> None:
    """Every descriptor recently handed over: the body is sent from a fresh descriptor."""
    app = _app("asgi", tree, "static")
    app.engine.handed = HandedFiles(limit=1)
    assert call_asgi(app, "/big.bin", extensions=PATHSEND).messages[1]["type"] == (
        "http.response.pathsend"
    )
    response = call_asgi(app, "/sub/deep.bin", extensions=PATHSEND)
    assert response.body == BIG
    assert {m["type"] for m in response.messages[1:]} == {"http.response.body"}
    assert app.engine.handed.open_count == 1


def test_idle_descriptors_make_room(tree: Tree) -> None:
    """Past the hold time, the least recently handed descriptor is closed for a new one,
    and replaced ones are closed."""
    app = _app("asgi", tree, "static")
    handed = app.engine.handed = HandedFiles(limit=1, hold=0.0)
    big = call_asgi(app, "/big.bin", extensions=PATHSEND).messages[1]["path"]
    deep = call_asgi(app, "/sub/deep.bin", extensions=PATHSEND)
    assert deep.messages[1]["type"] == "http.response.pathsend"
    assert deep.body == BIG
    assert handed.open_count == 1
    assert big not in {held.name for held in handed._held.values()}
    # A replaced descriptor (the file changed) is closed once idle too.
    os.utime(tree.root / "sub" / "deep.bin", ns=(1, 2_000_000_000_000_000_000))
    changed = call_asgi(app, "/sub/deep.bin", extensions=PATHSEND)
    assert changed.messages[1]["type"] == "http.response.pathsend"
    assert changed.body == BIG
    assert handed.open_count == 1
    assert not handed._retiring


def test_replaced_descriptors_are_held_until_idle(tree: Tree) -> None:
    """Within the hold time a replaced descriptor stays open (granian may not have opened
    it yet), and counts against the limit."""
    app = _app("asgi", tree, "static")
    handed = app.engine.handed = HandedFiles(limit=2)
    old = call_asgi(app, "/big.bin", extensions=PATHSEND).messages[1]["path"]
    os.utime(tree.root / "big.bin", ns=(1, 2_000_000_000_000_000_000))
    assert call_asgi(app, "/big.bin", extensions=PATHSEND).messages[1]["path"] != old
    assert [held.name for held in handed._retiring] == [old]
    streamed = call_asgi(app, "/sub/deep.bin", extensions=PATHSEND)
    assert {m["type"] for m in streamed.messages[1:]} == {"http.response.body"}
    with open(old, "rb") as handle:
        assert handle.read() == BIG


def test_a_descriptor_evicted_while_handed_is_replaced(tree: Tree) -> None:
    app = _app("asgi", tree, "static")
    handed = app.engine.handed
    call_asgi(app, "/big.bin", extensions=PATHSEND)
    (held,) = handed._held.values()
    held.closed = True  # as if another thread evicted it between the lookup and the hand-over
    os.close(held.descriptor)
    response = call_asgi(app, "/big.bin", extensions=PATHSEND)
    assert response.body == BIG
    assert response.messages[1]["path"] == next(iter(handed._held.values())).name


def test_a_descriptor_evicted_inside_the_name_window_is_held_anew(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside the name check's window the held descriptor itself is checked (``fstat``):
    one closed by another thread's eviction meanwhile is opened again, not taken for a
    changed file (which would rebuild the entry)."""
    app = _app("asgi", tree, "static")
    handed = app.engine.handed
    for _ in range(2):  # opened, then its name checked: the window is open
        call_asgi(app, "/big.bin", extensions=PATHSEND)
    (held,) = handed._held.values()
    refreshed: list[str] = []
    monkeypatch.setattr(app.engine, "refresh", lambda path, stale: refreshed.append(path))
    held.closed = True
    os.close(held.descriptor)
    response = call_asgi(app, "/big.bin", extensions=PATHSEND)
    assert response.body == BIG
    assert response.messages[1]["path"] == next(iter(handed._held.values())).name
    assert refreshed == []


def test_the_pathsend_body_is_made_once_per_descriptor_and_dropped_with_its_file(
    tree: Tree,
) -> None:
    # The body naming a held descriptor is kept with it (no object per request); a changed
    # file gets a new descriptor and a new body, so the old path is never handed again.
    engine = _app("asgi", tree, "static").engine
    request = RecordRequest("GET", "/big.bin")
    pathsend = Transport(pathsend=True)
    first = engine.serve(request, pathsend, blocking=False)
    second = engine.serve(request, pathsend, blocking=False)
    assert isinstance(first, DeliveredResponse)
    assert isinstance(second, DeliveredResponse)
    assert type(first.body) is HandedPath
    assert second.body is first.body
    (tree.root / "big.bin").unlink()
    (tree.root / "big.bin").write_bytes(BIG[::-1])  # same size, a new file
    with pytest.raises(WouldBlock):  # changed: rebuilt off the event loop
        engine.serve(request, pathsend, blocking=False)
    third = engine.serve(request, pathsend)
    assert isinstance(third, DeliveredResponse)
    assert type(third.body) is HandedPath
    assert third.body is not first.body
    with open(third.body.path, "rb") as handle:
        assert handle.read() == BIG[::-1]


def test_without_a_held_descriptor_a_whole_file_is_opened_instead(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files_module, "_proc_fd", lambda: False)  # not Linux: no /proc
    engine = _app("asgi", tree, "static").engine
    with pytest.raises(WouldBlock):
        engine.serve(RecordRequest("GET", "/big.bin"), Transport(pathsend=True), blocking=False)
    response = engine.serve(RecordRequest("GET", "/big.bin"), Transport(pathsend=True))
    assert isinstance(response, DeliveredResponse)
    assert type(response.body) is FileSpan
    response.body.close()


def test_descriptors_close_with_their_table(tree: Tree) -> None:
    handed = HandedFiles()
    entry = _app("wsgi", tree, "static").engine.files["/big.bin"]
    assert isinstance(entry, FileEntry)
    path = handed.path(entry.identity)
    assert path is not None
    descriptor = int(path.rsplit("/", 1)[1])
    os.fstat(descriptor)
    del handed
    gc.collect()
    with pytest.raises(OSError, match=r"Errno 9\]"):  # EBADF: closed
        os.fstat(descriptor)


# ----------------------------------------------------------------------------- racy checks

Request = Callable[[Any], Response]

KINDS: dict[str, tuple[str, str, dict[str, str], dict[str, Any] | None]] = {
    # name: (adapter, URL, headers, ASGI extensions)
    "wsgi-whole": ("wsgi", "/sub/deep.bin", {}, None),
    "wsgi-small-range": ("wsgi", "/sub/deep.bin", {"Range": "bytes=0-99"}, None),
    "wsgi-long-range": ("wsgi", "/sub/deep.bin", {"Range": "bytes=10-150000"}, None),
    "wsgi-memory": ("wsgi", "/sub/small.txt", {}, None),
    "asgi-pathsend": ("asgi", "/sub/deep.bin", {}, PATHSEND),
    "asgi-stream": ("asgi", "/sub/deep.bin", {}, None),
    "asgi-zerocopy": ("asgi", "/sub/deep.bin", {"Range": "bytes=10-150000"}, ZEROCOPY),
    "asgi-memory": ("asgi", "/sub/small.txt", {}, None),
}


def _request(app: Any, kind: str) -> Response:
    adapter, url, headers, extensions = KINDS[kind]
    if adapter == "wsgi":
        return call_wsgi(app, url, headers=headers)
    return call_asgi(app, url, headers=headers, extensions=extensions)


def _racy_realpath(monkeypatch: pytest.MonkeyPatch, tree: Tree) -> None:
    """Make every path check by name see the tree as it was before the swap (a check
    that ran just before it), while opens see the swap."""
    real = os.path.realpath
    swapped = str(tree.root / "sub")

    def before_the_swap(path: Any, *, strict: bool = False) -> str:
        text = os.fspath(path)
        if text == swapped or text.startswith(swapped + os.sep):
            return str(text)
        return str(real(text, strict=strict))

    monkeypatch.setattr(os.path, "realpath", before_the_swap)


@pytest.mark.parametrize("mode", ["static", "autorefresh"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_racy_check_by_name_never_sends_the_outside_file(
    tree: Tree, monkeypatch: pytest.MonkeyPatch, mode: str, kind: str
) -> None:
    """``sub/`` becomes a link to an outside directory holding twins of its files, and
    every check by name still sees the old ``sub/``: only the check of what was opened
    (its real path, from the descriptor) can tell. It must refuse the file."""
    app = _app(KINDS[kind][0], tree, mode)
    _swap_directory(tree)
    _racy_realpath(monkeypatch, tree)
    for _ in range(2):
        response = _request(app, kind)
        _assert_clean(response)
        assert response.status == 404


@pytest.mark.parametrize("mode", ["static", "autorefresh"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_racy_check_without_proc(
    tree: Tree, monkeypatch: pytest.MonkeyPatch, mode: str, kind: str
) -> None:
    """Where ``/proc/self/fd`` is missing (not Linux), the real path is checked first and
    then opened one component at a time without following links; pathsend is not used."""
    monkeypatch.setattr(files_module, "_proc_fd", lambda: False)
    clock = FakeClock(monkeypatch, files_module)
    app = _app(KINDS[kind][0], tree, mode)
    healthy = _request(app, kind)
    assert healthy.status in {200, 206}
    assert all(m["type"] != "http.response.pathsend" for m in healthy.messages)
    _swap_directory(tree)
    _racy_realpath(monkeypatch, tree)
    response = _request(app, kind)
    _assert_clean(response)
    assert response.status in {200, 206, 404}
    if mode == "autorefresh" or kind.endswith("memory"):
        return
    if kind == "wsgi-small-range":
        # The range's held descriptor is the original file, moved aside with its folder (a
        # replacement only the name check sees): its own bytes are read until the name is
        # looked up again, at most NAME_CHECK_SECONDS later; never the outside twin.
        assert (response.status, response.body) == (206, BIG[:100])
        clock.now += files_module.NAME_CHECK_SECONDS
        response = _request(app, kind)
        _assert_clean(response)
    # Index mode, first request after the swap (or after the name check's window): the
    # identity recorded at start-up decides.
    assert response.status == 404


def test_opening_without_proc_follows_no_link(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    """The component-wise open refuses a path whose real path has a link in it (a swap
    after the real path was resolved)."""
    monkeypatch.setattr(files_module, "_proc_fd", lambda: False)
    scanned = _described(tree, "/sub/deep.bin")
    representation = _representation(scanned)
    _swap_directory(tree)
    _racy_realpath(monkeypatch, tree)
    with pytest.raises(StaleFile):
        read_bytes(representation, 0, 4)


def test_inside_links_are_served_without_proc(tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "_proc_fd", lambda: False)
    for kind in ("wsgi", "asgi"):
        for mode in ("static", "autorefresh"):
            app = _app(kind, tree, mode)
            request = call_wsgi if kind == "wsgi" else call_asgi
            assert request(app, "/inside.bin").body == BIG
            assert request(app, "/big.bin", headers={"Range": "bytes=0-3"}).body == BIG[:4]


# ----------------------------------------------------------------------------- first opens


def _described(tree: Tree, url: str, *, unsafe: bool = False) -> ScannedFile:
    """The file at ``url`` below the tree's root, described by path (autorefresh's way)."""
    scanned = stat_file(
        str(tree.root.joinpath(*url.strip("/").split("/"))),
        url,
        encodings=frozenset(),
        real_root=None,
        allow_unsafe_symlinks=unsafe,
        root=str(tree.root),
    )
    assert scanned is not None
    return scanned


def _representation(scanned: ScannedFile) -> Representation:
    return Representation(
        "identity",
        scanned.path,
        scanned.size,
        scanned.mtime_ns,
        None,
        confinement=scanned.confinement,
        derived=Derived(inode=scanned.inode, device=scanned.device),
    )


@pytest.mark.parametrize("proc", [True, False], ids=["proc", "no-proc"])
def test_a_listed_file_swapped_before_its_first_open_is_refused(
    tree: Tree, monkeypatch: pytest.MonkeyPatch, proc: bool
) -> None:
    """A manifest listing records no inode: the first open must not learn the inode of
    an outside file that took the name's place (trust on first use)."""
    if not proc:
        monkeypatch.setattr(files_module, "_proc_fd", lambda: False)
    app = ServeStatic(
        None, settings=Settings.model_validate({"memory_cache": {"max_file_size": 0}})
    )
    path = tree.root / "big.bin"
    info = path.stat()
    app.engine.add_files(
        [ScannedFile("/big.bin", str(path), info.st_size, info.st_mtime_ns, ())],
        root=str(tree.root),
    )
    entry = app.engine.files["/big.bin"]
    assert isinstance(entry, FileEntry)
    assert entry.identity.confinement == Confinement(str(tree.root))
    _swap_file(path, tree.outside / "big.bin")
    with pytest.raises(StaleFile):
        read_bytes(entry.identity, 0, 4)
    assert entry.identity.inode == 0  # nothing learned from the refused file
    response = call_wsgi(app, "/big.bin")
    _assert_clean(response)
    assert response.status == 404


def test_an_unconfined_file_learns_its_identity(tree: Tree) -> None:
    """``allow_unsafe_symlinks``: no confinement; the first open still records the inode,
    so a later same-size, same-mtime swap is noticed."""
    scanned = _described(tree, "/big.bin", unsafe=True)
    assert scanned.confinement is None
    representation = _representation(scanned)
    with open_representation(representation) as handle:
        assert handle.read(4) == BIG[:4]
    assert representation.inode == (tree.root / "big.bin").stat().st_ino
    _swap_file(tree.root / "big.bin", tree.outside / "big.bin")
    with pytest.raises(StaleFile):
        read_bytes(representation, 0, 4)


def test_a_moved_root_is_resolved_again(tmp_path: Path) -> None:
    """A ``current`` link switched to a new release moves the root: files below the new
    release are inside it (not refused as outside the old one)."""
    releases = tmp_path / "releases"
    for number in ("1", "2"):
        (releases / number).mkdir(parents=True)
        (releases / number / "big.bin").write_bytes(number.encode() * 100_000)
    current = tmp_path / "current"
    current.symlink_to(releases / "1", target_is_directory=True)
    app = ServeStaticASGI(None, settings=Settings(root=current, autorefresh=True))
    assert call_asgi(app, "/big.bin", extensions=PATHSEND).body == b"1" * 100_000
    temporary = tmp_path / "current.new"
    temporary.symlink_to(releases / "2", target_is_directory=True)
    os.replace(temporary, current)
    assert call_asgi(app, "/big.bin", extensions=PATHSEND).body == b"2" * 100_000
    assert call_asgi(app, "/big.bin", headers={"Range": "bytes=0-1"}).body == b"22"


# ----------------------------------------------------------------------------- edges


def test_proc_is_detected_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "_proc_state", [])
    assert files_module._proc_fd() is True  # Linux, where the suite runs

    def no_proc(path: str) -> str:
        raise FileNotFoundError(path)

    monkeypatch.setattr(files_module, "_proc_state", [])
    monkeypatch.setattr(os, "readlink", no_proc)
    assert files_module._proc_fd() is False
    assert files_module._proc_state == [False]
    assert HandedFiles().path(_representation(_scanned(Path("/")))) is None


def _scanned(path: Path) -> ScannedFile:
    return ScannedFile("/x", str(path), 0, 0, ())


def test_a_policy_beyond_the_root_is_honoured(tree: Tree) -> None:
    """``Confinement.also`` (Django's ``collectstatic --link`` directories) admits a real
    path outside the root; anything else outside is refused."""
    _swap_file(tree.root / "big.bin", tree.outside / "big.bin")
    info = (tree.outside / "big.bin").stat()
    allowed = str(tree.outside)

    def representation(also: Callable[[str], bool]) -> Representation:
        return Representation(
            "identity",
            str(tree.root / "big.bin"),
            info.st_size,
            info.st_mtime_ns,
            None,
            confinement=Confinement(str(tree.root), also),
        )

    assert read_bytes(representation(lambda real: real.startswith(allowed)), 0, 4) == MARKER[:4]
    with pytest.raises(StaleFile):
        read_bytes(representation(lambda real: False), 0, 4)


@pytest.mark.parametrize("proc", [True, False], ids=["proc", "no-proc"])
@pytest.mark.parametrize("mode", ["static", "autorefresh"])
def test_an_inside_link_broken_after_start_up_is_a_404(
    tree: Tree, monkeypatch: pytest.MonkeyPatch, mode: str, proc: bool
) -> None:
    if not proc:
        monkeypatch.setattr(files_module, "_proc_fd", lambda: False)
    app = _app("wsgi", tree, mode)
    assert call_wsgi(app, "/inside.bin").body == BIG
    (tree.root / "inside.bin").unlink()
    os.symlink("gone.bin", tree.root / "inside.bin")
    assert call_wsgi(app, "/inside.bin").status == 404


def test_a_descriptor_that_cannot_be_located_is_refused(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    scanned = _described(tree, "/big.bin")
    files_module._proc_fd()  # detected before readlink fails

    def fails(path: str) -> str:
        raise PermissionError(path)

    monkeypatch.setattr(os, "readlink", fails)
    with pytest.raises(StaleFile):
        read_bytes(_representation(scanned), 0, 4)


def test_a_held_slot_is_not_taken_from_a_recent_hand_over(tree: Tree) -> None:
    """With one slot, held by the replaced descriptor of a file handed over a moment ago,
    the new version is streamed rather than closing the old one early."""
    app = _app("asgi", tree, "static")
    handed = app.engine.handed = HandedFiles(limit=1)
    old = call_asgi(app, "/big.bin", extensions=PATHSEND).messages[1]["path"]
    new_data = b"v2" * 60_000
    (tree.root / "big.bin.new").write_bytes(new_data)
    os.replace(tree.root / "big.bin.new", tree.root / "big.bin")
    response = call_asgi(app, "/big.bin", extensions=PATHSEND)
    assert response.body == new_data
    assert {m["type"] for m in response.messages[1:]} == {"http.response.body"}
    assert [held.name for held in handed._retiring] == [old]


def test_a_listed_file_gone_before_its_first_open_without_proc(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files_module, "_proc_fd", lambda: False)
    representation = Representation(
        "identity",
        str(tree.root / "gone.bin"),
        10,
        0,
        None,
        confinement=Confinement(str(tree.root)),
    )
    with pytest.raises(StaleFile):
        read_bytes(representation, 0, 4)


@pytest.mark.parametrize("mode", ["static", "autorefresh"])
@pytest.mark.parametrize("kind", ["wsgi-whole", "asgi-pathsend", "asgi-stream", "wsgi-small-range"])
def test_a_twin_replacement_inside_the_root_is_served(tree: Tree, mode: str, kind: str) -> None:
    """A deploy that replaces a file by another of the same size and mtime (``cp -p``,
    ``rsync -t``): the new inode is noticed and the new bytes served, in both modes (the
    entry learned the old inode; the descriptor held for pathsend is the old file)."""
    app = _app(KINDS[kind][0], tree, mode)
    assert _request(app, kind).status in {200, 206}
    path = tree.root / "sub" / "deep.bin"
    info = path.stat()
    replacement = tree.root / "sub" / "deep.new"
    replacement.write_bytes(b"N" * info.st_size)
    os.utime(replacement, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(replacement, path)
    for _ in range(2):
        response = _request(app, kind)
        assert response.status in {200, 206}
        assert set(response.body) == {ord("N")}
