"""Real servers on 127.0.0.1 for integration tests: uvicorn, granian, gunicorn.

``running(server, target, env=...)`` starts the server in a subprocess with the test
virtualenv's Python, waits until it answers, yields its base URL and stops it.
``target`` is ``module:attribute`` (an application object) or ``module:factory()``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

#: server name → (interface, command builder)
SERVERS = (
    "uvicorn",
    "granian-asgi",
    "granian-wsgi",
    "gunicorn-sync",
    "gunicorn-gthread",
    "hypercorn-trio",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def interface(server: str) -> str:
    return "asgi" if server in {"uvicorn", "granian-asgi", "hypercorn-trio"} else "wsgi"


def command(server: str, target: str, port: int, args: Sequence[str] = ()) -> list[str]:
    """The command line; ``args`` are extra server options (``--root-path /mount``)."""
    line = _command(server, target, port)
    return [*line[:-1], *args, line[-1]]  # every command line ends with the target


def _command(server: str, target: str, port: int) -> list[str]:
    factory = target.endswith("()")
    name = target.removesuffix("()")
    if server == "uvicorn":
        cmd = [
            str(BIN / "uvicorn"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        return [*cmd, "--factory", name] if factory else [*cmd, name]
    if server.startswith("granian"):
        cmd = [
            str(BIN / "granian"),
            "--interface",
            interface(server),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-ws",
            "--log-level",
            "warning",
        ]
        return [*cmd, "--factory", name] if factory else [*cmd, name]
    if server == "hypercorn-trio":
        # hypercorn takes "module:factory()" itself; trio exercises the non-asyncio paths.
        return [
            str(BIN / "hypercorn"),
            "--worker-class",
            "trio",
            "--bind",
            f"127.0.0.1:{port}",
            target,
        ]
    worker = "gthread" if server == "gunicorn-gthread" else "sync"
    return [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--worker-class",
        worker,
        "--threads",
        "4" if worker == "gthread" else "1",
        "--log-level",
        "warning",
        target,
    ]


def fetch(
    base: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """One raw request to ``base`` (``http://127.0.0.1:PORT``): status, headers, body."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request(method, quote(path), headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


def wait_until_up(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"server exited with {process.returncode}:\n{output}")
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=0.2),
        ):
            return
        time.sleep(0.05)
    pytest.fail(f"server did not start on port {port} within {timeout}s")


def clean_environment() -> dict[str, str]:
    """This process's environment without ``SERVESTATIC_*`` settings, with the checkout on
    ``PYTHONPATH``: what a server under test is started with."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith("SERVESTATIC_")
    }
    environment["PYTHONPATH"] = os.pathsep.join([str(REPO), environment.get("PYTHONPATH", "")])
    return environment


def start_serve(folder: Path, *flags: str, cwd: Path) -> tuple[subprocess.Popen[bytes], int]:
    """``servestatic serve FOLDER`` on a free port, up and answering; the caller stops it."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "servestatic", "serve", str(folder), "--port", str(port), *flags],
        cwd=cwd,
        env=clean_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    wait_until_up(port, process)
    return process, port


@contextlib.contextmanager
def running(
    server: str,
    target: str,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    args: Sequence[str] = (),
) -> Iterator[str]:
    """Run ``target`` under ``server`` (with extra options ``args``); yield
    ``http://127.0.0.1:PORT``."""
    port = free_port()
    environment = clean_environment()
    environment.update(env or {})
    process = subprocess.Popen(
        command(server, target, port, args),
        cwd=cwd or REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stdout:
            process.stdout.close()
