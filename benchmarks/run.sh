#!/usr/bin/env bash
# The one command: prepare the environments (idempotent), then run the suite.
#   benchmarks/run.sh --quick      # a few minutes, for development
#   benchmarks/run.sh              # the full run (about 70 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
bash benchmarks/setup.sh >/dev/null
exec env PYTHONPATH="$PWD" benchmarks/.venvs/bench/bin/python -m benchmarks "$@"
