"""The performance targets of issues 6 and 19, as minimum ratios in one run.

Load: ours / ServeStatic 4.4 (issue 6, as issue 19 keeps them) and ours / the trivial app,
each server's own floor (issue 19 item 1). In-process ratios compare microseconds per
request (ServeStatic's time / ours). Start-up targets are maximum ratios ours / ServeStatic.
"""

from __future__ import annotations

WSGI_SERVERS = ("gunicorn-sync", "gunicorn-gthread", "granian-wsgi")

#: (server, scenario) → minimum ours/ServeStatic throughput ratio, where it is above 1.
LOAD: dict[tuple[str, str], float] = {
    ("uvicorn", "small"): 10.0,
    ("uvicorn", "compressed"): 10.0,
    ("uvicorn", "big"): 10.0,
    ("uvicorn", "range"): 10.0,
}
#: Every other (server, scenario): never slower than ServeStatic.
LOAD_MIN = 1.0

#: Issue 19 item 1: the library costs at most a tenth of the server, in these scenarios
#: (the 10 MiB file is the server's and the kernel's; autorefresh is an option's price).
TRIVIAL_MIN = 0.9
TRIVIAL_SCENARIOS = ("small", "compressed", "not-modified", "miss", "range")

#: Issue 19 item 6 (moonshot): granian ASGI's small-file rate over nginx's.
GRANIAN_NGINX_AIM = 0.6

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
    """Minimum ours / ServeStatic 4.4 (None for nginx, which runs no library)."""
    if server == "nginx":
        return None
    return LOAD.get((server, scenario), LOAD_MIN)


def trivial_target(server: str, scenario: str) -> float | None:
    """Minimum ours / trivial app on ``server`` (None: not gated)."""
    if server == "nginx" or scenario not in TRIVIAL_SCENARIOS:
        return None
    return TRIVIAL_MIN


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


#: Issue 19 item 5, the build on real npm packages (benchmarks/npmbuild.py): wall time of
#: ours ÷ ServeStatic 4.4's CLI writing the same encodings, at most these.
NPM_COLD_MAX = 1.0
NPM_REBUILD_MAX = 0.1
