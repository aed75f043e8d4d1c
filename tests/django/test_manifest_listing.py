"""The file listing the storage adds to ``staticfiles.json`` (pure helpers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from servestatic.django import manifest

pytestmark = pytest.mark.django


@pytest.mark.parametrize(
    "content",
    [
        None,
        "",
        "not json",
        "[]",
        '{"paths": {}}',
        '{"files": []}',
        '{"files": {"a.css": [1, 2]}}',
        '{"files": {"a.css": {"size": 1}}}',
        '{"files": {"a.css": {"size": -1, "mtime_ns": 5}}}',
        '{"files": {"a.css": {"size": true, "mtime_ns": 5}}}',
        '{"files": {"a.css": {"size": 1, "mtime_ns": 5.5}}}',
    ],
)
def test_unusable_listings_are_empty(content: str | None) -> None:
    assert manifest.read_files(content) == {}


def test_records_without_mtime_are_left_out() -> None:
    # servestatic build writes size and hash only: those files are stat-ed at start-up.
    content = json.dumps(
        {"files": {"a.css": {"size": 3, "mtime_ns": 7, "hash": "x"}, "b.css": {"size": 3}}}
    )
    assert manifest.read_files(content) == {"a.css": (3, 7)}


def test_add_files_keeps_djangos_keys() -> None:
    content = json.dumps({"paths": {"a.css": "a.1.css"}, "version": "1.1", "hash": "h"})
    files: dict[str, Any] = {"a.1.css": {"size": 1, "mtime_ns": 2}}
    document = json.loads(manifest.add_files(content, files))
    assert document == {
        "paths": {"a.css": "a.1.css"},
        "version": "1.1",
        "hash": "h",
        "files": files,
    }


def test_sample_is_spread_over_the_listing() -> None:
    names = [f"{index:03}.css" for index in range(101)]
    assert manifest.sample(names) == ["000.css", "025.css", "050.css", "075.css", "100.css"]
    assert manifest.sample(["only.css"]) == ["only.css"]
    assert manifest.sample([]) == []


def test_snapshot_and_still_current(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "a.css").write_text("a")
    (tmp_path / "staticfiles.json").write_text("{}")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    files = manifest.snapshot(str(tmp_path), exclude={"staticfiles.json"})
    assert list(files) == ["css/a.css"]
    listing = manifest.read_files(manifest.add_files(None, files).decode())
    assert manifest.still_current(str(tmp_path), listing)
    (tmp_path / "css" / "a.css").write_text("changed")
    assert not manifest.still_current(str(tmp_path), listing)
    (tmp_path / "css" / "a.css").unlink()
    assert not manifest.still_current(str(tmp_path), listing)
