"""The performance targets of issue 6, as minimum ratios ours / ServeStatic 4.4 (one run).

``None`` as a server means every WSGI server. In-process ratios compare microseconds per
request (ServeStatic's time / ours). Start-up targets are maximum ratios ours / ServeStatic.
"""

from __future__ import annotations

WSGI_SERVERS = ("gunicorn-sync", "gunicorn-gthread", "granian-wsgi")

#: (server, scenario) → minimum ours/ServeStatic throughput ratio.
LOAD: dict[tuple[str, str], float] = {
    ("uvicorn", "small"): 10.0,
    ("uvicorn", "compressed"): 10.0,
    ("uvicorn", "big"): 10.0,
    ("uvicorn", "range"): 10.0,
    ("uvicorn", "not-modified"): 1.2,
    ("granian-asgi", "small"): 1.4,
    ("granian-asgi", "range"): 10.0,
    ("granian-asgi", "not-modified"): 1.2,
    ("granian-asgi", "big"): 1.0,
}
#: WSGI servers: never slower than ServeStatic, in every scenario.
WSGI_MIN = 1.0
#: granian ASGI should reach half of nginx's small-file rate (an aim, not a gate).
GRANIAN_NGINX_AIM = 0.5

#: (interface, variant, scenario) → minimum speed-up in process.
INPROCESS: dict[tuple[str, str, str], float] = {
    ("wsgi", "-", "small"): 3.0,
    ("wsgi", "-", "compressed"): 3.0,
    ("wsgi", "-", "not-modified"): 2.0,
    # "In-process ASGI ≥ 100× faster": ServeStatic's thread-per-response file paths.
    ("asgi", "plain", "small"): 100.0,
    ("asgi", "plain", "compressed"): 100.0,
    ("asgi", "plain", "range"): 100.0,
}

#: Start-up over 10,000 files: ours / ServeStatic at most this.
STARTUP_TIME_MAX = 0.5
STARTUP_RSS_MAX = 1.0


def load_target(server: str, scenario: str) -> float | None:
    if server in WSGI_SERVERS:
        return WSGI_MIN
    return LOAD.get((server, scenario))


#: Issue 19 item 5, the build on real npm packages (benchmarks/npmbuild.py): wall time of
#: ours ÷ ServeStatic 4.4's CLI writing the same encodings, at most these.
NPM_COLD_MAX = 1.0
NPM_REBUILD_MAX = 0.1
