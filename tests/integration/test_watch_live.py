"""``watch = true`` under real servers on 127.0.0.1: files created, replaced and deleted
after start-up are served, revalidated and gone without a restart; under gunicorn
``--preload`` the forked worker watches with its own thread."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.live import fetch, running

CASES = [
    ("uvicorn", "servestatic.app:create_asgi()", ()),
    ("gunicorn-sync", "servestatic.app:create_wsgi()", ("--preload",)),
]


def wait_for_status(base: str, path: str, wanted: int, timeout: float = 10.0) -> float:
    start = time.perf_counter()
    while True:
        status = fetch(base, path)[0]
        if status == wanted:
            return time.perf_counter() - start
        if time.perf_counter() - start > timeout:
            pytest.fail(f"{path}: {status}, not {wanted} within {timeout} s")
        time.sleep(0.02)


@pytest.mark.parametrize(("server", "target", "args"), CASES)
def test_files_follow_the_disk_without_a_restart(
    tmp_path: Path, server: str, target: str, args: tuple[str, ...]
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "kept.txt").write_bytes(b"kept")
    env = {"SERVESTATIC_ROOT": str(root), "SERVESTATIC_WATCH": "true"}
    with running(server, target, env=env, args=args) as base:
        assert fetch(base, "/kept.txt")[0] == 200
        assert fetch(base, "/report.txt")[0] == 404
        (root / "report.txt").write_bytes(b"first")
        assert wait_for_status(base, "/report.txt", 200) < 2.0
        status, headers, body = fetch(base, "/report.txt")
        assert body == b"first"
        etag = headers["etag"]
        (tmp_path / "next.txt").write_bytes(b"second version")
        os.replace(tmp_path / "next.txt", root / "report.txt")
        deadline = time.monotonic() + 10
        while fetch(base, "/report.txt")[2] != b"second version":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        status, headers, _ = fetch(base, "/report.txt", {"If-None-Match": etag})
        assert status == 200
        assert headers["etag"] != etag
        (root / "report.txt").unlink()
        wait_for_status(base, "/report.txt", 404)
        assert fetch(base, "/kept.txt")[0] == 200
