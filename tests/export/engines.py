"""Run a real nginx or Caddy on 127.0.0.1 with an exported configuration (no root needed).

Both binaries come from Debian packages that ``scripts/install`` installs; a missing one
fails the test (as the browser test does for Chromium) instead of skipping it green.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import free_port, wait_until_up

__all__ = ["BROTLI_MODULE", "caddy_binary", "nginx_binary", "running_caddy", "running_nginx"]

#: Debian's libnginx-mod-http-brotli-static.
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )
    if found is None:
        pytest.fail("no nginx: scripts/install installs Debian's nginx-light package")
    if not BROTLI_MODULE.is_file():
        pytest.fail(f"no {BROTLI_MODULE}: scripts/install installs libnginx-mod-http-brotli-static")
    return found


def caddy_binary() -> str:
    found = shutil.which("caddy")
    if found is None:
        pytest.fail("no caddy: scripts/install installs Debian's caddy package")
    return found


def _stop(process: subprocess.Popen[bytes]) -> str:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    return output.decode(errors="replace")


@contextlib.contextmanager
def running_nginx(exported: str, workdir: Path) -> Iterator[str]:
    """nginx with ``exported`` included in its http block; yields the base URL."""
    binary = nginx_binary()
    port = free_port()
    prefix = workdir / "nginx"
    for name in ("logs", "temp"):
        (prefix / name).mkdir(parents=True, exist_ok=True)
    (prefix / "servestatic.conf").write_text(
        exported.replace("listen 80;", f"listen 127.0.0.1:{port};"), encoding="utf-8"
    )
    temp = prefix / "temp"
    # Workers run as the user starting nginx; as root they would switch to "nobody",
    # who cannot read pytest's private temporary directories.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"{user}load_module {BROTLI_MODULE};\n"
        f"error_log {prefix / 'logs' / 'error.log'} warn;\n"
        "worker_processes 1;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        "    access_log off;\n"
        f"    client_body_temp_path {temp / 'body'};\n"
        f"    proxy_temp_path {temp / 'proxy'};\n"
        f"    fastcgi_temp_path {temp / 'fastcgi'};\n"
        f"    uwsgi_temp_path {temp / 'uwsgi'};\n"
        f"    scgi_temp_path {temp / 'scgi'};\n"
        f"    include {prefix / 'servestatic.conf'};\n"
        "}\n",
        encoding="utf-8",
    )
    command = [
        binary,
        "-p",
        str(prefix),
        "-c",
        str(prefix / "nginx.conf"),
        "-g",
        f"daemon off; pid {prefix / 'nginx.pid'};",
    ]
    checked = subprocess.run(
        [*command, "-t"], capture_output=True, text=True, timeout=30, check=False
    )
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_until_up(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)
    log = (prefix / "logs" / "error.log").read_text(encoding="utf-8", errors="replace")
    # The configuration must not make nginx complain while serving (an uninitialised
    # variable, a failed rewrite, a file it could not open).
    for level in ("[warn]", "[error]", "[crit]"):
        assert level not in log, log


@contextlib.contextmanager
def running_caddy(exported: str, workdir: Path) -> Iterator[str]:
    """Caddy with ``exported`` imported after test-only global options; yields the base URL."""
    binary = caddy_binary()
    port = free_port()
    home = workdir / "caddy"
    home.mkdir(parents=True, exist_ok=True)
    site = exported.replace("\n:80 {\n", f"\nhttp://127.0.0.1:{port} {{\n")
    assert site != exported, "the exported site address was not found"
    (home / "site.caddy").write_text(site, encoding="utf-8")
    (home / "Caddyfile").write_text(
        "{\n"
        "\tadmin off\n"
        "\tauto_https off\n"
        f"\tstorage file_system {home / 'storage'}\n"
        "}\n"
        f"import {home / 'site.caddy'}\n",
        encoding="utf-8",
    )
    environment = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
    }
    command = [binary, "run", "--config", str(home / "Caddyfile"), "--adapter", "caddyfile"]
    validated = subprocess.run(
        [binary, "validate", "--config", str(home / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )
    assert validated.returncode == 0, validated.stderr[-4000:]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environment,
        start_new_session=True,
    )
    try:
        wait_until_up(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        output = _stop(process)
    assert '"level":"error"' not in output, output[-4000:]
