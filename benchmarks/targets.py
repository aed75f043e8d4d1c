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


# Scale with the number of files (issue 19 item 2, benchmarks/scale.py).
#: Construction over the largest tree (100,000 files): ours / the bare walk, at most.
SCALE_STARTUP_FLOOR_MAX = 2.0
#: Cold start (import + construction) over the smallest tree (1,000 files): ours /
#: ServeStatic 4.4, at most (serverless and CLI users pay it on every start).
SCALE_COLD_MAX = 1.0
#: Index memory per file (RSS added by construction / files) over the largest tree: ours /
#: ServeStatic 4.4, at most.
SCALE_MEMORY_PER_FILE_MAX = 0.3
#: Throughput over the largest tree / over the smallest, at least.
SCALE_THROUGHPUT_MIN = 0.95

# Retained builds (issue 19 item 3).
#: Linear growth: what each file added by the retained builds costs (start-up seconds, RSS)
#: over what each file of the first build cost, at most. Above 1, growth is superlinear.
RETAIN_MARGINAL_MAX = 1.2
#: Per-request cost with 5 retained builds / with none, at most ("unchanged": the 0.95×
#: throughput bar of issue 19 item 3, as a cost).
RETAIN_REQUEST_MAX = 1 / 0.95
