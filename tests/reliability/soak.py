"""Load and soak: N mixed requests at concurrency C against real servers, every response
checked byte for byte, resident memory and open descriptors sampled throughout.

Run it with ``scripts/soak`` (``--help`` for options); ``tests/reliability/test_soak.py``
runs a small, bounded version in the test suite.

The site is generated (seeded): text files with gzip, brotli and zstd siblings, binary
files, empty files, non-ASCII names, index directories, files of 0 B to 4 MiB. Expected
answers are computed from those bytes, not from the server: a 200 must carry exactly the
file (or exactly the precompressed sibling it names in Content-Encoding), a 206 exactly the
requested span, a multipart 206 exactly each part, a 304 no body, a miss the standard 404.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

import brotli
import zstandard

from tests.reliability.rawhttp import RawResponse, build_request, read_response_async
from tests.reliability.servers import Live, serve

__all__ = ["SERVERS", "Report", "Site", "format_table", "generate_site", "main", "run"]

#: name → (server in ``tests.live``, interface, extra command-line arguments, workers)
SERVERS: dict[str, tuple[str, str, tuple[str, ...], int]] = {
    "uvicorn": ("uvicorn", "asgi", (), 1),
    "gunicorn": ("gunicorn-gthread", "wsgi", ("--workers", "2", "--threads", "16"), 2),
    "gunicorn-sync": ("gunicorn-sync", "wsgi", ("--workers", "2"), 2),
    "granian-asgi": ("granian-asgi", "asgi", (), 1),
    "granian-wsgi": ("granian-wsgi", "wsgi", (), 1),
}
#: ``[memory_cache] max_file_size``'s default: smaller files are answered from memory, and
#: smaller spans of bigger files read from a held descriptor.
_MEMORY_CACHE_MAX = 64 * 1024
APPS = {"asgi": "servestatic.app:create_asgi()", "wsgi": "servestatic.app:create_wsgi()"}
KINDS = {
    "plain": 28,
    "encoded": 22,
    "range": 14,
    "multirange": 5,
    "if-none-match": 12,
    "if-modified-since": 4,
    "head": 3,
    "index": 2,
    "miss": 9,
    "hostile": 1,
}
ACCEPTS = ["br", "gzip", "zstd", "br, gzip", "gzip;q=0.5, zstd", "br;q=0.1, gzip", "*", "identity"]


# ---------------------------------------------------------------------------- the site


@dataclass
class File:
    data: bytes
    variants: dict[str, bytes] = field(default_factory=dict)  # coding → bytes


@dataclass
class Site:
    root: Path
    files: dict[str, File]  # URL → file
    directories: dict[str, bytes]  # "/dir/" → index.html bytes


def _text(rng: random.Random, size: int) -> bytes:
    words = [b"static", b"server", b"byte", b"range", b"brotli", b"gzip", b"\xc3\xa9t\xc3\xa9"]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words) + b" "
    return bytes(out[:size])


def generate_site(root: Path, seed: int = 1) -> Site:
    """About 230 files from 0 B to 4 MiB; compressible ones get .gz, .br and .zst."""
    rng = random.Random(seed)
    files: dict[str, File] = {}
    directories: dict[str, bytes] = {}
    sizes = [0, 1, 17] + [rng.randint(100, 8_000) for _ in range(120)]
    sizes += [rng.randint(10_000, 60_000) for _ in range(60)]
    sizes += [rng.randint(70_000, 600_000) for _ in range(40)]
    sizes += [2 * 1024 * 1024 + 7, 4 * 1024 * 1024]
    for number, size in enumerate(sizes):
        folder = ["", "css/", "js/", "img/", "deep/a/b/", "ünï côdé/"][number % 6]
        binary = number % 4 == 3
        name = f"{folder}file-{number}{'.bin' if binary else '.txt'}"
        if number % 25 == 0:
            name = f"{folder}name with spaces {number}.txt"
        data = rng.randbytes(size) if binary else _text(rng, size)
        item = File(data)
        if not binary and size >= 200:
            for coding, suffix, blob in (
                ("gzip", ".gz", gzip.compress(data, mtime=0)),
                ("br", ".br", brotli.compress(data, quality=5)),
                ("zstd", ".zst", zstandard.ZstdCompressor(level=3).compress(data)),
            ):
                if len(blob) < size and rng.random() < 0.85:
                    item.variants[coding] = blob
                    _write(root / (name + suffix), blob)
        _write(root / name, data)
        files["/" + name] = item
    for folder in ("", "docs/", "docs/guide/", "ünï côdé/"):
        index = f"<h1>{folder or 'home'}</h1>".encode() * 50
        _write(root / folder / "index.html", index)
        directories["/" + folder] = index
        files["/" + folder + "index.html"] = File(index)
    return Site(root, files, directories)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# ---------------------------------------------------------------------------- requests


@dataclass
class Planned:
    kind: str
    method: str
    target: str
    headers: dict[str, str]
    url: str  # the file or directory URL (unquoted)
    extra: tuple[tuple[int, int], ...] = ()  # byte ranges


def plan_requests(
    site: Site, count: int, seed: int, validators: dict[str, tuple[str, str]]
) -> Iterator[Planned]:
    """Yield ``count`` requests, deterministic for a seed."""
    rng = random.Random(seed)
    urls = [url for url in site.files if not url.endswith("/index.html")]
    kinds = list(KINDS)
    weights = list(KINDS.values())
    for number in range(count):
        kind = rng.choices(kinds, weights)[0]
        url = rng.choice(urls)
        size = len(site.files[url].data)
        target = quote(url)
        if kind in {"range", "multirange"} and size < 8:
            kind = "plain"
        if kind == "plain":
            yield Planned(kind, "GET", target, {}, url)
        elif kind == "encoded":
            yield Planned(kind, "GET", target, {"Accept-Encoding": rng.choice(ACCEPTS)}, url)
        elif kind == "range":
            first = rng.randrange(size)
            last = rng.randrange(first, size)
            header = f"bytes={first}-{last}"
            yield Planned(kind, "GET", target, {"Range": header}, url, ((first, last),))
        elif kind == "multirange":
            # Two spans with a gap of at least two bytes (so they are not coalesced).
            cut = rng.randrange(3, size - 2)
            a_first = rng.randrange(0, cut - 1)
            a_last = rng.randrange(a_first, cut - 1)
            b_first = rng.randrange(cut + 1, size)
            b_last = rng.randrange(b_first, size)
            header = f"bytes={a_first}-{a_last},{b_first}-{b_last}"
            spans = ((a_first, a_last), (b_first, b_last))
            yield Planned(kind, "GET", target, {"Range": header}, url, spans)
        elif kind == "if-none-match":
            yield Planned(kind, "GET", target, {"If-None-Match": validators[url][0]}, url)
        elif kind == "if-modified-since":
            yield Planned(kind, "GET", target, {"If-Modified-Since": validators[url][1]}, url)
        elif kind == "head":
            yield Planned(kind, "HEAD", target, {}, url)
        elif kind == "index":
            directory = rng.choice(list(site.directories))
            if directory != "/" and rng.random() < 0.5:
                directory = directory.rstrip("/")  # the bare name redirects to "name/"
            yield Planned(kind, "GET", quote(directory), {}, directory)
        elif kind == "miss":
            yield Planned(kind, "GET", quote(f"/missing/{number}.js"), {}, "")
        else:
            hostile = rng.choice(["/../etc/passwd", "/%2e%2e/x", "/docs/..%2f..%2fx", "//x"])
            yield Planned(kind, "GET", hostile, {}, "")


def check(site: Site, planned: Planned, response: RawResponse, etags: dict[str, str]) -> str:
    """An empty string when the response is exactly right, else what is wrong."""
    status, body = response.status, response.body
    if planned.kind in {"miss", "hostile"}:
        return "" if (status, body) == (404, b"Not Found") else f"miss: {status} {body[:40]!r}"
    if planned.kind == "index":
        if not planned.url.endswith("/"):
            location = unquote(response.header("location") or "")
            ok = status == 302 and location == planned.url.rsplit("/", 1)[-1] + "/"
            return "" if ok and body == b"" else f"index redirect: {status} {location!r}"
        expected = site.directories[planned.url]
        return "" if (status, body) == (200, expected) else f"index: {status}"
    item = site.files[planned.url]
    length = response.header("content-length")
    if planned.kind in {"if-none-match", "if-modified-since"}:
        return "" if (status, body) == (304, b"") else f"{planned.kind}: {status}"
    if planned.kind == "head":
        ok = status == 200 and body == b"" and length == str(len(item.data))
        return "" if ok else f"head: {status} {length}"
    if planned.kind == "range":
        ((first, last),) = planned.extra
        wanted = f"bytes {first}-{last}/{len(item.data)}"
        ok = status == 206 and response.header("content-range") == wanted
        return "" if ok and body == item.data[first : last + 1] else f"range: {status}"
    if planned.kind == "multirange":
        return _check_multipart(item.data, planned.extra, response)
    if status != 200:
        return f"{planned.kind}: status {status}"
    if length != str(len(body)):
        return f"{planned.kind}: Content-Length {length} for {len(body)} bytes"
    coding = response.header("content-encoding")
    if coding is None and planned.url in etags and response.header("etag") != etags[planned.url]:
        return f"{planned.kind}: ETag changed"
    if coding is None:
        return "" if body == item.data else f"{planned.kind}: identity bytes differ"
    accepted = planned.headers.get("Accept-Encoding", "")
    if coding not in item.variants or (coding not in accepted and accepted != "*"):
        return f"{planned.kind}: unexpected coding {coding}"
    return "" if body == item.variants[coding] else f"{planned.kind}: {coding} bytes differ"


def _check_multipart(
    data: bytes, ranges: tuple[tuple[int, int], ...], response: RawResponse
) -> str:
    content_type = response.header("content-type") or ""
    if response.status != 206 or "boundary=" not in content_type:
        return f"multirange: {response.status} {content_type}"
    boundary = content_type.split("boundary=", 1)[1].encode()
    parts = response.body.split(b"--" + boundary)
    if parts[-1] != b"--\r\n" or len(parts) != len(ranges) + 2:
        return "multirange: framing"
    for (first, last), part in zip(ranges, parts[1:-1], strict=True):
        head, _, body = part.partition(b"\r\n\r\n")
        if f"Content-Range: bytes {first}-{last}/{len(data)}".encode() not in head:
            return "multirange: part header"
        if body.removesuffix(b"\r\n") != data[first : last + 1]:
            return "multirange: part bytes"
    return ""


# ---------------------------------------------------------------------------- the run


@dataclass
class Sample:
    seconds: float
    done: int
    rss: int
    fds: int


@dataclass
class Report:
    server: str
    requests: int
    concurrency: int
    seconds: float = 0.0
    errors: int = 0
    reconnects: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    fds_before: int = 0
    fds_after: int = 0
    #: Descriptors the library keeps open on purpose after the run: one per big file read
    #: by a small range, per worker (``HeldDescriptors``, bounded). A leak grows with the
    #: requests (2,000 here), far past this.
    held_allowance: int = 0
    rss_after_warmup: int = 0
    workers_stable: bool = True
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def rss_values(self) -> list[int]:
        return [sample.rss for sample in self.samples]

    @property
    def fd_values(self) -> list[int]:
        return [sample.fds for sample in self.samples]

    @property
    def rss_ramped(self) -> int:
        """Resident memory once a tenth of the requests are done: by then every connection,
        buffer and worker thread exists and most files are in the memory cache."""
        return self.rss_at(0.1)

    def rss_at(self, fraction: float) -> int:
        """Resident memory at the first sample with ``fraction`` of the requests done."""
        for sample in self.samples:
            if sample.done >= self.requests * fraction:
                return sample.rss
        return self.samples[-1].rss if self.samples else 0

    @property
    def rss_second_half(self) -> int:
        """Growth over the second half of the run: the slope a leak would show."""
        return self.samples[-1].rss - self.rss_at(0.5) if self.samples else 0

    @property
    def rss_growth(self) -> int:
        """Resident memory at the end minus after the ramp: flat means close to zero."""
        return self.samples[-1].rss - self.rss_ramped if self.samples else 0

    @property
    def ok(self) -> bool:
        return (
            self.errors == 0
            and self.fds_after <= self.fds_before + self.held_allowance
            and self.workers_stable
        )


async def _worker(
    live: Live,
    site: Site,
    queue: list[Planned],
    report: Report,
    etags: dict[str, str],
    latencies: list[float],
    done: list[int],
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while queue:
            planned = queue.pop()
            for attempt in range(2):
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", live.port)
                assert reader is not None
                began = time.perf_counter()
                try:
                    writer.write(build_request(planned.method, planned.target, planned.headers))
                    await writer.drain()
                    response = await read_response_async(reader, planned.method)
                except (ConnectionError, asyncio.IncompleteReadError):
                    # An idle keep-alive connection the server closed: retry once, counted.
                    writer.close()
                    writer = None
                    report.reconnects += 1
                    if attempt:
                        raise
                    continue
                latencies.append(time.perf_counter() - began)
                break
            problem = check(site, planned, response, etags)
            report.kinds[planned.kind] = report.kinds.get(planned.kind, 0) + 1
            key = str(response.status)
            report.statuses[key] = report.statuses.get(key, 0) + 1
            if problem:
                report.errors += 1
                if len(report.failures) < 20:
                    report.failures.append(f"{planned.method} {planned.target}: {problem}")
            done[0] += 1
            if writer is not None and (response.header("connection") or "").lower() == "close":
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


async def _sampler(live: Live, report: Report, done: list[int], began: float, every: float) -> None:
    while True:
        report.samples.append(Sample(time.monotonic() - began, done[0], live.rss(), live.fds()))
        await asyncio.sleep(every)


async def _warm_up(live: Live, site: Site) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Every file once per coding: fills the memory cache, learns the validators."""
    validators: dict[str, tuple[str, str]] = {}
    etags: dict[str, str] = {}
    reader, writer = await asyncio.open_connection("127.0.0.1", live.port)
    try:
        for url, item in site.files.items():
            for accept in ("identity", "gzip", "br", "zstd"):
                if accept != "identity" and accept not in item.variants:
                    continue
                headers = {"Accept-Encoding": accept}
                writer.write(build_request("GET", quote(url), headers))
                await writer.drain()
                response = await read_response_async(reader, "GET")
                if accept == "identity":
                    etag = response.header("etag") or ""
                    validators[url] = (etag, response.header("last-modified") or "")
                    etags[url] = etag
                if (response.header("connection") or "").lower() == "close":
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", live.port)
    finally:
        writer.close()
    return validators, etags


def run_one(
    name: str, site: Site, requests: int, concurrency: int, seed: int, every: float
) -> Report:
    server, interface, extra, worker_count = SERVERS[name]
    report = Report(name, requests, concurrency)
    env = {"SERVESTATIC_ROOT": str(site.root), "SERVESTATIC_INDEX_FILE": "true"}
    with serve(server, APPS[interface], env=env, extra_args=extra) as live:
        workers = _wait_for_workers(live, worker_count)
        validators, etags = asyncio.run(_warm_up(live, site))
        report.fds_before = _settled_fds(live, 0)
        report.rss_after_warmup = live.rss()
        queue = list(plan_requests(site, requests, seed, validators))
        queue.reverse()
        held = {
            planned.url
            for planned in queue
            if planned.kind == "range"
            and len(site.files[planned.url].data) > _MEMORY_CACHE_MAX
            and planned.extra[0][1] - planned.extra[0][0] < _MEMORY_CACHE_MAX
        }
        report.held_allowance = len(held) * worker_count
        latencies: list[float] = []
        done = [0]

        async def drive() -> None:
            began = time.monotonic()
            sampler = asyncio.ensure_future(_sampler(live, report, done, began, every))
            try:
                await asyncio.gather(
                    *(
                        _worker(live, site, queue, report, etags, latencies, done)
                        for _ in range(concurrency)
                    )
                )
            finally:
                sampler.cancel()
            report.seconds = time.monotonic() - began
            report.samples.append(Sample(report.seconds, done[0], live.rss(), live.fds()))

        asyncio.run(drive())
        report.fds_after = _settled_fds(live, report.fds_before + report.held_allowance)
        report.workers_stable = live.workers == workers
    if latencies:
        ordered = sorted(latencies)
        report.latency_ms = {
            "p50": 1000 * statistics.median(ordered),
            "p99": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
            "max": 1000 * ordered[-1],
        }
    return report


def _wait_for_workers(live: Live, count: int) -> list[int]:
    """Pre-forking servers start their workers after the port opens: wait for all."""
    workers = live.workers
    for _ in range(200):
        if len(workers) >= count and all(_fds_or_zero(pid) for pid in workers):
            break
        time.sleep(0.05)
        workers = live.workers
    return workers


def _fds_or_zero(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def _settled_fds(live: Live, baseline: int) -> int:
    """The descriptor count once closed connections are reaped (no lower than
    ``baseline``; with ``baseline=0``, once two readings agree)."""
    count = live.fds()
    for _ in range(100):
        time.sleep(0.05)
        again = live.fds()
        if again <= baseline or (baseline == 0 and again == count):
            return again
        count = again
    return count


def run(
    servers: Sequence[str],
    requests: int,
    concurrency: int = 64,
    seed: int = 1,
    every: float = 2.0,
    root: Path | None = None,
) -> list[Report]:
    """Generate the site (in ``root`` or a temporary directory) and soak each server."""
    with tempfile.TemporaryDirectory(prefix="servestatic-soak-") as scratch:
        site = generate_site(root or Path(scratch) / "site", seed)
        return [run_one(name, site, requests, concurrency, seed, every) for name in servers]


# ---------------------------------------------------------------------------- output


def _mib(value: int) -> str:
    return f"{value / 1048576:.1f}"


def format_table(reports: Sequence[Report]) -> str:
    rows = [
        ("server", *(report.server for report in reports)),
        ("requests", *(f"{report.requests:,}" for report in reports)),
        ("concurrency", *(str(report.concurrency) for report in reports)),
        ("wrong responses", *(str(report.errors) for report in reports)),
        ("reconnects", *(str(report.reconnects) for report in reports)),
        ("seconds", *(f"{report.seconds:.1f}" for report in reports)),
        ("requests/s", *(f"{report.rate:,.0f}" for report in reports)),
        (
            "latency p50 / p99 ms",
            *(
                f"{r.latency_ms.get('p50', 0):.1f} / {r.latency_ms.get('p99', 0):.1f}"
                for r in reports
            ),
        ),
        ("RSS after warm-up MiB", *(_mib(report.rss_after_warmup) for report in reports)),
        ("RSS after 10% of requests MiB", *(_mib(report.rss_ramped) for report in reports)),
        (
            "RSS min / max / end MiB",
            *(
                f"{_mib(min(r.rss_values))} / {_mib(max(r.rss_values))} / {_mib(r.rss_values[-1])}"
                for r in reports
            ),
        ),
        ("RSS growth, 10% to end, MiB", *(_mib(report.rss_growth) for report in reports)),
        ("RSS growth, 50% to end, MiB", *(_mib(report.rss_second_half) for report in reports)),
        (
            "fds before / max / after",
            *(f"{r.fds_before} / {max(r.fd_values)} / {r.fds_after}" for r in reports),
        ),
        ("workers unchanged", *(str(report.workers_stable) for report in reports)),
        ("samples", *(str(len(report.samples)) for report in reports)),
        ("verdict", *("ok" if report.ok else "FAIL" for report in reports)),
    ]
    width = max(len(row[0]) for row in rows)
    columns = [max(len(row[i]) for row in rows) for i in range(1, len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(width)] + [c.rjust(w) for c, w in zip(row[1:], columns, strict=True)]
        lines.append("| " + " | ".join(cells) + " |")
        if row is rows[0]:
            lines.append("|" + "|".join("-" * (len(cell) + 2) for cell in cells) + "|")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/soak", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--requests", type=int, default=100_000, help="per server")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--servers", default="uvicorn,gunicorn", help=f"comma-separated: {', '.join(SERVERS)}"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between samples")
    parser.add_argument("--json", type=Path, help="also write the reports here")
    options = parser.parse_args(argv)
    names = [name.strip() for name in options.servers.split(",") if name.strip()]
    unknown = [name for name in names if name not in SERVERS]
    if unknown:
        parser.error(f"unknown servers: {', '.join(unknown)}")
    reports = run(names, options.requests, options.concurrency, options.seed, options.interval)
    print(format_table(reports))
    for report in reports:
        for failure in report.failures:
            print(f"{report.server}: {failure}", file=sys.stderr)
    if options.json:
        payload = [
            {
                **asdict(report),
                "rss_growth": report.rss_growth,
                "rss_second_half": report.rss_second_half,
            }
            for report in reports
        ]
        options.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0 if all(report.ok for report in reports) else 1
