"""Reading a retain history at start-up (issue 19 item 3): a file kept unchanged in every
build is checked once and its records share one ``FileInfo``, yet a bad record in any build
is still refused, whatever came before it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from servestatic.formats.history import (
    HISTORY_NAME,
    HistoryError,
    read_history,
    served_builds,
)

HASH = "a" * 64
OTHER = "b" * 64


def _document(*builds: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": 1,
        "retain": {"builds": 5},
        "builds": [
            {"id": f"b{number}", "time": float(number), "files": files}
            for number, files in enumerate(builds)
        ],
    }


def _write(root: Path, document: dict[str, Any]) -> None:
    (root / HISTORY_NAME).write_text(json.dumps(document))


def test_unchanged_files_share_one_record_across_builds(tmp_path: Path) -> None:
    kept = {"size": 3, "hash": HASH, "hashed": True}
    _write(
        tmp_path,
        _document(
            {"app.js": kept, "old.css": {"size": 4, "hash": OTHER, "hashed": True}},
            {"app.js": kept, "index.html": {"size": 5, "hash": OTHER, "hashed": False}},
        ),
    )
    history = read_history(str(tmp_path))
    assert history is not None
    first, second = history.builds
    assert first.files["app.js"] is second.files["app.js"]
    # Equal values under another name are shared too; what differs stays apart.
    assert (first.files["old.css"].size, second.files["index.html"].size) == (4, 5)
    assert second.files["index.html"].hashed is False


@pytest.mark.parametrize(
    ("later", "problem"),
    [
        ({"size": 3, "hash": "nothex", "hashed": True}, "bad file entry 'app.js'"),
        ({"size": True, "hash": HASH, "hashed": True}, "size must be a whole number"),
        ({"size": -1, "hash": HASH, "hashed": True}, "size must be a whole number"),
        ({"size": 3, "hash": HASH}, "'hashed'"),
    ],
)
def test_a_bad_record_after_a_good_one_for_the_same_name_is_refused(
    tmp_path: Path, later: dict[str, Any], problem: str
) -> None:
    good = {"size": 3, "hash": HASH, "hashed": True}
    _write(tmp_path, _document({"app.js": good}, {"app.js": later}))
    with pytest.raises(HistoryError, match=problem):
        read_history(str(tmp_path))


def test_a_bad_name_is_refused_in_any_build(tmp_path: Path) -> None:
    good = {"size": 3, "hash": HASH, "hashed": True}
    _write(tmp_path, _document({"app.js": good}, {"app.js": good, "../x.js": good}))
    with pytest.raises(HistoryError, match=r"builds\[1\]: bad file entry '../x.js'"):
        read_history(str(tmp_path))


def test_served_builds_names_each_file_once_with_the_builds_holding_it(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "app.js").write_bytes(b"abc")
    (tmp_path / "old.css").write_bytes(b"abcd")
    kept = {"size": 3, "hash": HASH, "hashed": True}
    _write(
        tmp_path,
        _document(
            {"sub/app.js": kept, "old.css": {"size": 4, "hash": OTHER, "hashed": True}},
            {"sub/app.js": kept},
        ),
    )
    served = served_builds(str(tmp_path))
    app, old = str(tmp_path / "sub" / "app.js"), str(tmp_path / "old.css")
    assert dict(served.builds) == {app: ("b1", "b0"), old: ("b0",)}
    assert served.retained == frozenset({old})
    assert dict(served.digests) == {app: HASH, old: OTHER}
