"""Varnish in front of two servestatic replicas, all on 127.0.0.1.

``cdn(server, roots, workdir)`` starts each replica (``tests.cdn.origin`` under a real
server: uvicorn or gunicorn), writes the repository's VCL (``docs/varnish/servestatic.vcl``)
with the replicas' ports in place of 8001 and 8002, starts ``varnishd`` in the foreground
with its own working directory, and yields a :class:`Cdn`. Everything is stopped on exit.
The site helpers build real DESTs with ``servestatic SRC DEST --all``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from servestatic.cli import run
from tests.build.helpers import text_blob, write
from tests.live import REPO, clean_environment, command, free_port, wait_until_up

VCL = REPO / "docs" / "varnish" / "servestatic.vcl"
VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"
TARGETS = {"uvicorn": "tests.cdn.origin:asgi", "gunicorn-sync": "tests.cdn.origin:wsgi"}


@dataclass
class Replica:
    name: str
    server: str
    root: Path
    log: Path
    port: int = field(default_factory=free_port)
    max_age: int = 60
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        environment = clean_environment()
        environment.update(
            ORIGIN_ROOT=str(self.root),
            ORIGIN_NAME=self.name,
            ORIGIN_LOG=str(self.log),
            ORIGIN_MAX_AGE=str(self.max_age),
        )
        self.process = subprocess.Popen(
            command(self.server, TARGETS[self.server], self.port),
            cwd=REPO,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_up(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None

    def restart(self, root: Path) -> None:
        """A deploy: the replica comes back on the same port over ``root``."""
        self.stop()
        self.root = root
        self.start()


@dataclass
class Cdn:
    base: str
    replicas: dict[str, Replica]

    def get(
        self, path: str, headers: Mapping[str, str] | None = None, method: str = "GET"
    ) -> tuple[int, dict[str, str], bytes]:
        # Not tests.live.fetch: it percent-encodes "?", and these paths carry queries.
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, headers=dict(headers or {}))
            response = connection.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            connection.close()

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def origin_log(self) -> list[dict[str, Any]]:
        """Every request that reached a replica, in the order they were answered."""
        records: list[dict[str, Any]] = []
        for replica in self.replicas.values():
            if replica.log.exists():
                lines = replica.log.read_text().splitlines()
                records.extend(json.loads(line) for line in lines)
        return sorted(records, key=lambda record: float(record["time"]))

    def clear_log(self) -> None:
        for replica in self.replicas.values():
            replica.log.unlink(missing_ok=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a stuck process
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def vcl_for(ports: Mapping[str, int]) -> str:
    """The repository's VCL with the replicas' ports (the only change the tests make)."""
    text = VCL.read_text()
    for placeholder, name in (("8001", "replica_a"), ("8002", "replica_b")):
        text = text.replace(f'.port = "{placeholder}";', f'.port = "{ports[name]}";', 1)
    return text


@contextlib.contextmanager
def cdn(
    server: str, roots: Mapping[str, Path], workdir: Path, *, max_age: int = 60
) -> Iterator[Cdn]:
    workdir.mkdir(parents=True, exist_ok=True)
    replicas = {
        name: Replica(name, server, root, workdir / f"{name}.log", max_age=max_age)
        for name, root in roots.items()
    }
    varnish: subprocess.Popen[bytes] | None = None
    varnish_log = (workdir / "varnishd.log").open("wb")
    try:
        for replica in replicas.values():
            replica.start()
        vcl = workdir / "servestatic.vcl"
        vcl.write_text(vcl_for({name: r.port for name, r in replicas.items()}))
        port = free_port()
        varnish = subprocess.Popen(
            [
                VARNISHD,
                "-F",  # foreground: the test owns the process
                "-n",
                str(workdir / "varnish"),
                "-a",
                f"127.0.0.1:{port}",
                "-f",
                str(vcl),
                "-s",
                "malloc,64m",
                "-p",
                "http_gzip_support=off",
                # No privilege separation: works as root and as a normal user alike.
                "-j",
                "none",
            ],
            # A file, not a pipe nobody reads: varnishd must never block on its output.
            stdout=varnish_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_up(port, varnish, timeout=60)  # the VCL is compiled with cc first
        yield Cdn(f"http://127.0.0.1:{port}", replicas)
    finally:
        if varnish is not None:
            _stop(varnish)
        varnish_log.close()
        for replica in replicas.values():
            replica.stop()


def need_varnish() -> None:
    """The live tests fail, not skip, without Varnish: scripts/install installs it."""
    if not os.path.exists(VARNISHD):
        pytest.fail("varnishd is missing: run scripts/install (Debian package 'varnish')")


# ----------------------------------------------------------------------------- sites

_REFERENCE = re.compile(r'(?:src|href)="/([^"]+)"')


def write_assets(src: Path, version: int) -> None:
    """Assets whose bytes depend on ``version``, and some that never change."""
    write(src / "img" / "bg.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    write(src / "css" / "about.css", text_blob(60, word="about"))
    write(
        src / "css" / "app.css",
        f"/* v{version} */\nbody {{ background: url(../img/bg.svg) }}\n"
        + text_blob(300, word=f"v{version}"),
    )
    write(src / "js" / "chunk.js", f"export const v = {version};\n// {text_blob(40)}")
    write(src / "js" / "app.js", f'import {{ v }} from "./chunk.js";\nconsole.log(v, {version});\n')


def build_site(tmp: Path, version: int, dest: Path, *flags: str) -> dict[str, str]:
    """Build ``version`` into ``dest`` as a deploy would: the assets are hashed, the pages
    are rendered with the hashed names (from a manifest of the same assets), then the whole
    site is built with the pages left unhashed. Returns the manifest's ``paths``."""
    src = tmp / f"src-{version}"
    shutil.rmtree(src, ignore_errors=True)
    write_assets(src, version)
    probe = tmp / f"probe-{version}"
    assert run([str(src), str(probe), "--hash", "--manifest", "-q", "--clear"]) == 0
    names: dict[str, str] = json.loads((probe / "staticfiles.json").read_text())["paths"]
    app = f'<link href="/{names["css/app.css"]}"><script src="/{names["js/app.js"]}"></script>'
    write(src / "index.html", f"<html>home v{version} {app}</html>")
    write(src / "docs" / "index.html", f"<html>docs v{version} {app}</html>")
    write(src / "about.html", f'<html>about <link href="/{names["css/about.css"]}"></html>')
    assert run([str(src), str(dest), "--all", "-q", "-e", "*.html", *flags]) == 0
    paths: dict[str, str] = json.loads((dest / "staticfiles.json").read_text())["paths"]
    assert {key: paths[key] for key in names} == names  # the pages name the served files
    return paths


def copy_with_other_mtimes(source: Path, target: Path) -> Path:
    """A second replica's copy of a build: same bytes, every mtime an hour earlier."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    for directory, _, files in os.walk(target):
        for name in files:
            path = os.path.join(directory, name)
            info = os.stat(path)
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - 3600 * 10**9))
    return target


def references(page: bytes) -> list[str]:
    return _REFERENCE.findall(page.decode())


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.05)
