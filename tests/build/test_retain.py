"""Retained builds (issue 16 item 1): ``--retain``, the history, ``servestatic gc``."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from servestatic.build import pipeline
from servestatic.build.gc import apply_gc
from servestatic.build.history import (
    HISTORY_NAME,
    Retention,
    build_lock,
    read_history,
)
from servestatic.cli import run
from tests.build.helpers import text_blob, write
from tests.client import make_server


def _site(src: Path, version: str) -> None:
    """A page (kept unhashed) and CSS and JS whose bytes depend on ``version``."""
    write(src / "index.html", f"<html>{version}</html>")
    write(src / "css" / "app.css", text_blob(80, word=f"v{version}"))
    write(src / "js" / "chunk.js", f"export const v = '{version}';\n" + text_blob(40))


def _build(src: Path, dest: Path, *flags: str) -> dict[str, str]:
    assert run([str(src), str(dest), "--all", "-q", "-e", "*.html", *flags]) == 0
    paths: dict[str, str] = json.loads((dest / "staticfiles.json").read_text())["paths"]
    return paths


def _hashed(paths: dict[str, str]) -> set[str]:
    return {served for name, served in paths.items() if served != name}


def test_retain_keeps_the_previous_builds_hashed_files_and_their_variants(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    first = _build(src, dest, "--retain", "1")
    _site(src, "2")
    second = _build(src, dest, "--retain", "1")
    assert _hashed(first).isdisjoint(_hashed(second))
    for name in _hashed(first) | _hashed(second):
        assert (dest / name).is_file(), name
        assert (dest / (name + ".gz")).is_file(), name  # the variants stay with their file
    assert (dest / "index.html").read_text() == "<html>2</html>"


def test_a_build_beyond_the_count_is_removed_with_its_variants(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    builds = []
    for version in "123":
        _site(src, version)
        builds.append(_build(src, dest, "--retain", "1"))
    for name in _hashed(builds[0]):
        assert not (dest / name).exists(), name
        assert not (dest / (name + ".gz")).exists(), name
        assert not (dest / (name + ".br")).exists(), name
    for name in _hashed(builds[1]) | _hashed(builds[2]):
        assert (dest / name).is_file(), name
    history = read_history(str(dest))
    assert history is not None
    assert len(history.builds) == 2
    assert history.retain == Retention(builds=1)


def test_an_unhashed_url_always_answers_from_the_current_build(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    write(src / "old.html", "only in build 1")
    _build(src, dest, "--retain", "3")
    (src / "old.html").unlink()
    _site(src, "2")
    _build(src, dest, "--retain", "3")
    # A mutable URL is never kept for a previous build: old.html is gone, index.html is new.
    assert not (dest / "old.html").exists()
    server = make_server("wsgi", None, str(dest))
    assert server.get("/old.html").status == 404
    assert server.get("/index.html").body == b"<html>2</html>"


def test_rebuilding_the_same_tree_is_not_a_new_build(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    first = _build(src, dest, "--retain", "1")
    _site(src, "2")
    _build(src, dest, "--retain", "1")
    _build(src, dest, "--retain", "1")  # unchanged: must not push build 1 out
    history = read_history(str(dest))
    assert history is not None
    assert len(history.builds) == 2
    for name in _hashed(first):
        assert (dest / name).is_file()


def test_the_first_retain_build_keeps_the_build_already_in_dest(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    first = _build(src, dest)  # no history yet
    assert not (dest / HISTORY_NAME).exists()
    _site(src, "2")
    _build(src, dest, "--retain", "1")
    for name in _hashed(first):
        assert (dest / name).is_file(), name
    history = read_history(str(dest))
    assert history is not None
    assert [set(record.files) >= _hashed(first) for record in history.builds] == [True, False]


def test_a_history_is_kept_up_without_the_flag(tmp_path: Path) -> None:
    """A forgotten ``--retain`` on a later build must not stop the tracking."""
    src, dest = tmp_path / "src", tmp_path / "dest"
    builds = []
    for version in "123":
        _site(src, version)
        builds.append(_build(src, dest, *(("--retain", "1") if version == "1" else ())))
    assert not any((dest / name).exists() for name in _hashed(builds[0]))
    assert all((dest / name).exists() for name in _hashed(builds[1]))


def test_clear_keeps_what_the_retained_builds_need(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    first = _build(src, dest, "--retain", "1")
    write(dest / "stray.txt", "not from any build")
    _site(src, "2")
    _build(src, dest, "--retain", "1", "--clear")
    assert not (dest / "stray.txt").exists()
    for name in _hashed(first):
        assert (dest / name).is_file(), name
        assert (dest / (name + ".gz")).is_file(), name


def test_the_duration_form_counts_from_when_a_build_was_replaced(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    first = _build(src, dest, "--retain", "7d")
    _site(src, "2")
    _build(src, dest, "--retain", "7d")
    history = read_history(str(dest))
    assert history is not None
    replaced_at = history.builds[1].time
    with build_lock(str(dest)):
        soon = apply_gc(str(dest), history, now=replaced_at + 6 * 86400)
    assert soon.removed == []
    assert all((dest / name).exists() for name in _hashed(first))
    with build_lock(str(dest)):
        later = apply_gc(str(dest), history, now=replaced_at + 7 * 86400 + 1)
    assert set(later.removed) >= _hashed(first)
    assert not any((dest / name).exists() for name in _hashed(first))
    assert later.expired == [history.builds[0].id]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", Retention(builds=0)),
        ("3", Retention(builds=3)),
        ("90s", Retention(seconds=90)),
        ("12h", Retention(seconds=12 * 3600)),
        ("7d", Retention(seconds=7 * 86400)),
        ("2w", Retention(seconds=14 * 86400)),
        ("0s", Retention(seconds=0)),
        ("90m", Retention(seconds=5400)),
    ],
)
def test_retention_forms(text: str, expected: Retention) -> None:
    assert Retention.parse(text) == expected
    if expected.seconds is not None:
        assert Retention.parse(str(expected)) == expected  # printed as it can be given


@pytest.mark.parametrize("value", ["-1", "3x", "d", "1.5d", ""])
def test_a_bad_retain_value_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    src = tmp_path / "src"
    _site(src, "1")
    assert run([str(src), str(tmp_path / "d"), "--all", "-q", "--retain", value]) == 2
    err = capsys.readouterr().err
    assert "--retain" in err
    assert repr(value) in err
    assert "7d" in err  # says what is allowed


def test_retain_needs_hashed_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "src"
    _site(src, "1")
    assert run([str(src), str(tmp_path / "d"), "--compress", "--retain", "1"]) == 2
    assert "--retain keeps earlier builds' hashed files" in capsys.readouterr().err


def test_a_second_build_into_a_locked_dest_fails_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    _build(src, dest, "--retain", "1")
    _site(src, "2")
    with build_lock(str(dest)):  # another build holds it
        assert run([str(src), str(dest), "--all", "-q", "--retain", "1"]) == 1
        assert run(["gc", str(dest)]) == 1
    err = capsys.readouterr().err
    assert "another build or gc is running in this DEST" in err
    assert (dest / "index.html").read_text() == "<html>1</html>"  # nothing was written


def test_a_crash_before_the_manifest_leaves_every_file_tracked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    first = _build(src, dest, "--retain", "0")
    _site(src, "2")

    def crash(root: str, document: object) -> str:
        raise OSError(28, "No space left on device", os.path.join(root, "staticfiles.json"))

    monkeypatch.setattr(pipeline, "write_manifest", crash)
    assert run([str(src), str(dest), "--all", "-q", "-e", "*.html", "--retain", "0"]) == 1
    monkeypatch.undo()
    # staticfiles.json still names build 1: none of its files may be removed by a gc.
    assert json.loads((dest / "staticfiles.json").read_text())["paths"] == first
    assert run(["gc", str(dest)]) == 0
    assert all((dest / name).is_file() for name in first.values())
    # The history recorded the crashed build's files, so the re-run's gc removes none
    # of them by mistake and the finished build is complete.
    _site(src, "3")
    third = _build(src, dest, "--retain", "0")
    assert all((dest / name).is_file() for name in third.values())
    assert not any((dest / name).exists() for name in _hashed(first))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{nope", "not valid JSON"),
        ('{"version": 3, "retain": {"builds": 1}, "builds": []}', "expected version 2 (or 1)"),
        ('{"version": 1, "retain": "3", "builds": []}', "not a servestatic build history"),
        (
            '{"version": 1, "retain": {"seconds": 60}, "builds": [{"id": "x", "time": 1, '
            '"files": {"../etc/passwd": {"size": 1, "hash": "' + "0" * 64 + '", '
            '"hashed": true}}}]}',
            "bad file entry '../etc/passwd'",
        ),
        (
            '{"version": 1, "retain": {"builds": 1}, "builds": [{"id": "x", "time": "now", '
            '"files": {}}]}',
            "builds[0].time must be a number",
        ),
        # Version 2: each name once per version, with the spans of builds that wrote it.
        (
            '{"version": 2, "retain": {"builds": 1}, "builds": [{"id": "x", "time": 1}], '
            '"files": {"a/../../b.css": [{"size": 1, "hash": "' + "0" * 64 + '", '
            '"hashed": true, "builds": [[0, 0]]}]}}',
            "bad file name 'a/../../b.css'",
        ),
        (
            '{"version": 2, "retain": {"builds": 1}, "builds": [{"id": "x", "time": 1}], '
            '"files": {"b.css": [{"size": 1, "hash": "' + "0" * 64 + '", '
            '"hashed": true, "builds": [[0, 1]]}]}}',
            "bad spans of builds [[0, 1]]",
        ),
        (
            '{"version": 2, "retain": {"builds": 1}, "builds": [{"id": "x", "time": 1}], '
            '"files": {"b.css": [{"size": 1, "hash": "' + "0" * 64 + '", "hashed": true, '
            '"builds": [[0, 0]]}, {"size": 2, "hash": "' + "1" * 64 + '", "hashed": true, '
            '"builds": [[0, 0]]}]}}',
            "two versions in builds[0]",
        ),
    ],
)
def test_an_unusable_history_is_refused_by_build_and_gc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, problem: str
) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    dest.mkdir()
    (dest / HISTORY_NAME).write_text(content)
    assert run([str(src), str(dest), "--all", "-q"]) == 2
    assert run(["gc", str(dest)]) == 2
    err = capsys.readouterr().err
    assert err.count(problem) == 2
    assert not (dest / "staticfiles.json").exists()  # nothing was built on a guess


def test_the_server_ignores_an_unusable_history(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    paths = _build(src, dest, "--retain", "1")
    (dest / HISTORY_NAME).write_text("{nope")
    server = make_server("wsgi", None, str(dest))
    assert server.get("/" + paths["css/app.css"]).status == 200


def test_an_unusable_history_stops_the_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    _build(src, dest, "--retain", "1")
    (dest / HISTORY_NAME).write_text('{"version": 1, "retain": {"builds": -2}, "builds": []}')
    assert run([str(src), str(dest), "--all", "-q", "--retain", "1"]) == 2
    err = capsys.readouterr().err
    assert HISTORY_NAME in err
    assert "retain.builds must be a whole number >= 0, got -2" in err


# ----------------------------------------------------------------------------- gc command


def test_gc_dry_run_lists_and_keeps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    first = _build(src, dest, "--retain", "2")
    _site(src, "2")
    _build(src, dest, "--retain", "2")
    capsys.readouterr()
    assert run(["gc", str(dest), "--retain", "0", "--dry-run"]) == 0
    out = capsys.readouterr().out
    for name in _hashed(first):
        assert f"would remove {name}\n" in out
        assert f"would remove {name}.gz\n" in out
        assert (dest / name).is_file()
    history = read_history(str(dest))
    assert history is not None
    assert history.retain == Retention(builds=2)  # a dry run records nothing


def test_gc_json_reports_what_it_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    first = _build(src, dest, "--retain", "2")
    _site(src, "2")
    second = _build(src, dest, "--retain", "2")
    capsys.readouterr()
    doomed = {
        candidate: (dest / candidate).stat().st_size
        for name in _hashed(first)
        for candidate in (name, name + ".gz", name + ".br", name + ".zst")
        if (dest / candidate).exists()
    }
    assert run(["gc", str(dest), "--retain", "0", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(report["removed"]) == sorted(doomed)
    assert not set(report["removed"]) & set(second.values())
    assert report["bytes"] == sum(doomed.values())
    assert report["retain"] == "0 builds"
    assert len(report["kept_builds"]) == 1
    assert len(report["expired_builds"]) == 1
    history = read_history(str(dest))
    assert history is not None
    assert history.retain == Retention(builds=0)  # the new policy is recorded
    assert not any((dest / name).exists() for name in _hashed(first))


def test_gc_removes_folders_it_emptied(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    write(src / "chunks" / "deep" / "a.js", "export default 1;\n")
    _build(src, dest, "--retain", "0")
    (src / "chunks" / "deep" / "a.js").unlink()
    _site(src, "2")
    _build(src, dest, "--retain", "0")
    assert not (dest / "chunks").exists()


def test_gc_without_a_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dest").mkdir()
    assert run(["gc", str(tmp_path / "dest")]) == 2
    assert "no build history" in capsys.readouterr().err
    assert run(["gc", str(tmp_path / "missing")]) == 2
    assert run(["gc", str(tmp_path / "dest"), "--retain", "soon"]) == 2


def test_gc_never_touches_files_no_build_recorded(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    _build(src, dest, "--retain", "0")
    write(dest / "uploads" / "report.pdf", b"%PDF")
    write(dest / "css" / "app.0123456789ab.css", "hand-placed")
    for version in "23":
        _site(src, version)
        _build(src, dest, "--retain", "0")
    assert (dest / "uploads" / "report.pdf").read_bytes() == b"%PDF"
    assert (dest / "css" / "app.0123456789ab.css").read_text() == "hand-placed"


def test_gc_never_deletes_through_a_link_out_of_dest(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _site(src, "1")
    first = _build(src, dest, "--retain", "0")
    elsewhere = tmp_path / "elsewhere"
    (dest / "css").rename(elsewhere)
    (dest / "css").symlink_to(elsewhere, target_is_directory=True)
    _site(src, "2")
    second = _build(src, dest, "--retain", "0")
    old_css = first["css/app.css"].split("/")[1]
    assert (elsewhere / old_css).is_file()  # outside DEST: left alone
    assert (dest / second["css/app.css"]).is_file()
    assert not (dest / first["js/chunk.js"]).exists()  # inside DEST: removed


def test_build_reports_the_build_and_the_gc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    for version in "12":
        _site(src, version)
        assert run([str(src), str(dest), "--all", "--retain", "0"]) == 0
    out = capsys.readouterr().out
    history = read_history(str(dest))
    assert history is not None
    assert f"build {history.builds[-1].id}; keeping 0 previous builds (retain 0 builds)" in out
    # build 1's index.html (too small to compress), app.css and chunk.js with their
    # .zst, .br and .gz
    assert out.rstrip().endswith("removed 9 files of 1 expired build")
    assert time.time() - history.builds[-1].time < 120
