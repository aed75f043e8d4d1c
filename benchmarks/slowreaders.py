"""Slow readers: the memory clients that stop reading make a server hold, and whether fast
clients keep their throughput meanwhile (issue 13 item 4, issue 19 item 4).

    PYTHONPATH=. benchmarks/.venvs/bench/bin/python -m benchmarks.slowreaders [--quick]
    benchmarks/run.sh --skip load,inprocess,startup      # the same, inside the full report

For every server × body kind (the whole 64 MiB file, an open-ended range of it) × number
of readers, on a fresh server pinned to the server core:

1. warm up (one download of each kind), wait until the server is idle, then the **idle**
   RSS (every process of the server, summed);
2. N **stalled readers**: each sends the request with a 4 KiB receive buffer and a
   1,448-byte MSS (a client across Ethernet) and never reads; wait until every reader's
   response has started and the server is idle again (RSS steady, under 5% of a core):
   the **stalled** RSS;
3. the fast clients while the readers stay stalled (**loaded**): wrk,
   ``FAST_CONNECTIONS`` connections downloading the same file the same way, best of
   ``--fast-repeats`` runs (MB/s); the **peak** RSS is the largest sample (every 0.1 s)
   from step 2 to here;
4. close the readers (TCP reset); the **after-close** RSS once the server is idle again;
5. the fast clients again, **alone**.

``trivial`` is a bare application streaming new 16 KiB blocks of zeros (WSGI: a
generator; ASGI: ``send``, stopping when the client leaves): it reads no file and holds
nothing of its own, so what it shows is the server's own buffering of what an application
sends, the floor for any application on that server.

``--ours-path DIR`` measures another ``servestatic`` package as ``ours`` (``git archive
COMMIT servestatic | tar -x -C DIR``): the before/after comparison of the docs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import http.client
import json
import random
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.fixtures import WORK, _current, _stamp, _write
from benchmarks.load import LoadError, run_wrk
from benchmarks.servers import Running, ServerError, other_cpu_seconds, serve

SLOW = WORK / "slow"
LARGE_SIZE = 64 * 1024 * 1024
LARGE_PATH = "/static/large.bin"
#: body kind → request headers. ``bytes=1-`` is the range a download manager resumes with.
KINDS: dict[str, dict[str, str]] = {"whole": {}, "range": {"Range": "bytes=1-"}}
SLOW_SERVERS = ("uvicorn", "granian-asgi", "granian-wsgi", "gunicorn-gthread", "hypercorn")
SLOW_LIBRARIES = ("ours", "trivial")
READERS = (100, 1000)
FAST_CONNECTIONS = 8
#: The stalled readers' receive buffer: small, so the stall reaches the server at once.
READER_RCVBUF = 4096
#: The stalled readers' maximum segment size: a client across Ethernet. Over loopback's
#: 64 KiB segments, Linux would let each connection's send buffer take about 3 MiB before
#: the server sees the stall (``--loopback-mss`` measures that case too).
READER_MSS = 1448
#: Stop opening readers past this server RSS (a safety net for a shared machine).
RSS_CAP = 4 * 1024**3
#: The targets: RSS at most this far above idle with 1,000 stalled readers ("a few tens
#: of MiB"), and fast clients at this share of their rate alone at least.
PEAK_ABOVE_IDLE_MAX_MIB = 40.0
SLOW_TARGET_READERS = 1000
FAST_RATIO_MIN = 0.9
MIB = 1024 * 1024
#: SO_LINGER on with a zero timeout: close() sends RST.
LINGER_RESET = (1).to_bytes(4, "little") + (0).to_bytes(4, "little")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def build_slow_site() -> str:
    """``slow/static/large.bin`` (64 MiB, deterministic) and ``small.js``; its SHA-256."""
    rng = random.Random(4321)
    data = rng.randbytes(LARGE_SIZE)
    stamp = {"version": 1, "large": LARGE_SIZE}
    if not _current(SLOW, stamp):
        _write(SLOW / "static" / "large.bin", data)
        _write(SLOW / "static" / "small.js", b"// small\n" * 100)
        _stamp(SLOW).write_text(json.dumps(stamp))
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------- measuring


def tree_rss(running: Running) -> int:
    """The resident set of the server and every process under it, in bytes."""
    total = 0
    for pid in running.pids():
        with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
    return total


class Sampler:
    """Sample a server's RSS every 0.1 s in a thread; the largest sample since ``reset``.

    Past :data:`RSS_CAP` the readers are dropped at once (``capped``): a server that holds
    several MiB per reader would otherwise take a shared machine's memory.
    """

    def __init__(self, running: Running) -> None:
        self.running = running
        self.peak = 0
        self.last = 0
        self.capped = False
        self.readers: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.last = tree_rss(self.running)
            self.peak = max(self.peak, self.last)
            if self.last > RSS_CAP and not self.capped:
                self.capped = True
                log(f"    RSS past {RSS_CAP // MIB} MiB: dropping the readers")
                for sock in list(self.readers):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
            self._stop.wait(0.1)

    def reset(self) -> None:
        self.peak = tree_rss(self.running)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def settle(running: Running, *, quiet: float = 2.0, limit: float = 60.0) -> int:
    """Wait until the server is done: its RSS moves less than 1 MiB over ``quiet`` seconds
    and it uses under 5% of a core meanwhile (pushing data into the readers' socket
    buffers can take a while with many readers). Returns the RSS."""
    deadline = time.monotonic() + limit
    window: list[tuple[float, int, float]] = []
    while True:
        now, rss, cpu = time.monotonic(), tree_rss(running), running.cpu_seconds()
        window = [item for item in window if now - item[0] <= quiet] + [(now, rss, cpu)]
        spread = max(item[1] for item in window) - min(item[1] for item in window)
        elapsed = now - window[0][0]
        busy = (cpu - window[0][2]) / elapsed if elapsed else 1.0
        if elapsed >= quiet * 0.9 and spread < MIB and busy < 0.05:
            return rss
        if now >= deadline:
            return rss
        time.sleep(0.2)


def _request(port: int, headers: dict[str, str]) -> bytes:
    lines = [f"GET {LARGE_PATH} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@contextlib.contextmanager
def stalled_readers(
    sampler: Sampler, headers: dict[str, str], count: int, mss: int = READER_MSS
) -> Iterator[list[socket.socket]]:
    """``count`` connections that send the request and never read; closed on exit."""
    request = _request(sampler.running.port, headers)
    sockets = sampler.readers = []
    try:
        for _ in range(count):
            if sampler.capped:
                break
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, READER_RCVBUF)
            if mss:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
            sock.settimeout(10)
            sock.connect(("127.0.0.1", sampler.running.port))
            sock.sendall(request)
            # Non-blocking from here: ``answered`` peeks without waiting.
            sock.setblocking(False)
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            with contextlib.suppress(OSError):
                # RST rather than FIN: what a vanished client looks like, and no TIME_WAIT.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
            sock.close()


def answered(sockets: list[socket.socket]) -> int:
    """How many readers have the start of their response waiting in their buffer."""
    count = 0
    for sock in sockets:
        with contextlib.suppress(OSError):
            if sock.recv(1, socket.MSG_PEEK):
                count += 1
    return count


def wait_answered(sockets: list[socket.socket], limit: float = 20.0) -> int:
    deadline = time.monotonic() + limit
    while True:
        found = answered(sockets)
        if found == len(sockets) or time.monotonic() >= deadline:
            return found
        time.sleep(0.2)


def verify_large(running: Running, sha256: str, *, trivial: bool) -> None:
    """One full download of each kind: status, length and (ours) the exact bytes."""
    for kind, headers in KINDS.items():
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=60)
        try:
            connection.request("GET", LARGE_PATH, headers=headers)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        status, length = (200, LARGE_SIZE) if kind == "whole" else (206, LARGE_SIZE - 1)
        if response.status != status or len(body) != length:
            raise LoadError(f"{kind}: status {response.status}, {len(body)} bytes")
        if not trivial:
            full = body if kind == "whole" else None
            if full is not None and hashlib.sha256(full).hexdigest() != sha256:
                raise LoadError("whole file: bytes differ from the fixture")


def fast_rate(
    running: Running, headers: dict[str, str], seconds: float, repeats: int
) -> dict[str, Any]:
    """The fast clients' rate: the best of ``repeats`` wrk runs (on a shared machine, the
    best run is the one least disturbed by other work), with the CPU others took."""
    runs = []
    for _ in range(repeats):
        pids = running.pids()
        others = other_cpu_seconds(pids)
        result = run_wrk(running.base + LARGE_PATH, headers, seconds, connections=FAST_CONNECTIONS)
        others = other_cpu_seconds(pids) - others
        mbps = result.bytes / result.seconds / 1e6 if result.seconds else 0.0
        runs.append(
            {
                "mbps": mbps,
                "requests": result.requests,
                "errors": result.errors,
                "other_cpu_share": others / result.seconds if result.seconds else 0.0,
            }
        )
    best = max(runs, key=lambda run: run["mbps"])
    return best | {"runs": [run["mbps"] for run in runs]}


@dataclass(frozen=True)
class SlowPlan:
    servers: list[str]
    libraries: list[str]
    kinds: list[str]
    readers: list[int]
    fast_seconds: float
    fast_repeats: int
    #: The stalled readers' MSS (0: the loopback default).
    mss: int = READER_MSS
    #: A directory with another ``servestatic`` package to measure as ``ours`` (a
    #: ``git archive`` of an older commit: before/after comparisons).
    ours_path: str | None = None


def measure(
    library: str, server: str, kind: str, count: int, plan: SlowPlan, sha256: str
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "server": server,
        "library": library,
        "kind": kind,
        "readers": count,
    }
    headers = KINDS[kind]
    try:
        extra = Path(plan.ours_path) if library == "ours" and plan.ours_path else None
        with (
            serve(library, server, root=SLOW / "static", extra_path=extra) as running,
            Sampler(running) as sampler,
        ):
            verify_large(running, sha256, trivial=library == "trivial")
            idle = settle(running)
            sampler.reset()
            with stalled_readers(sampler, headers, count, plan.mss) as sockets:
                record["opened"] = len(sockets)
                started = time.monotonic()
                record["answered"] = wait_answered(sockets)
                record["stalled_rss"] = settle(running)
                record["settle_s"] = time.monotonic() - started
                loaded = fast_rate(running, headers, plan.fast_seconds, plan.fast_repeats)
                record["still_answered"] = answered(sockets)
                peak = sampler.peak
            sampler.reset()
            after = settle(running, quiet=3.0)
            record["closing_peak_rss"] = sampler.peak
            record["capped"] = sampler.capped
            # The fast clients alone come last: wrk cuts its downloads off when its time
            # is up, and hypercorn (asyncio) tells an application neither by raising from
            # send() nor with http.disconnect, so a trivial app sends the rest of those
            # bodies into the void, which would be counted with the readers.
            unloaded = fast_rate(running, headers, plan.fast_seconds, plan.fast_repeats)
            if running.process.poll() is not None:
                record["error"] = f"server died: {running.output()}"
    except (ServerError, LoadError, OSError) as error:
        record["error"] = str(error)
        log(f"  {library} {server} {kind} {count}: {error}")
        return record
    record.update(
        idle_rss=idle,
        peak_rss=peak,
        after_rss=after,
        unloaded=unloaded,
        loaded=loaded,
        fast_ratio=loaded["mbps"] / unloaded["mbps"] if unloaded["mbps"] else None,
    )
    ratio = record["fast_ratio"]
    log(
        f"  {library:<8} {server:<16} {kind:<5} {count:>5} readers "
        f"({record['answered']} answered): idle {idle / MIB:6.1f} MiB, "
        f"stalled +{(record['stalled_rss'] - idle) / MIB:7.1f}, "
        f"peak +{(peak - idle) / MIB:7.1f}, after close +{(after - idle) / MIB:6.1f}; "
        f"fast {unloaded['mbps']:,.0f} → {loaded['mbps']:,.0f} MB/s"
        + (f" ({ratio:.2f}×)" if ratio is not None else "")
    )
    return record


def run_slow(plan: SlowPlan) -> list[dict[str, Any]]:
    sha256 = build_slow_site()
    return [
        measure(library, server, kind, count, plan, sha256)
        for server in plan.servers
        for kind in plan.kinds
        for count in plan.readers
        for library in plan.libraries
    ]


# ---------------------------------------------------------------------- report


def _mib(value: float) -> str:
    return f"{value / MIB:,.1f}"


def table(records: list[dict[str, Any]]) -> list[str]:
    """The Markdown table of a run's slow-reader records, with the targets marked."""
    lines = [
        "RSS in MiB: idle, then above idle with the readers stalled (the server idle again), "
        "at the peak (the fast clients' run included) and after the readers closed. Fast "
        f"clients: {FAST_CONNECTIONS} wrk connections downloading the same 64 MiB file the "
        "same way, MB/s alone → with the readers stalled. *answered*: readers whose "
        f"response had started. ✅/❌: at most {PEAK_ABOVE_IDLE_MAX_MIB:g} MiB above idle "
        f"with {SLOW_TARGET_READERS:,} stalled readers, fast clients at "
        f"{FAST_RATIO_MIN:g}× of their rate alone at least (marked for servestatic only; "
        "*trivial* is the server's own floor). ≥: the readers were dropped at the RSS cap.",
        "",
        "| server | kind | readers | library | answered | idle | stalled | peak "
        "| after close | fast alone | fast loaded | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for record in records:
        first = [record["server"], record["kind"], f"{record['readers']:,}", record["library"]]
        if "error" in record:
            lines.append("| " + " | ".join([*first, f"⚠ {record['error'][:80]}"]) + " |")
            continue
        idle, peak, after = record["idle_rss"], record["peak_rss"], record["after_rss"]
        stalled = (record["stalled_rss"] - idle) / MIB
        ratio = record["fast_ratio"]
        capped = "≥ " if record.get("capped") else ""
        stalled_cell = f"{capped}{stalled:,.1f}"
        peak_cell = f"{capped}{(peak - idle) / MIB:,.1f}"
        ratio_cell = "–" if ratio is None else f"{ratio:.2f}×"
        if record["library"] == "ours":
            if record["readers"] >= SLOW_TARGET_READERS:
                stalled_cell += " ✅" if stalled <= PEAK_ABOVE_IDLE_MAX_MIB else " ❌"
            if ratio is not None:
                ratio_cell += " ✅" if ratio >= FAST_RATIO_MIN else " ❌"
        answered_cell = f"{record['answered']:,}/{record['opened']:,}"
        lines.append(
            "| "
            + " | ".join(
                [
                    *first,
                    answered_cell,
                    _mib(idle),
                    stalled_cell,
                    peak_cell,
                    f"{(after - idle) / MIB:,.1f}",
                    f"{record['unloaded']['mbps']:,.0f}",
                    f"{record['loaded']['mbps']:,.0f}",
                    ratio_cell,
                ]
            )
            + " |"
        )
    return lines


def parse(argv: list[str] | None) -> tuple[SlowPlan, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.slowreaders", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="100 readers, 2 s of fast clients")
    parser.add_argument("--servers", default=",".join(SLOW_SERVERS))
    parser.add_argument("--libraries", default=",".join(SLOW_LIBRARIES))
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--readers", help="comma list of reader counts (100,1000; quick 100)")
    parser.add_argument("--fast-seconds", type=float, help="seconds per fast-client run (3)")
    parser.add_argument(
        "--fast-repeats", type=int, help="fast-client runs, the best is kept (2; quick 1)"
    )
    parser.add_argument("--output", type=Path, help="write results.json and results.md here")
    parser.add_argument(
        "--loopback-mss",
        action="store_true",
        help="stalled readers keep loopback's 64 KiB MSS (the kernel then buffers ~3 MiB "
        "per reader before the server sees the stall)",
    )
    parser.add_argument(
        "--ours-path",
        type=Path,
        help="measure the servestatic package in this directory as 'ours' (e.g. an older "
        "commit: git archive COMMIT servestatic | tar -x -C DIR)",
    )
    args = parser.parse_args(argv)
    readers = args.readers or ("100" if args.quick else ",".join(map(str, READERS)))
    plan = SlowPlan(
        servers=[s for s in args.servers.split(",") if s],
        libraries=[s for s in args.libraries.split(",") if s],
        kinds=[s for s in args.kinds.split(",") if s],
        readers=[int(n) for n in readers.split(",") if n],
        fast_seconds=args.fast_seconds or (2.0 if args.quick else 3.0),
        fast_repeats=args.fast_repeats or (1 if args.quick else 2),
        ours_path=str(args.ours_path.resolve()) if args.ours_path else None,
        mss=0 if args.loopback_mss else READER_MSS,
    )
    for kind in plan.kinds:
        if kind not in KINDS:
            parser.error(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    return plan, args


def main(argv: list[str] | None = None) -> int:
    plan, args = parse(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    records = run_slow(plan)
    lines = table(records)
    print("\n".join(lines))
    if args.output:
        args.output.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        command = "python -m benchmarks.slowreaders " + " ".join(
            argv if argv is not None else sys.argv[1:]
        )
        data = {"started": stamp, "command": command.strip(), "slow": records}
        (args.output / "results.json").write_text(json.dumps(data, separators=(",", ":")))
        text = "\n".join([f"# Slow readers {stamp}", "", f"`{data['command']}`", "", *lines, ""])
        (args.output / "results.md").write_text(text)
    return 1 if any("error" in record for record in records) else 0


if __name__ == "__main__":
    raise SystemExit(main())
