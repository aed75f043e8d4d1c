"""The benchmark report's target accounting (``benchmarks/report.py``): which misses are
servestatic's and which no application reaches on that server, and where the time goes.

Built from small hand-made ``results.json`` data: the benchmark itself is not run here."""

from __future__ import annotations

from typing import Any

from benchmarks.report import summary, targets


def _load(server: str, library: str, scenario: str, value: float, cpu: float) -> dict[str, Any]:
    return {
        "server": server,
        "library": library,
        "scenario": scenario,
        "value": value,
        "cpu_us_per_request": cpu,
    }


def _slow(library: str, above_mib: float, fast: float | None) -> dict[str, Any]:
    return {
        "server": "uvicorn",
        "library": library,
        "kind": "range",
        "readers": 1000,
        "idle_rss": 40 * 2**20,
        "stalled_rss": (40 + above_mib) * 2**20,
        "fast_ratio": fast,
    }


def _data(load: list[dict[str, Any]], slow: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"load": load, "inprocess": [], "startup": [], "slow": slow or [], "npm": []}


def test_a_miss_against_the_trivial_app_is_servestatics_with_both_cpu_times() -> None:
    data = _data(
        [
            _load("uvicorn", "ours", "range", 8_000, 70.2),
            _load("uvicorn", "trivial", "range", 10_000, 59.7),
            _load("uvicorn", "servestatic44", "range", 500, 900.0),
        ]
    )
    met, mine, servers = targets(data)
    assert mine == [
        "uvicorn range 0.80× trivial (≥0.9×), server CPU 70.2 µs per request"
        " against the trivial app's 59.7"
    ]
    assert met == ["uvicorn range 16.00× ServeStatic (≥10×)"]
    assert servers == []


def test_a_target_the_trivial_app_misses_too_is_the_servers() -> None:
    # ServeStatic's ratio under gunicorn: ours 0.98x, and the trivial app only 0.99x.
    data = _data(
        [
            _load("gunicorn-sync", "ours", "miss", 4_900, 200.0),
            _load("gunicorn-sync", "trivial", "miss", 4_950, 199.0),
            _load("gunicorn-sync", "servestatic44", "miss", 5_000, 198.0),
        ]
    )
    met, mine, servers = targets(data)
    assert servers == ["gunicorn-sync miss 0.98× ServeStatic (≥1×), the trivial app 0.99×"]
    assert mine == []
    # The trivial-ratio target itself (0.99x) is met.
    assert met == [
        "gunicorn-sync miss 0.99× trivial (≥0.9×), server CPU 200.0 µs per request"
        " against the trivial app's 199.0"
    ]


def test_the_same_ratio_is_servestatics_when_the_trivial_app_meets_the_target() -> None:
    data = _data(
        [
            _load("gunicorn-sync", "ours", "miss", 4_900, 200.0),
            _load("gunicorn-sync", "trivial", "miss", 5_100, 199.0),
            _load("gunicorn-sync", "servestatic44", "miss", 5_000, 198.0),
        ]
    )
    _, mine, servers = targets(data)
    assert mine == ["gunicorn-sync miss 0.98× ServeStatic (≥1×)"]
    assert servers == []


def test_the_moonshot_is_the_servers_when_the_trivial_app_is_below_it() -> None:
    load = [
        _load("granian-asgi", "ours", "small", 25_000, 40.0),
        _load("granian-asgi", "trivial", "small", 29_000, 34.0),
        _load("nginx", "nginx", "small", 55_000, 18.0),
    ]
    _, mine, servers = targets(_data(load))
    assert servers == ["granian-asgi small 0.45× nginx (moonshot ≥0.6×), the trivial app 0.53×"]
    assert [line for line in mine if "nginx" in line] == []
    # With a faster trivial app the same miss is the library's.
    load[1] = _load("granian-asgi", "trivial", "small", 34_000, 30.0)
    _, mine, servers = targets(_data(load))
    assert "granian-asgi small 0.45× nginx (moonshot ≥0.6×)" in mine
    assert servers == []


def test_stalled_readers_are_judged_against_the_trivial_apps_own_figures() -> None:
    # Both hold ~100 MiB for 1,000 stalled readers: the server's. Fast clients: ours
    # 0.5x while the trivial app keeps 0.95x: that one is servestatic's.
    data = _data([], [_slow("ours", 99, 0.5), _slow("trivial", 104, 0.95)])
    met, mine, servers = targets(data)
    assert servers == [
        "uvicorn 1,000 stalled readers (range): +99 MiB (≤40), the trivial app +104 MiB"
    ]
    assert mine == ["uvicorn 1,000 stalled readers (range): fast clients 0.50× (≥0.9×)"]
    assert met == []
    # Without the trivial app's run, nothing is blamed on the server.
    _, mine, servers = targets(_data([], [_slow("ours", 99, 0.5)]))
    assert servers == []
    assert len(mine) == 2


def test_the_summary_names_both_kinds_of_miss_apart() -> None:
    data = _data(
        [
            _load("uvicorn", "ours", "range", 8_000, 70.2),
            _load("uvicorn", "trivial", "range", 10_000, 59.7),
        ],
        [_slow("ours", 99, 0.95), _slow("trivial", 104, 0.95)],
    )
    text = summary(data)
    assert text.startswith("1 of 3 gated ratios meet their target in this run.")
    mine, _, servers = text.partition("Missed by every application on that server")
    assert "Missed by servestatic: uvicorn range 0.80× trivial" in mine
    assert "+99 MiB (≤40), the trivial app +104 MiB" in servers
    assert "range 0.80×" not in servers
