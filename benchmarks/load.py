"""Drive wrk (pinned to the load core) and read its results.

A Lua ``done()`` hook prints the summary as JSON (no per-request Lua, which would slow wrk
down); request headers go on the command line with ``-H``. ``lua`` adds code before the
hook (the scale benchmark's ``request()`` cycling through many URLs), ``script_args`` reach
its ``init(args)``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import asdict, dataclass

from benchmarks.contenders import LOAD_CORE
from benchmarks.fixtures import WORK

CONNECTIONS = 32
THREADS = 1

_LUA = """\
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "mean_us": %f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(99), latency.mean))
end
"""


class LoadError(RuntimeError):
    """wrk failed or reported errors that make the number meaningless."""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    bytes: int
    errors: dict[str, int]
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"rps": self.rps}


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise LoadError("wrk is not installed: run benchmarks/setup.sh")
    return found


def run_wrk(
    url: str,
    headers: dict[str, str],
    seconds: float,
    *,
    connections: int = CONNECTIONS,
    lua: str = "",
    script_args: tuple[str, ...] = (),
) -> LoadResult:
    code = lua + _LUA
    name = f"summary-{hashlib.sha256(lua.encode()).hexdigest()[:12]}.lua" if lua else "summary.lua"
    script = WORK / name
    script.parent.mkdir(parents=True, exist_ok=True)
    if not script.exists() or script.read_text() != code:
        script.write_text(code)
    command = [
        "taskset", "-c", LOAD_CORE,
        wrk_binary(),
        "-t", str(THREADS),
        "-c", str(connections),
        "-d", f"{max(1, round(seconds))}s",
        "--timeout", "30s",
        "-s", str(script),
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 90, check=False
    )
    if finished.returncode != 0:
        raise LoadError(
            f"wrk exited with {finished.returncode}: {finished.stderr or finished.stdout}"
        )
    for line in finished.stdout.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line.removeprefix("WRKJSON "))
            break
    else:
        raise LoadError(f"no summary from wrk:\n{finished.stdout}")
    errors = {key: data[key] for key in ("connect", "read", "write", "status", "timeout")}
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        bytes=data["bytes"],
        errors=errors,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
