"""A small file's whole-file 200 from the memory cache is built once and kept with its bytes.

The memory cache keeps, next to a file's bytes, the answer to the file's own whole-file 200
plan (``Derived.plans.get``): ``Engine.serve`` returns it after one lookup and an identity
test, building nothing per request. It must answer exactly what building it would, count
the bytes once in the budget, and leave the cache with them.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from servestatic.config import Settings
from servestatic.http.records import Plan, Request
from servestatic.serve.deliver import Response
from servestatic.serve.engine import Engine
from servestatic.serve.files import CACHE_STATUS_HIT, MemoryCache
from tests.client import make_server
from tests.conftest import CSS, JS, Serve, write

GET = Request("GET", "/app.js")


def _engine(root: Path, **options: Any) -> Engine:
    return Engine(Settings(root=root, **options), standalone=False)


def _path(engine: Engine, url: str = "/app.js") -> str:
    plan = engine.handle(Request("GET", url))
    assert plan is not None
    return plan.body.representation.path  # type: ignore[union-attr]


def test_a_cached_files_whole_answer_is_built_once(site: Path) -> None:
    engine = _engine(site)
    first = engine.serve(GET)  # read from disk: the bytes and the answer are kept
    assert type(first) is Response
    assert (first.status, first.body, first.extra) == (200, JS, ())
    kept = engine.serve(GET)
    assert type(kept) is Plan  # no Response built for a hit
    assert engine.serve(GET) is kept
    assert (kept.status, kept.body, kept.extra) == (200, JS, ())
    assert kept.headers is first.headers
    cached = engine.memory.files[_path(engine)]
    assert cached.answer is kept
    assert kept.body is cached.data  # one bytes object ...
    assert engine.memory.used == len(JS)  # ... counted once


def test_the_kept_answer_leaves_the_cache_with_its_bytes(site: Path) -> None:
    engine = _engine(site)
    engine.serve(GET)
    kept = engine.serve(GET)
    path = _path(engine)
    engine.memory.forget(path)
    assert path not in engine.memory.files
    assert engine.memory.used == 0
    reloaded = engine.serve(GET)
    assert type(reloaded) is Response  # read again, not the forgotten answer
    assert reloaded.body == JS
    again = engine.serve(GET)
    assert again is not kept
    assert again is engine.memory.files[path].answer


def test_a_file_changed_on_disk_drops_its_kept_answer(site: Path) -> None:
    engine = _engine(site)
    engine.serve(GET)
    kept = engine.serve(GET)
    write(site / "app.js", b"changed();")
    os.utime(site / "app.js", (2_000_000_000, 2_000_000_000))
    engine.refresh("/app.js", "test")  # what a StaleFile or a watch event does
    changed = engine.serve(GET)
    assert changed is not None
    assert changed.body == b"changed();"
    assert engine.serve(GET) is not kept
    assert engine.memory.used == len(b"changed();")


def test_hits_carry_cache_status_and_the_read_does_not(site: Path) -> None:
    engine = _engine(site, memory_cache={"cache_status": True})
    first = engine.serve(GET)
    assert first is not None
    assert CACHE_STATUS_HIT not in first.extra
    for _ in range(2):
        hit = engine.serve(GET)
        assert hit is not None
        assert hit.extra == (CACHE_STATUS_HIT,)


def test_bytes_cached_by_a_range_get_the_whole_answer_later(site: Path) -> None:
    engine = _engine(site)
    part = engine.serve(Request("GET", "/app.js", range="bytes=0-3"))
    assert part is not None
    assert (part.status, part.body) == (206, JS[:4])
    path = _path(engine)
    assert engine.memory.files[path].answer is None  # a range plan is not kept
    whole = engine.serve(GET)  # a hit on the cached bytes: its answer is added
    assert type(whole) is Response
    assert whole.body == JS
    kept = engine.memory.files[path].answer
    assert kept is not None
    assert engine.serve(GET) is kept
    assert engine.memory.used == len(JS)
    # Ranges still slice the cached bytes; the kept answer is only for the whole file.
    again = engine.serve(Request("GET", "/app.js", range="bytes=4-7"))
    assert again is not None
    assert again.body == JS[4:8]


def test_per_request_plans_are_never_kept(site: Path) -> None:
    """A listed origin gets a plan of its own on every request (its CORS header): never
    answered from, nor stored as, the shared answer."""
    engine = _engine(site, allow_all_origins=False, cors={"allow_origins": ["https://a.example"]})
    origin = Request("GET", "/app.js", origin="https://a.example")
    for _ in range(3):
        answer = engine.serve(origin)
        assert answer is not None
        assert answer.body == JS
        assert ("Access-Control-Allow-Origin", "https://a.example") in answer.extra
    assert engine.memory.files[_path(engine)].answer is None
    engine.serve(GET)
    plain = engine.serve(GET)
    assert plain is not None
    assert plain.extra == ()
    cors = engine.serve(origin)
    assert cors is not None
    assert cors is not plain
    assert ("Access-Control-Allow-Origin", "https://a.example") in cors.extra


def test_nothing_is_kept_past_the_byte_budget(site: Path) -> None:
    engine = _engine(site, memory_cache={"max_total_size": len(JS) + 1})
    engine.serve(GET)
    style = Request("GET", "/style.css")
    for _ in range(3):  # no room: read each time, no answer kept
        answer = engine.serve(style)
        assert type(answer) is Response
        assert answer.body == CSS
    assert list(engine.memory.files) == [_path(engine)]
    assert engine.memory.used == len(JS)


def test_an_answer_is_only_added_to_the_current_bytes(site: Path) -> None:
    engine = _engine(site)
    memory: MemoryCache = engine.memory
    engine.serve(Request("GET", "/app.js", range="bytes=0-3"))
    plan = engine.handle(GET)
    assert plan is not None
    representation = plan.body.representation  # type: ignore[union-attr]
    older = dataclasses.replace(representation, mtime_ns=representation.mtime_ns - 1)
    memory.keep_answer(older, plan)  # the cached bytes are not this file's any more
    assert memory.files[representation.path].answer is None
    memory.keep_answer(representation, plan)
    kept = memory.files[representation.path].answer
    assert kept is not None
    memory.keep_answer(representation, plan)  # already there: unchanged
    assert memory.files[representation.path].answer is kept
    memory.forget(representation.path)
    memory.keep_answer(representation, plan)  # nothing cached: nothing to add to
    assert representation.path not in memory.files


def test_every_adapter_serves_the_kept_answer(serve: Serve, site: Path) -> None:
    server = serve(site, memory_cache={"cache_status": True})
    for expected in (None, "servestatic; hit", "servestatic; hit"):
        response = server.get("/app.js")
        assert (response.status, response.body) == (200, JS)
        assert response.header("content-length") == str(len(JS))
        assert response.header("cache-status") == expected
    head = server.head("/app.js")
    assert (head.status, head.body) == (200, b"")


def test_asgi_pathsend_transport_answers_from_memory(tmp_path: Path) -> None:
    write(tmp_path / "small.js", JS)
    server = make_server("asgi", None, tmp_path)
    for _ in range(3):
        response = server.get("/small.js", extensions={"http.response.pathsend": {}})
        assert (response.status, response.body) == (200, JS)
