"""Who runs where: libraries, their virtual environments, servers and command lines.

Every server gets one worker process pinned to core 0 (``taskset -c 0``); the load generator
runs on core 1. Commands are built here and started by :mod:`benchmarks.servers`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from benchmarks.fixtures import SITE, WORK

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENVS = HERE / ".venvs"
#: Code that runs inside the contenders' environments (stdlib only): on their PYTHONPATH.
CONTENDER = HERE / "contender"
SERVER_CORE = "0"
LOAD_CORE = "1"


@dataclass(frozen=True)
class Library:
    name: str
    label: str
    venv: Path
    interfaces: frozenset[str]  # "wsgi", "asgi"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


LIBRARIES = {
    "ours": Library("ours", "servestatic", REPO / ".venv", frozenset({"wsgi", "asgi"})),
    "servestatic44": Library(
        "servestatic44", "ServeStatic 4.4", VENVS / "servestatic44", frozenset({"wsgi", "asgi"})
    ),
    "whitenoise": Library(
        "whitenoise", "WhiteNoise 6.12", VENVS / "whitenoise", frozenset({"wsgi"})
    ),
    # A bare application answering from memory: the server's own ceiling.
    "trivial": Library("trivial", "trivial app", REPO / ".venv", frozenset({"wsgi", "asgi"})),
}

#: Contenders in the order tables list them.
LIBRARY_ORDER = ("ours", "servestatic44", "whitenoise", "trivial", "nginx")
LABELS = {name: library.label for name, library in LIBRARIES.items()} | {"nginx": "nginx"}


@dataclass(frozen=True)
class Server:
    name: str
    interface: str  # "wsgi", "asgi" or "http" (nginx)


SERVERS = {
    "uvicorn": Server("uvicorn", "asgi"),
    "granian-asgi": Server("granian-asgi", "asgi"),
    "granian-wsgi": Server("granian-wsgi", "wsgi"),
    "gunicorn-sync": Server("gunicorn-sync", "wsgi"),
    "gunicorn-gthread": Server("gunicorn-gthread", "wsgi"),
    # Only in the slow-reader part (benchmarks/slowreaders.py) for now.
    "hypercorn": Server("hypercorn", "asgi"),
    "hypercorn-trio": Server("hypercorn-trio", "asgi"),
    "nginx": Server("nginx", "http"),
}
PYTHON_SERVERS = ("uvicorn", "granian-asgi", "granian-wsgi", "gunicorn-gthread", "gunicorn-sync")


def server_command(library: Library, server: str, port: int) -> list[str]:
    """The command line (without ``taskset``) that serves ``library`` under ``server``."""
    bin_dir = library.venv / "bin"
    interface = SERVERS[server].interface
    factory = "serve_apps:make_asgi" if interface == "asgi" else "serve_apps:make_wsgi"
    if server == "uvicorn":
        return [
            str(bin_dir / "uvicorn"),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--loop", "uvloop",
            "--http", "httptools",
            "--no-access-log",
            "--log-level", "warning",
            "--lifespan", "off",
            "--factory", factory,
        ]  # fmt: skip
    if server.startswith("granian"):
        return [
            str(bin_dir / "granian"),
            "--interface", interface,
            "--host", "127.0.0.1",
            "--port", str(port),
            "--workers", "1",
            "--http", "1",
            "--no-ws",
            "--log-level", "warning",
            "--factory", factory,
        ]  # fmt: skip
    if server.startswith("hypercorn"):
        return [
            str(bin_dir / "hypercorn"),
            "--bind", f"127.0.0.1:{port}",
            "--workers", "1",
            "--worker-class", "trio" if server == "hypercorn-trio" else "asyncio",
            # uvicorn and gunicorn listen with a backlog of 2,048; hypercorn's 100 would
            # drop the slow-reader benchmark's connection bursts.
            "--backlog", "2048",
            "--log-level", "warning",
            f"{factory}()",
        ]  # fmt: skip
    worker = "gthread" if server == "gunicorn-gthread" else "sync"
    return [
        str(bin_dir / "gunicorn"),
        "--bind", f"127.0.0.1:{port}",
        "--workers", "1",
        "--worker-class", worker,
        "--threads", "4" if worker == "gthread" else "1",
        "--log-level", "warning",
        "--keep-alive", "5",
        f"{factory}()",
    ]  # fmt: skip


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found


NGINX_CONF = """\
# The physical-limit reference: one worker, sendfile, precompressed variants, no logs.
user root;
worker_processes 1;
daemon off;
pid {work}/nginx/nginx.pid;
error_log stderr warn;
load_module /usr/lib/nginx/modules/ngx_http_brotli_static_module.so;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    # Production tuning: keep descriptors and stat results of hot files.
    open_file_cache max=10000 inactive=60s;
    open_file_cache_valid 60s;
    client_body_temp_path {work}/nginx/body;
    proxy_temp_path {work}/nginx/proxy;
    fastcgi_temp_path {work}/nginx/fastcgi;
    uwsgi_temp_path {work}/nginx/uwsgi;
    scgi_temp_path {work}/nginx/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {site};
        location /static/ {{
            gzip_static on;
            brotli_static on;
            gzip_vary on;
            add_header Cache-Control "max-age=60, public";
            add_header Access-Control-Allow-Origin *;
            try_files $uri @app;
        }}
        location @app {{
            default_type text/plain;
            return 200 "app";
        }}
    }}
}}
"""


def nginx_command(port: int) -> list[str]:
    directory = WORK / "nginx"
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "nginx.conf"
    conf.write_text(NGINX_CONF.format(work=WORK, port=port, site=SITE))
    return [nginx_binary(), "-c", str(conf), "-p", str(directory), "-e", "stderr"]
