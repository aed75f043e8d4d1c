"""The start-up index builds plain files' entries on first use (issue 19 item 2).

Laziness must be invisible: every URL answers as an index built eagerly would, the public
``files`` table only ever shows built entries, racing first requests are harmless, and
everything start-up must know (strict header problems, denials, unused rules) is still
known at start-up.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from servestatic import ServeStatic
from servestatic.config import ConfigError, Settings
from servestatic.http.records import FileEntry, RedirectEntry, Request
from servestatic.serve.engine import Engine
from servestatic.serve.entries import EntryBuilder
from servestatic.serve.index import ScannedFile
from servestatic.serve.table import FileTable, PendingAlias
from tests.client import Response, make_server
from tests.conftest import JS, write

RULES: list[dict[str, Any]] = [
    {"match": "/**/*.js", "headers": {"X-Js": "yes"}},
    {"regex": r"\.css$", "max_age": 5},
    {"match": "/data.bin", "content_disposition": "attachment"},
    {"match": "/**", "retained": True, "headers": {"X-Retained": "1"}},
]
#: With a rule on a hashed name (``_retained_site``'s): its original name must not match it.
SITE_RULES = [*RULES, {"match": "/lib.0123456789ab.js", "headers": {"X-Hashed": "1"}}]


def _eager(patch: pytest.MonkeyPatch) -> None:
    """Engines built while this is patched build every entry at start-up (the old way)."""
    patch.setattr(EntryBuilder, "deferrable", lambda self, scanned, urls=(): False)
    patch.setattr(EntryBuilder, "deferred_from", lambda self: None)


def _settings(root: Path, **extra: Any) -> Settings:
    return Settings.model_validate(
        {"root": root, "rules": RULES, "cors": {"allow_origins": ["https://a.example"]}, **extra}
    )


def _retained_site(site: Path) -> Path:
    """``site`` with a ``--retain`` history: ``app.db8f2edc0c8a.js`` is kept from an older
    build (the ``retained`` rule condition), ``app.js`` is the current build's; and with a
    ``staticfiles.json`` whose original names are answered with the hashed files (a
    script with a variant, a directory's index page, one a deny rule may hide)."""
    write(site / "lib.0123456789ab.js", "library();")
    write(site / "lib.0123456789ab.js.gz", gzip.compress(b"library();", mtime=0))
    write(site / "guide" / "index.fedcba987654.html", "<h1>guide</h1>")
    write(site / "secret.111111111111.js", "secret();")
    originals = {
        "lib.js": "lib.0123456789ab.js",
        "guide/index.html": "guide/index.fedcba987654.html",
        "secret.js": "secret.111111111111.js",
    }
    write(site / "staticfiles.json", json.dumps({"version": "1.1", "paths": originals}))
    history = {
        "version": 1,
        "retain": {"builds": 2},
        "builds": [
            {
                "id": "b1",
                "time": 1.0,
                "files": {"app.db8f2edc0c8a.js": {"size": 12, "hash": "a" * 64, "hashed": True}},
            },
            {
                "id": "b2",
                "time": 2.0,
                "files": {"app.js": {"size": len(JS), "hash": "b" * 64, "hashed": False}},
            },
        ],
    }
    write(site / ".servestatic-history.json", json.dumps(history))
    return site


def _requests(url: str, etag: str | None) -> list[tuple[str, dict[str, str]]]:
    asks: list[tuple[str, dict[str, str]]] = [
        ("GET", {}),
        ("HEAD", {}),
        ("GET", {"Accept-Encoding": "gzip, br, zstd"}),
        ("GET", {"Accept-Encoding": "gzip"}),
        ("GET", {"Range": "bytes=1-5"}),
        ("GET", {"Origin": "https://a.example"}),
        ("GET", {"If-Modified-Since": "Thu, 01 Jan 2099 00:00:00 GMT"}),
    ]
    if etag is not None:
        asks.append(("GET", {"If-None-Match": etag}))
        asks.append(("GET", {"If-None-Match": etag, "Accept-Encoding": "br"}))
    return asks


def _answer(response: Response) -> tuple[int, list[tuple[str, str]], bytes]:
    # Date is the only header that may differ between two servers answering alike.
    headers = sorted((n.lower(), v) for n, v in response.header_list if n.lower() != "date")
    return response.status, headers, response.body


@pytest.mark.parametrize("adapter", ["wsgi", "asgi"])
@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"clean_urls": True},
        {"index_file": True},
        {"etag": "off"},
        {"rules": [*SITE_RULES, {"match": "/secret.js", "deny": True}]},
    ],
)
def test_a_lazy_index_answers_every_url_like_an_eager_one(
    adapter: str,
    extra: dict[str, Any],
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _retained_site(site)
    extra = {"rules": SITE_RULES, **extra}
    with monkeypatch.context() as patch:
        _eager(patch)
        reference = make_server(adapter, None, settings=_settings(root, **extra))
    lazy = make_server(adapter, None, settings=_settings(root, **extra))
    lazy_table: FileTable = lazy.app.engine.files
    assert lazy_table.pending() > 0  # the comparison is with deferred entries
    assert type(lazy_table.raw("/lib.js")) is PendingAlias  # originals among them
    assert reference.app.engine.files.pending() == 0
    retained = reference.get("/app.db8f2edc0c8a.js")
    assert retained.header("x-retained") == "1"  # the rule condition is exercised
    assert reference.get("/app.js").header("x-retained") is None
    urls = sorted(reference.app.engine.files.keys())
    assert urls == sorted(lazy_table.keys())
    # Manifest originals: served (with the hashed file's bytes, never immutable) or
    # hidden by the deny rule, alike in both.
    assert reference.get("/lib.js").body == b"library();"
    assert reference.get("/lib.js").header("x-hashed") is None
    assert reference.get("/lib.0123456789ab.js").header("x-hashed") == "1"
    if "clean_urls" not in extra:
        # (Under clean URLs an original page with no file of its own is served nowhere,
        # eagerly or not: the build keeps every page under its own name as well.)
        guide = "/guide/" if "index_file" in extra else "/guide/index.html"
        assert reference.get(guide).body == b"<h1>guide</h1>"
    assert ("/secret.js" in urls) is (extra["rules"] is SITE_RULES)
    urls += ["/missing.js", "/docs", "/orphan.txt", "/app.js.gz", "/.hidden", "/secret.js"]
    for url in urls:
        stored = reference.app.engine.files.get(url)
        etag = stored.identity.etag if type(stored) is FileEntry else None
        for method, headers in _requests(url, etag):
            expected = _answer(reference.request(method, url, headers))
            assert _answer(lazy.request(method, url, headers)) == expected, (method, url, headers)
    # Every entry built on demand equals the one built at start-up.
    assert lazy_table.pending() == 0
    assert dict(lazy_table) == dict(reference.app.engine.files)


def test_start_up_builds_only_what_it_must(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    original = EntryBuilder.build

    def counting(self: EntryBuilder, scanned: ScannedFile, **kwargs: Any) -> FileEntry | None:
        built.append(kwargs.get("url") or scanned.url)
        return original(self, scanned, **kwargs)

    monkeypatch.setattr(EntryBuilder, "build", counting)
    app = ServeStatic(None, root=site, index_file=True)
    engine = app.engine
    # Nothing is built at start-up: plain files wait as the walk's records, the pages
    # served at other URLs (a directory's index file) as PendingAlias.
    assert built == []
    plain = [url for url, stored in engine.files.slots() if type(stored) is ScannedFile]
    aliases = [url for url, stored in engine.files.slots() if type(stored) is PendingAlias]
    assert "/app.js" in plain
    assert sorted(aliases) == ["/", "/docs/"]
    assert engine.files.pending() == len(plain) + len(aliases) >= 10
    for url in ("/app.js", "/docs/"):
        engine.serve(Request("GET", url))
        engine.serve(Request("GET", url))
        assert type(engine.files.raw(url)) is FileEntry
    assert built == ["/app.js", "/docs/"]  # each once, on its first request
    docs = engine.files["/docs/"]
    assert type(docs) is FileEntry
    assert (docs.url, docs.source_url) == ("/docs/", "/docs/index.html")


def test_the_public_table_only_shows_built_entries(site: Path) -> None:
    app = ServeStatic(None, root=site)
    files = app.files
    assert files is app.engine.files
    assert type(files["/app.js"]) is FileEntry
    assert type(files.get("/style.css")) is FileEntry
    assert files.get("/nothing") is None
    assert files.get("/nothing", 1) == 1
    assert all(type(entry) in {FileEntry, RedirectEntry} for entry in files.values())
    assert all(type(entry) in {FileEntry, RedirectEntry} for _, entry in files.items())
    snapshot = dict(files)
    assert all(type(entry) in {FileEntry, RedirectEntry} for entry in snapshot.values())
    assert files == snapshot
    assert files.copy() == snapshot
    assert {**files} == snapshot
    assert "ScannedFile" not in repr(files)
    assert files != {}
    copied = copy.copy(files)
    assert type(copied) is dict
    assert copied == snapshot
    assert files.setdefault("/app.js") == snapshot["/app.js"]
    assert files.setdefault("/new", snapshot["/app.js"]) is snapshot["/app.js"]
    assert files["/new"] is snapshot["/app.js"]
    assert files.pop("/app.js") == snapshot["/app.js"]
    assert "/app.js" not in files


def test_pop_builds_a_deferred_file_for_the_caller_only(site: Path) -> None:
    app = ServeStatic(None, root=site)
    files: FileTable = app.engine.files
    assert type(files.raw("/style.css")) is ScannedFile
    entry = files.pop("/style.css")
    assert type(entry) is FileEntry
    assert entry.url == "/style.css"
    assert "/style.css" not in files
    assert files.pop("/style.css", None) is None
    with pytest.raises(KeyError):
        files.pop("/style.css")
    with pytest.raises(KeyError):
        files["/style.css"]


def test_racing_first_requests_build_equal_entries_and_all_answer(site: Path) -> None:
    engine = ServeStatic(None, root=site).engine
    assert type(engine.files.raw("/data.bin")) is ScannedFile
    threads = 32
    barrier = threading.Barrier(threads)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def hit() -> None:
        try:
            barrier.wait()
            answers.append(engine.serve(Request("GET", "/data.bin")))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    workers = [threading.Thread(target=hit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(answers) == threads
    assert {answer.status for answer in answers} == {200}
    stored = engine.files.raw("/data.bin")
    assert type(stored) is FileEntry
    assert stored == engine.builder.build(engine._scan_url("/data.bin"))  # type: ignore[arg-type]


def test_a_record_replaced_while_its_entry_is_built_is_kept(site: Path) -> None:
    """The watcher may replace a deferred file while a request builds it: the newer record
    wins over the entry built from the older one."""
    newer = ScannedFile("/a", str(site / "app.js"), 1, 2, ())
    older = ScannedFile("/a", str(site / "style.css"), 3, 4, ())
    table: FileTable

    def builder(scanned: ScannedFile) -> FileEntry | None:
        table.defer("/a", newer)  # the watcher, meanwhile
        return None

    table = FileTable(builder)
    table.defer("/a", older)
    assert table.get("/a") is None  # nothing built from the older record...
    assert table.raw("/a") is newer  # ...and the newer one stays


def test_a_file_changed_before_its_first_request_is_served_as_it_is_now(site: Path) -> None:
    app = make_server("wsgi", None, site)
    assert type(app.app.engine.files.raw("/data.bin")) is ScannedFile
    write(site / "data.bin", b"new bytes")
    os.utime(site / "data.bin", ns=(2_000_000_000_000_000_000, 2_000_000_000_000_000_000))
    response = app.get("/data.bin")
    assert response.status == 200
    assert response.body == b"new bytes"
    assert response.header("content-length") == "9"
    assert response.header("etag") == f'"{2_000_000_000:x}-9"'


@pytest.mark.parametrize(
    ("options", "deferred"),
    [
        ({}, True),
        ({"etag": "off"}, True),
        ({"etag": "content"}, False),  # reading the file for a digest is start-up's I/O
    ],
)
def test_which_files_are_deferred(site: Path, options: dict[str, Any], deferred: bool) -> None:
    engine = Engine(Settings.model_validate({"root": site, **options}), standalone=True)
    assert (engine.files.pending() > 0) is deferred


def test_a_file_a_deny_rule_matches_is_decided_at_start_up(site: Path) -> None:
    rules = [{"match": "/data.bin", "deny": True}, {"match": "/style.css", "deny": True}]
    settings = Settings.model_validate(
        {"root": site, "rules": [*rules, {"match": "/style.css", "final": True}]}
    )
    engine = Engine(settings, standalone=True)
    assert "/data.bin" not in engine.files  # denied: never in the table
    assert "/style.css" not in engine.files
    assert (engine.builder.denied[1], engine.builder.denied[2]) == (1, 1)  # counted (check)
    assert type(engine.files.raw("/app.js")) is ScannedFile  # no deny rule matches it
    built = engine.files["/app.js"]
    assert type(built) is FileEntry
    assert built.identity.path.endswith("app.js")
    assert engine.serve(Request("GET", "/data.bin")).status == 404  # type: ignore[union-attr]


def test_a_manifest_digest_lets_a_content_etag_file_be_deferred(site: Path) -> None:
    digest = "ab" * 32
    manifest = {"paths": {}, "version": "1.0", "files": {"empty.txt": {"size": 0, "hash": digest}}}
    write(site / "staticfiles.json", json.dumps(manifest))
    engine = Engine(Settings.model_validate({"root": site, "etag": "content"}), standalone=True)
    assert type(engine.files.raw("/empty.txt")) is ScannedFile
    assert type(engine.files.raw("/data.bin")) is FileEntry
    entry = engine.files["/empty.txt"]
    assert type(entry) is FileEntry
    assert entry.identity.etag == f'"{digest[:32]}"'


def test_a_files_old_mtime_needs_its_digest_at_start_up(site: Path) -> None:
    os.utime(site / "data.bin", ns=(0, 0))
    engine = Engine(Settings.model_validate({"root": site}), standalone=True)
    assert type(engine.files.raw("/data.bin")) is FileEntry  # hashed at start-up
    assert type(engine.files.raw("/style.css")) is ScannedFile


def test_with_a_header_hook_every_file_is_built_and_strict_refuses_at_start_up(
    site: Path,
) -> None:
    calls: list[str] = []

    def hook(headers: Any, path: str, url: str) -> None:
        calls.append(url)
        if url == "/style.css":
            headers["X-Bad"] = "line\nbreak"

    app = ServeStatic(None, root=site, add_headers_function=hook)
    assert app.engine.files.pending() == 0
    assert "/style.css" in calls  # called while indexing, as ServeStatic does
    with pytest.raises(ConfigError, match="X-Bad"):
        ServeStatic(None, settings=Settings(root=site, strict=True), add_headers_function=hook)


def test_unused_rules_are_still_reported_with_deferred_files(site: Path) -> None:
    rules = [{"match": "/app.js", "max_age": 1}, {"match": "/nothing/**", "max_age": 1}]
    engine = Engine(
        Settings.model_validate({"root": site, "rules": rules}), standalone=True, collect=True
    )
    assert engine.files.pending() > 0
    unused = [p for p in engine.problems if p.kind == "unused_rule"]
    assert [p.value for p in unused] == ["/nothing/**"]


def test_a_rule_only_a_deferred_original_name_matches_is_used(site: Path) -> None:
    root = _retained_site(site)
    # /docs/ (an index page's directory) and /lib.js (a manifest original) are served by
    # entries not built yet; the hashed name is matched by no rule here.
    rules = [{"match": "/lib.js", "max_age": 1}, {"match": "/docs/", "max_age": 1}]
    settings = Settings.model_validate({"root": root, "rules": rules, "index_file": True})
    engine = Engine(settings, standalone=True, collect=True)
    assert type(engine.files.raw("/lib.js")) is PendingAlias
    assert type(engine.files.raw("/docs/")) is PendingAlias
    assert [p.value for p in engine.problems if p.kind == "unused_rule"] == []
    # Both still counted by the summary, with the original's variant.
    assert engine.files.pending() >= 2
    assert "precompressed variant" in engine.summary()


def test_the_summary_counts_deferred_files_and_their_variants(site: Path) -> None:
    engine = Engine(Settings.model_validate({"root": site}), standalone=True)
    before = engine.summary()
    engine.files.materialise()
    assert engine.files.pending() == 0
    assert engine.summary() == before
    assert "(4 precompressed variants)" in before


@pytest.mark.parametrize(
    "options",
    [{}, {"etag": "off"}, {"etag": "content"}, {"rules": [{"match": "/a", "deny": True}]}],
)
def test_the_walks_fast_path_defers_only_what_deferrable_would(
    site: Path, options: dict[str, Any]
) -> None:
    os.utime(site / "data.bin", ns=(0, 0))
    engine = Engine(Settings.model_validate({"root": site, **options}), standalone=True)
    since = engine.builder.deferred_from()
    for scanned in [engine._scan_url(url) for url in engine.files]:
        if scanned is not None and since is not None and scanned.mtime_ns >= since:
            assert engine.builder.deferrable(scanned)


def test_a_file_with_nothing_to_serve_any_more_reads_as_missing() -> None:
    gone = ScannedFile("/gone", "/nowhere", 1, 2, ())
    table = FileTable(lambda scanned: None)
    for read in (table.__getitem__, table.pop):
        table.defer("/gone", gone)
        with pytest.raises(KeyError):
            read("/gone")
    table.defer("/gone", gone)
    assert table.pop("/gone", "default") == "default"
    table.defer("/gone", gone)
    assert table.get("/gone", "default") == "default"
    assert "/gone" not in table  # the build found nothing: the URL is gone
