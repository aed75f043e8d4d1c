"""Real servers with their processes exposed: descriptor counts, resident memory, workers.

``tests/live.py`` yields only a URL; reliability checks also need the process tree (the
gunicorn master forks its worker; granian runs workers as children), so this module reuses
its command lines and readiness check and keeps the ``Popen`` object.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.live import REPO, command, free_port, wait_until_up

__all__ = ["Live", "children", "fd_count", "rss_bytes", "serve"]


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (all threads), from ``/proc``."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(item) for item in f.read().split())
    return found


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    result = [pid]
    index = 0
    while index < len(result):
        result.extend(children(result[index]))
        index += 1
    return result


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0  # pragma: no cover - a zombie has no VmRSS


@dataclass
class Live:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pids(self) -> list[int]:
        return tree(self.process.pid)

    @property
    def workers(self) -> list[int]:
        """The processes that handle requests: gunicorn's and granian's children, or the
        uvicorn process itself."""
        below = self.pids[1:]
        return below or [self.process.pid]

    def fds(self) -> int:
        return sum(fd_count(pid) for pid in self.workers)

    def rss(self) -> int:
        return sum(rss_bytes(pid) for pid in self.workers)

    def output(self) -> str:
        """What the server printed so far (only after it stopped)."""
        if self.process.stdout is None or self.process.poll() is None:
            return ""
        return self.process.stdout.read().decode(errors="replace")


def _environment(extra: Mapping[str, str] | None) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("SERVESTATIC_")
    }
    environment["PYTHONPATH"] = os.pathsep.join([str(REPO), environment.get("PYTHONPATH", "")])
    environment.update(extra or {})
    return environment


def start(
    server: str,
    target: str,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    extra_args: tuple[str, ...] = (),
) -> Live:
    """Start ``target`` under ``server`` (names of ``tests.live.SERVERS``) and wait for it."""
    port = free_port()
    argv = command(server, target, port)
    if extra_args:
        argv = [*argv[:-1], *extra_args, argv[-1]]
    process = subprocess.Popen(
        argv,
        cwd=cwd or REPO,
        env=_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(port, process)
        if server.startswith(("gunicorn", "granian")):
            # The listening socket is open before the worker is forked: wait for the worker,
            # or a test would record the parent as "the worker" and then see it "replaced".
            deadline = time.monotonic() + 20
            while len(tree(process.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
    except BaseException:
        stop(Live(server, port, process))
        raise
    return Live(server, port, process)


def stop(live: Live, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
    """Signal the server's process group and wait; returns the exit code."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(live.process.pid, sig)
    try:
        code = live.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(live.process.pid, signal.SIGKILL)
        live.process.wait()
        raise
    return code


@contextlib.contextmanager
def serve(
    server: str,
    target: str,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    extra_args: tuple[str, ...] = (),
) -> Iterator[Live]:
    live = start(server, target, env=env, cwd=cwd, extra_args=extra_args)
    try:
        yield live
    finally:
        if live.process.poll() is None:
            stop(live)
        if live.process.stdout is not None:
            live.process.stdout.close()
