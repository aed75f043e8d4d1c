"""Benchmark suite: servestatic against ServeStatic 4.4, WhiteNoise 6.12 and nginx.

Run ``benchmarks/run.sh`` (or ``benchmarks/.venvs/bench/bin/python -m benchmarks``); see
``docs/performance.md``. Stdlib only, except the charts (matplotlib, bench venv).
"""
