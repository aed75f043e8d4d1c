"""Serving a DEST with retained builds: the union, own headers, rules, build tags."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from servestatic.build.history import HISTORY_NAME, ServedBuilds, read_history, served_builds
from servestatic.cli import run
from servestatic.config import Settings
from tests.build.helpers import text_blob, write
from tests.client import Server, make_server

KINDS = ["wsgi", "asgi"]


def _server(kind: str, root: Path, **options: Any) -> Server:
    return make_server(kind, None, settings=Settings(root=root, **options))


def _build(src: Path, dest: Path, version: str, retain: str = "2") -> dict[str, str]:
    write(src / "index.html", f"<html>{version}</html>")
    write(src / "css" / "app.css", text_blob(60, word=f"v{version}"))
    assert run([str(src), str(dest), "--all", "-q", "-e", "*.html", "--retain", retain]) == 0
    paths: dict[str, str] = json.loads((dest / "staticfiles.json").read_text())["paths"]
    return paths


@pytest.fixture
def two_builds(tmp_path: Path) -> tuple[Path, dict[str, str], dict[str, str], dict[str, str]]:
    """DEST after builds 1 and 2, and the ETags a server over build 1 alone gave."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    old = _build(src, dest, "1")
    alone = _server("wsgi", dest, etag="content")
    old_etags = {
        coding: alone.get("/" + old["css/app.css"], {"Accept-Encoding": coding}).headers["etag"]
        for coding in ("identity", "br", "gzip")
    }
    new = _build(src, dest, "2")
    return dest, old, new, old_etags


@pytest.mark.parametrize("kind", KINDS)
def test_a_retained_url_keeps_its_own_immutable_headers_and_etag(
    two_builds: tuple[Path, dict[str, str], dict[str, str], dict[str, str]], kind: str
) -> None:
    dest, old, new, old_etags = two_builds
    server = _server(kind, dest, etag="content")
    for coding, etag in old_etags.items():
        response = server.get("/" + old["css/app.css"], {"Accept-Encoding": coding})
        assert response.status == 200
        assert response.headers["cache-control"] == "max-age=315360000, public, immutable"
        assert response.headers["etag"] == etag  # the same as when it was current
        revalidated = server.get(
            "/" + old["css/app.css"], {"Accept-Encoding": coding, "If-None-Match": etag}
        )
        assert revalidated.status == 304
    current = server.get("/" + new["css/app.css"], {"Accept-Encoding": "identity"})
    assert current.status == 200
    assert current.headers["etag"] != old_etags["identity"]
    assert current.body == (dest / new["css/app.css"]).read_bytes()
    # The unhashed URL answers from the current build only.
    assert server.get("/index.html").body == b"<html>2</html>"


@pytest.mark.parametrize("kind", KINDS)
def test_retained_digests_come_from_the_history(
    two_builds: tuple[Path, dict[str, str], dict[str, str], dict[str, str]],
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Content ETags of retained files are read from the history, not by hashing files."""
    dest, old, _, old_etags = two_builds
    from servestatic.serve import entries as _entries

    original = _entries.file_digest

    def no_reads(path: str) -> str:
        if path.endswith(old["css/app.css"]):
            raise AssertionError(f"{path} was read to make its ETag")
        return original(path)

    monkeypatch.setattr(_entries, "file_digest", no_reads, raising=True)
    server = _server(kind, dest, etag="content")
    response = server.get("/" + old["css/app.css"], {"Accept-Encoding": "identity"})
    assert response.headers["etag"] == old_etags["identity"]


@pytest.mark.parametrize("kind", KINDS)
def test_rules_can_tell_retained_files_apart(
    two_builds: tuple[Path, dict[str, str], dict[str, str], dict[str, str]], kind: str
) -> None:
    dest, old, new, _ = two_builds
    rules = [
        {"match": "/**", "retained": True, "max_age": 86400, "headers": {"X-Build": "old"}},
        {"match": "/**", "retained": False, "headers": {"X-Build": "current"}},
    ]
    server = _server(kind, dest, rules=rules)
    retained = server.get("/" + old["css/app.css"])
    assert retained.headers["x-build"] == "old"
    assert retained.headers["cache-control"] == "max-age=86400, public"
    current = server.get("/" + new["css/app.css"])
    assert current.headers["x-build"] == "current"
    assert current.headers["cache-control"] == "max-age=315360000, public, immutable"
    assert server.get("/index.html").headers["x-build"] == "current"


@pytest.mark.parametrize("kind", KINDS)
def test_build_tags_name_every_build_that_contains_the_file(
    two_builds: tuple[Path, dict[str, str], dict[str, str], dict[str, str]], kind: str
) -> None:
    dest, old, new, _ = two_builds
    history = read_history(str(dest))
    assert history is not None
    first, second = (record.id for record in history.builds)
    server = _server(kind, dest, build_tags=["Surrogate-Key", "Cache-Tag"])
    retained = server.get("/" + old["css/app.css"], {"Accept-Encoding": "br"})
    assert retained.headers["surrogate-key"] == f"build-{first}"
    assert retained.headers["cache-tag"] == f"build-{first}"
    current = server.get("/" + new["css/app.css"])
    assert current.headers["surrogate-key"] == f"build-{second}"
    page = server.get("/index.html")
    assert page.headers["surrogate-key"] == f"build-{second}"
    # A 304 carries them too, so a CDN refreshing an object keeps its tags.
    etag = current.headers["etag"]
    assert server.get("/" + new["css/app.css"], {"If-None-Match": etag}).status == 304


def test_a_file_in_several_builds_carries_each_tag(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    write(src / "js" / "same.js", "export const same = 1;\n")
    _build(src, dest, "1")
    paths = _build(src, dest, "2")
    history = read_history(str(dest))
    assert history is not None
    first, second = (record.id for record in history.builds)
    server = _server("wsgi", dest, build_tags=["Surrogate-Key", "Cache-Tag"])
    response = server.get("/" + paths["js/same.js"])
    assert response.headers["surrogate-key"] == f"build-{second} build-{first}"
    assert response.headers["cache-tag"] == f"build-{second},build-{first}"


def test_no_history_no_tags(tmp_path: Path) -> None:
    write(tmp_path / "a.css", "a{}")
    server = _server("wsgi", tmp_path, build_tags=["Surrogate-Key"])
    response = server.get("/a.css")
    assert response.status == 200
    assert "surrogate-key" not in response.headers


def _version_1(dest: Path) -> dict[str, Any]:
    """DEST's history in the first format (each build listing all its files), as earlier
    releases wrote it."""
    history = read_history(str(dest))
    assert history is not None
    return {
        "version": 1,
        "retain": history.retain.to_json(),
        "builds": [
            {
                "id": record.id,
                "time": record.time,
                "files": {
                    name: {"size": info.size, "hash": info.hash, "hashed": info.hashed}
                    for name, info in record.files.items()
                },
            }
            for record in history.builds
        ],
    }


def test_the_history_records_each_file_once_per_version_and_reads_as_before(
    tmp_path: Path,
) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    write(src / "js" / "same.js", "export const same = 1;\n")
    builds = [_build(src, dest, version, retain="3") for version in "123"]
    document = json.loads((dest / HISTORY_NAME).read_text())
    assert document["version"] == 2
    assert [sorted(build) for build in document["builds"]] == [["id", "time"]] * 3
    files = document["files"]
    # Unchanged over three builds: one record, one span.
    (same,) = files[builds[0]["js/same.js"]]
    assert same["builds"] == [[0, 2]]
    # An unhashed page with new bytes each build: three versions, one build each.
    assert [version["builds"] for version in files["index.html"]] == [[[0, 0]], [[1, 1]], [[2, 2]]]
    # A hashed name is new each build.
    assert files[builds[0]["css/app.css"]][0]["builds"] == [[0, 0]]
    # The same history written in the first format reads and serves the same.
    history = read_history(str(dest))
    assert history is not None
    old = tmp_path / "old"
    shutil.copytree(dest, old)
    (old / HISTORY_NAME).write_text(json.dumps(_version_1(dest)))
    assert read_history(str(old)) == history
    for options in ({}, {"digests": False}, {"build_ids": False}):
        served, served_old = served_builds(str(dest), **options), served_builds(str(old), **options)
        assert _relative(served, dest) == _relative(served_old, old)
    full = served_builds(str(dest))
    # The two older app.css (their variants follow them: the history lists files only).
    assert {Path(path).name for path in full.retained} == {
        Path(paths["css/app.css"]).name for paths in builds[:2]
    }
    assert full.builds[str(dest / builds[0]["js/same.js"])] == tuple(
        record.id for record in reversed(history.builds)
    )
    bare = served_builds(str(dest), digests=False, build_ids=False)
    assert bare.retained == full.retained
    assert bare.builds == {}
    assert bare.digests == {}


def _relative(served: ServedBuilds, root: Path) -> tuple[Any, ...]:
    def name(path: str) -> str:
        return Path(path).relative_to(root).as_posix()

    return (
        sorted((name(path), ids) for path, ids in served.builds.items()),
        sorted(name(path) for path in served.retained),
        sorted((name(path), digest) for path, digest in served.digests.items()),
    )


def test_the_server_serves_without_retention_when_the_history_is_unusable(
    two_builds: tuple[Path, dict[str, str], dict[str, str], dict[str, str]],
) -> None:
    dest, old, _, _ = two_builds
    assert served_builds(str(dest)).retained
    document = json.loads((dest / HISTORY_NAME).read_text())
    # Two versions of one name in the same build: the build refuses such a history, and
    # the server reads nothing from it (the files are served as any others).
    name = old["css/app.css"]
    first = document["files"][name][0]
    document["files"][name].append({**first, "hash": "f" * 64})
    (dest / HISTORY_NAME).write_text(json.dumps(document))
    assert served_builds(str(dest)) == ServedBuilds({}, frozenset(), {})
    server = _server("wsgi", dest, rules=[{"match": "/**", "retained": True, "max_age": 1}])
    assert server.get("/" + name).headers["cache-control"] != "max-age=1"
