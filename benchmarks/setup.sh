#!/usr/bin/env bash
# Prepare everything the benchmark suite needs. Idempotent: run it again at any time.
#
#   benchmarks/setup.sh
#
# - Debian: nginx (the physical-limit reference) and wrk (the load generator).
# - benchmarks/.venvs/servestatic44: ServeStatic 4.4.0 (it shares our import name, so it
#   needs its own environment) with the same server versions as the main .venv.
# - benchmarks/.venvs/whitenoise: WhiteNoise 6.12.0, same servers.
# - benchmarks/.work/npm: pinned real npm packages for the build benchmark (benchmarks/npm.py),
#   checked against the registry's integrity; skipped when already unpacked.
# - benchmarks/.venvs/bench: the driver's tools (matplotlib, py-spy, pyinstrument); never a
#   dependency of servestatic itself.
# Our own contender runs from the main .venv (servestatic is installed there, editable).
set -euo pipefail
cd "$(dirname "$0")/.."

MAIN=.venv/bin/python
VENVS=benchmarks/.venvs
if [ ! -x "$MAIN" ]; then
  echo "no main .venv: run scripts/install first" >&2
  exit 1
fi
PYTHON=$("$MAIN" -c 'import sys; print(sys._base_executable)')

need_apt=()
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
# brotli_static lets nginx serve the same .br variants the Python libraries negotiate.
[ -e /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] || need_apt+=(libnginx-mod-http-brotli-static)
command -v taskset >/dev/null 2>&1 || need_apt+=(util-linux)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
# Debian starts nginx as a service on install; the benchmark runs its own instance.
if command -v service >/dev/null 2>&1 && pgrep -x nginx >/dev/null 2>&1 && [ -f /run/nginx.pid ]; then
  service nginx stop >/dev/null 2>&1 || true
fi

# Pin the servers to the versions the main environment has, so ratios compare libraries.
pins=$("$MAIN" - <<'EOF'
from importlib.metadata import version
names = ["uvicorn", "httptools", "uvloop", "granian", "gunicorn", "brotli"]
print(" ".join(f"{n}=={version(n)}" for n in names))
EOF
)

make_venv() {
  local dir=$1 pinned=$2
  shift 2
  if [ ! -x "$dir/bin/python" ]; then
    "$PYTHON" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  fi
  # pip's find-links notices are noise here; real errors still fail the script.
  # shellcheck disable=SC2086
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check $pinned "$@" 2>&1 \
    | { grep -v "^WARNING: Location" || true; }
}

mkdir -p "$VENVS"
make_venv "$VENVS/servestatic44" "$pins" "servestatic==4.4.0"
make_venv "$VENVS/whitenoise" "$pins" "whitenoise==6.12.0"
make_venv "$VENVS/bench" "" "matplotlib>=3.8" "brotli" "py-spy>=0.3" "pyinstrument>=4.6"

# Stdlib only: the base interpreter fetches and verifies the pinned tarballs.
PYTHONPATH="$PWD" "$PYTHON" -m benchmarks.npm

echo "benchmark environments ready:"
for dir in "$VENVS"/*/; do
  printf '  %s: ' "$dir"
  "$dir/bin/python" - <<'EOF'
from importlib.metadata import PackageNotFoundError, version
found = []
for name in ("servestatic", "whitenoise", "uvicorn", "granian", "gunicorn", "matplotlib", "py-spy"):
    try:
        found.append(f"{name} {version(name)}")
    except PackageNotFoundError:
        pass
print(", ".join(found))
EOF
done
printf '  wrk: %s\n  nginx: %s\n' "$(command -v wrk)" "$( (nginx -v 2>&1 || /usr/sbin/nginx -v 2>&1) | head -1)"
