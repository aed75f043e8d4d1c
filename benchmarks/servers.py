"""Start a contender under a server pinned to one core, and stop it (its whole group)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.contenders import (
    CONTENDER,
    LIBRARIES,
    LOAD_CORE,
    SERVER_CORE,
    nginx_command,
    server_command,
)
from benchmarks.fixtures import STATIC, WORK


class ServerError(RuntimeError):
    """The server did not start or died."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def contender_env(
    library: str, *, root: Path = STATIC, autorefresh: bool = False
) -> dict[str, str]:
    """Environment for a contender process: no SERVESTATIC_* leaks, ``benchmarks/`` on the path."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("SERVESTATIC_", "PYTHON", "VIRTUAL_ENV", "GRANIAN_"))
    }
    # serve_apps; never the repository root (its servestatic/ would shadow ServeStatic 4.4).
    env["PYTHONPATH"] = str(CONTENDER)
    env["BENCH_LIBRARY"] = library
    env["BENCH_ROOT"] = str(root)
    env["BENCH_AUTOREFRESH"] = "1" if autorefresh else "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@dataclass
class Running:
    library: str
    server: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and all its descendants (threads included)."""
        return sum(_cpu(pid) for pid in _tree(self.process.pid))

    def pids(self) -> set[int]:
        return set(_tree(self.process.pid))

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def _tree(pid: int) -> list[int]:
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    found.extend(int(child) for child in handle.read().split())
    return found


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int, *, children: bool = False) -> float:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # fields[0] is field 3 (state); utime, stime, cutime, cstime are fields 14 to 17.
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def other_cpu_seconds(exclude: set[int]) -> float:
    """CPU taken from the benchmark: by every process but ``exclude`` and this one (and what
    this one reaped), and by the hypervisor (steal time of the two cores).

    Counting reaped children's time (cutime) in their parents catches short-lived processes
    such as a test suite's subprocesses: the difference over a measurement is the CPU taken
    from the benchmark by others (other engineers' work on the same two cores). Steal is the
    time a core wanted to run while the host ran another guest: on a shared VM it starves
    wrk or the server without any process showing it (seen: a run at half its usual rate,
    the server 60% busy, wrk's core stolen).
    """
    skip = exclude | {os.getpid()}
    total = steal_seconds()
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in skip:
            total += _cpu(int(name), children=True)
    return total


def steal_seconds() -> float:
    """The hypervisor's steal time of the server and load cores so far (``/proc/stat``)."""
    cores = {f"cpu{SERVER_CORE}", f"cpu{LOAD_CORE}"}
    total = 0
    try:
        with open("/proc/stat") as handle:
            for line in handle:
                fields = line.split()
                # cpuN user nice system idle iowait irq softirq steal ...
                if fields and fields[0] in cores and len(fields) > 8:
                    total += int(fields[8])
    except OSError:
        return 0.0
    return total / _TICKS


def _wait_until_up(running: Running, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise ServerError(
                f"{running.library}/{running.server} exited with {running.process.returncode}:\n"
                f"{running.output()}"
            )
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", running.port), timeout=0.2),
        ):
            return
        time.sleep(0.05)
    raise ServerError(f"{running.library}/{running.server} did not start within {timeout}s")


@contextlib.contextmanager
def serve(
    library: str,
    server: str,
    *,
    autorefresh: bool = False,
    root: Path = STATIC,
    extra_path: Path | None = None,
    timeout: float = 60.0,
) -> Iterator[Running]:
    """Run one contender pinned to the server core (serving ``root`` at ``/static/``);
    stop its process group afterwards."""
    port = free_port()
    if library == "nginx":
        command = nginx_command(port)
        env = dict(os.environ)
    else:
        command = server_command(LIBRARIES[library], server, port)
        env = contender_env(library, root=root, autorefresh=autorefresh)
        if extra_path is not None:
            # Found before the installed package (the editable install is a .pth entry).
            env["PYTHONPATH"] = f"{extra_path}{os.pathsep}{env['PYTHONPATH']}"
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally below
        "wb", dir=logs, prefix=f"{library}-{server}-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        ["taskset", "-c", SERVER_CORE, *command],
        cwd=WORK,  # never the repo root: servers put the cwd on sys.path
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    running = Running(library, server, port, process, Path(handle.name))
    try:
        _wait_until_up(running, timeout)
        yield running
    finally:
        handle.close()
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # Workers that outlived their parent would keep the core busy: kill the whole group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
