"""Symlink swaps racing requests over real servers (issue 13, item 1).

A thread keeps replacing served files with symlinks to twins outside the root (the same
size and modification time, so only the inode tells them apart) and putting the originals
back, and swaps a whole directory for a link to one outside; clients request whole files
and ranges meanwhile. No response may carry a byte of the outside files: a 200 or 206 is
the original's bytes (a prefix of them when the server dropped a connection whose file
changed mid-body), anything else is a 404.

Before the fix, granian (which opens the path named by ``http.response.pathsend`` itself,
after ``send()`` returned) sent the outside file: under granian ASGI this test failed in 9
of 10 runs with autorefresh and 2 of 11 with the start-up index (which drops the entry at
the first swap it notices); over 10 s, 59 of 3,668 autorefresh responses leaked.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.rawhttp import fetch
from tests.reliability.servers import serve

pytestmark = pytest.mark.servers

TARGETS = {"asgi": "servestatic.app:create_asgi()", "wsgi": "servestatic.app:create_wsgi()"}
SERVERS = [
    ("uvicorn", "asgi"),
    ("granian-asgi", "asgi"),
    ("hypercorn-trio", "asgi"),
    ("granian-wsgi", "wsgi"),
    ("gunicorn-sync", "wsgi"),
    ("gunicorn-gthread", "wsgi"),
]
#: How long each server is raced (seconds).
DURATION = 2.5
BIG = 200 * 1024  # above the memory cache's 64 KiB: read from disk on every request
SMALL = 2 * 1024  # memory-cached after its first (checked) read
#: (URL, Range header or None): whole files and ranges, small spans (one read) and long
#: ones (streamed, or zerocopysend), through a swapped file and a swapped directory.
REQUESTS = [
    ("/big.bin", None),
    ("/big.bin", "bytes=0-99"),
    ("/big.bin", "bytes=1000-150000"),
    ("/small.txt", None),
    ("/small.txt", "bytes=5-50"),
    ("/sub/deep.bin", None),
    ("/sub/deep.bin", "bytes=10-70000"),
]


@dataclass
class SwapTree:
    root: Path
    outside: Path
    stash: Path
    marker: bytes
    public: dict[str, bytes]


def _twin(original: Path, twin: Path, fill: bytes) -> None:
    """An outside file with the original's size and modification time."""
    size = original.stat().st_size
    twin.parent.mkdir(parents=True, exist_ok=True)
    twin.write_bytes((fill * (size // len(fill) + 1))[:size])
    info = original.stat()
    os.utime(twin, ns=(info.st_atime_ns, info.st_mtime_ns))


def make_swap_tree(base: Path) -> SwapTree:
    root, outside, stash = base / "root", base / "outside", base / "stash"
    marker = f"OUTSIDE-{uuid.uuid4().hex}".encode()
    public = {
        "big.bin": (b"public big file " * (BIG // 16 + 1))[:BIG],
        "small.txt": (b"public small " * (SMALL // 13 + 1))[:SMALL],
        "sub/deep.bin": (b"public deep file " * (BIG // 17 + 1))[:BIG],
    }
    for name, data in public.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
        _twin(path, outside / name, marker + b"\n")
    stash.mkdir()
    for name in ("big.bin", "small.txt"):
        # A hard link keeps the original inode: putting it back restores the indexed file.
        os.link(root / name, stash / name)
    return SwapTree(root, outside, stash, marker, public)


def _swap_file(tree: SwapTree, name: str) -> None:
    """Replace ``name`` by a symlink out of the root, then put the original back (each an
    atomic rename over the served name)."""
    temporary = tree.root / f".swap-{name}"
    os.symlink(tree.outside / name, temporary)
    os.replace(temporary, tree.root / name)
    os.link(tree.stash / name, temporary)
    os.replace(temporary, tree.root / name)


def _swap_directory(tree: SwapTree) -> None:
    """Move ``sub/`` away and put a symlink to the outside ``sub/`` in its place, then back."""
    moved = tree.stash / "sub"
    os.rename(tree.root / "sub", moved)
    os.symlink(tree.outside / "sub", tree.root / "sub", target_is_directory=True)
    os.unlink(tree.root / "sub")
    os.rename(moved, tree.root / "sub")


class Swapper(threading.Thread):
    """Swaps one target back and forth as fast as it can (one thread per target, so each
    spends about half its time as a link)."""

    def __init__(self, tree: SwapTree, target: str) -> None:
        super().__init__(daemon=True)
        self.tree = tree
        self.target = target
        self.halt = threading.Event()
        self.swaps = 0

    def run(self) -> None:
        while not self.halt.is_set():
            if self.target == "sub":
                _swap_directory(self.tree)
            else:
                _swap_file(self.tree, self.target)
            self.swaps += 1


def _expected(tree: SwapTree, url: str, range_header: str | None) -> bytes:
    data = tree.public[url.lstrip("/")]
    if range_header is None:
        return data
    first, last = (int(value) for value in range_header.removeprefix("bytes=").split("-"))
    return data[first : last + 1]


def race(port: int, tree: SwapTree, duration: float) -> Counter[str]:
    """Request every target in turn from two clients while a swapper runs; returns the
    outcomes. Fails on the first response with an outside byte or wrong public bytes."""
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    deadline = time.monotonic() + duration

    def client() -> None:
        while time.monotonic() < deadline and not failures:
            for url, range_header in REQUESTS:
                headers = {"Range": range_header} if range_header else {}
                try:
                    response = fetch(port, url, headers, timeout=10)
                except (ConnectionError, OSError):
                    outcomes["dropped"] += 1  # closed before the head: nothing was sent
                    continue
                if tree.marker in response.raw:
                    failures.append(f"{url} {range_header}: outside bytes sent")
                    return
                expected = _expected(tree, url, range_header)
                if response.status in {200, 206}:
                    wanted = 206 if range_header else 200
                    if response.status != wanted or response.body != expected[: len(response.body)]:
                        failures.append(f"{url} {range_header}: {response.status} wrong bytes")
                        return
                    short = len(response.body) < len(expected)
                    outcomes[f"{response.status}{' short' if short else ''}"] += 1
                elif response.status == 404:
                    outcomes["404"] += 1
                else:
                    failures.append(f"{url} {range_header}: status {response.status}")
                    return

    swappers = [Swapper(tree, target) for target in ("big.bin", "small.txt", "sub")]
    clients = [threading.Thread(target=client, daemon=True) for _ in range(2)]
    for thread in [*swappers, *clients]:
        thread.start()
    for thread in clients:
        thread.join(duration + 60)
    for swapper in swappers:
        swapper.halt.set()
        swapper.join(10)
    assert not failures, (failures, dict(outcomes))
    outcomes["swaps"] = min(swapper.swaps for swapper in swappers)
    return outcomes


@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", ["index", "autorefresh"])
@pytest.mark.parametrize(("server", "interface"), SERVERS)
def test_symlink_swaps_never_leak(tmp_path: Path, server: str, interface: str, mode: str) -> None:
    tree = make_swap_tree(tmp_path)
    env = {
        "SERVESTATIC_ROOT": str(tree.root),
        "SERVESTATIC_AUTOREFRESH": "true" if mode == "autorefresh" else "false",
    }
    with serve(server, TARGETS[interface], env=env) as live:
        for url in ("/big.bin", "/small.txt", "/sub/deep.bin"):
            assert fetch(live.port, url).body == tree.public[url.lstrip("/")]
        outcomes = race(live.port, tree, DURATION)
        # The race ran: the swapper made progress and requests were answered throughout.
        assert outcomes["swaps"] > 10, outcomes
        assert sum(outcomes.values()) - outcomes["swaps"] > 50, outcomes
        assert live.process.poll() is None
