"""The incremental build (``servestatic.build.state``): a rebuild skips unchanged sources,
and always ends where a full build of the same SRC into an empty DEST ends."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from servestatic.build import hashing, pipeline
from servestatic.build.pipeline import BuildError, BuildOptions, BuildResult, build
from servestatic.build.state import STATE_NAME, BuildState, reusable, state_key
from servestatic.cli import run as main
from tests.build.helpers import text_blob, write

ALL = BuildOptions(hash=True, manifest=True, compress=True)
_COUNTER = [0]


def edit(path: Path, data: str) -> None:
    """New bytes and a new mtime (a later one than any earlier write, even on coarse clocks)."""
    path.write_text(data)
    _COUNTER[0] += 1
    later = os.stat(path).st_mtime_ns + _COUNTER[0] * 1_000_000_000
    os.utime(path, ns=(later, later))


def served(dest: Path) -> dict[str, bytes]:
    """Every name the manifest lists → the bytes DEST serves for it."""
    manifest = json.loads((dest / "staticfiles.json").read_text())
    return {name: (dest / hashed).read_bytes() for name, hashed in manifest["paths"].items()}


def assert_same_as_full_build(src: Path, dest: Path, tmp_path: Path) -> None:
    fresh = tmp_path / f"fresh-{_COUNTER[0]}"
    build(str(src), str(fresh), ALL)
    assert served(dest) == served(fresh)
    ours = json.loads((dest / "staticfiles.json").read_text())
    theirs = json.loads((fresh / "staticfiles.json").read_text())
    assert ours == theirs


@pytest.fixture
def site(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    write(src / "css/site.css", 'body { background: url("../img/bg.png") }\n' + text_blob())
    write(src / "css/print.css", text_blob(word="print"))
    write(src / "img/bg.png", b"\x89PNG one")
    write(src / "js/main.js", 'import { a } from "./a.js";\nimport "./lib/c.js";\n')
    write(src / "js/a.js", 'export const a = 1;\nimport "./b.js";\n')
    write(src / "js/b.js", 'import { a } from "./a.js";\nexport const b = a;\n')  # a cycle
    write(src / "js/lib/c.js", "export const c = 3;\n")
    write(src / "js/other.js", "export const other = 4;\n")
    return src


def rebuild(src: Path, dest: Path) -> BuildResult:
    return build(str(src), str(dest), ALL)


def test_an_unchanged_rebuild_copies_reads_and_writes_nothing(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    first = rebuild(site, dest)
    assert first.reused == 0
    before = {path: path.stat().st_mtime_ns for path in dest.rglob("*")}
    again = rebuild(site, dest)
    assert again.reused == 8
    assert again.names == first.names
    assert {path: path.stat().st_mtime_ns for path in dest.rglob("*")} == before


def test_only_the_changed_leaf_is_copied_and_hashed(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "dest"
    first = rebuild(site, dest)
    edit(site / "js/other.js", "export const other = 5;\n")
    read: list[str] = []
    real = hashing._document

    def spy(root: str, name: str, kind: str, names: frozenset[str], tree: str | None = None):  # type: ignore[no-untyped-def]
        read.append(name)
        return real(root, name, kind, names, tree)

    monkeypatch.setattr(hashing, "_document", spy)
    second = rebuild(site, dest)
    assert second.reused == 7
    assert read == ["js/other.js"]
    assert second.names["js/other.js"] != first.names["js/other.js"]
    assert {k: v for k, v in second.names.items() if k != "js/other.js"} == {
        k: v for k, v in first.names.items() if k != "js/other.js"
    }
    assert_same_as_full_build(site, dest, tmp_path)


def test_a_changed_image_renames_the_css_that_refers_to_it(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    first = rebuild(site, dest)
    edit(site / "img/bg.png", "\x89PNG two, longer")
    second = rebuild(site, dest)
    assert second.names["img/bg.png"] != first.names["img/bg.png"]
    assert second.names["css/site.css"] != first.names["css/site.css"]
    css = (dest / second.names["css/site.css"]).read_text()
    assert "../" + second.names["img/bg.png"] in css
    assert second.names["css/print.css"] == first.names["css/print.css"]
    assert_same_as_full_build(site, dest, tmp_path)


def test_a_change_cascades_through_imports_and_cycles(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    first = rebuild(site, dest)
    edit(site / "js/lib/c.js", "export const c = 30;\n")
    second = rebuild(site, dest)
    for name in ("js/lib/c.js", "js/main.js"):
        assert second.names[name] != first.names[name]
    assert second.names["js/a.js"] == first.names["js/a.js"]
    assert_same_as_full_build(site, dest, tmp_path)
    # Inside the cycle: both members and the file importing it are renamed.
    edit(site / "js/b.js", 'import { a } from "./a.js";\nexport const b = a + 1;\n')
    third = rebuild(site, dest)
    for name in ("js/a.js", "js/b.js", "js/main.js"):
        assert third.names[name] != second.names[name]
    assert_same_as_full_build(site, dest, tmp_path)


def test_a_deleted_source_leaves_the_output_and_the_manifest(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    first = rebuild(site, dest)
    gone = dest / first.names["css/print.css"]
    assert gone.exists()
    assert Path(str(gone) + ".gz").exists()
    (site / "css/print.css").unlink()
    rebuild(site, dest)
    assert not gone.exists()
    assert not Path(str(gone) + ".gz").exists()
    assert not Path(str(gone) + ".br").exists()
    assert "css/print.css" not in json.loads((dest / "staticfiles.json").read_text())["paths"]
    assert_same_as_full_build(site, dest, tmp_path)


def test_deleting_a_referenced_file_fails_the_referrer_again(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    rebuild(site, dest)
    (site / "img/bg.png").unlink()
    with pytest.raises(BuildError, match=r"css/site\.css: '\.\./img/bg\.png' refers to img/bg"):
        rebuild(site, dest)


def test_a_file_added_where_a_reference_was_missing_is_rewritten(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    write(src / "app.css", 'a { background: url("later.png") }\n')
    loose = BuildOptions(hash=True, manifest=True, strict=False)
    first = build(str(src), str(dest), loose)
    assert [str(item) for item in first.missing] == [
        "app.css: 'later.png' refers to later.png (missing)"
    ]
    write(src / "later.png", b"now here")
    second = build(str(src), str(dest), loose)
    assert second.missing == []
    assert second.names["later.png"] in (dest / second.names["app.css"]).read_text()


def test_a_build_after_an_interrupted_one_is_right(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "dest"
    rebuild(site, dest)
    edit(site / "img/bg.png", "\x89PNG three")
    edit(site / "js/lib/c.js", "export const c = 300;\n")

    def crash(root: str, plan: hashing.HashPlan, source: str | None = None) -> list[str]:
        # Half the hashed files are written, then the machine goes down.
        for name, target in list(plan.names.items())[: len(plan.names) // 2]:
            if name not in plan.reused:
                (Path(root) / target).parent.mkdir(parents=True, exist_ok=True)
                (Path(root) / target).write_bytes(plan.contents.get(name, b"partial"))
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "write_hashed", crash)
    with pytest.raises(KeyboardInterrupt):
        rebuild(site, dest)
    monkeypatch.undo()
    rebuild(site, dest)
    assert_same_as_full_build(site, dest, tmp_path)


def test_an_output_removed_from_dest_is_written_again(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    first = rebuild(site, dest)
    (dest / first.names["img/bg.png"]).unlink()
    (dest / first.names["js/other.js"]).write_text("tampered, another size")
    second = rebuild(site, dest)
    # Both, and the CSS that refers to the image (read again to take its name).
    assert second.reused == 5
    assert_same_as_full_build(site, dest, tmp_path)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda text: "not json", id="unreadable"),
        pytest.param(lambda text: text.replace('"version":1', '"version":9'), id="format"),
        pytest.param(lambda text: text.replace("5.", "4.", 1), id="other-release"),
        pytest.param(lambda text: json.dumps({"version": 1, "key": 1}), id="no-files"),
    ],
)
def test_a_record_that_cannot_be_trusted_means_a_full_build(
    site: Path, tmp_path: Path, spoil: object
) -> None:
    dest = tmp_path / "dest"
    rebuild(site, dest)
    record = dest / STATE_NAME
    record.write_text(spoil(record.read_text()))  # type: ignore[operator]
    assert rebuild(site, dest).reused == 0
    assert_same_as_full_build(site, dest, tmp_path)


def test_a_record_for_other_options_or_another_src_is_not_used(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    rebuild(site, dest)
    assert build(str(site), str(dest), BuildOptions(hash=True, exclude=("*.txt",))).reused == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.js").write_text("1")
    assert build(str(other), str(dest), ALL).reused == 0
    assert BuildState.read(str(dest), state_key(str(site), {})) is None


def test_reusable_needs_the_source_and_the_output_unchanged(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    write(src / "a.css", 'a { background: url("b.png") }')
    write(src / "b.png", b"png")
    build(str(src), str(dest), BuildOptions(hash=True))
    state = BuildState.read(str(dest), pipeline._state_key(str(src), BuildOptions(hash=True)))
    assert state is not None
    names = ["a.css", "b.png"]
    present = frozenset(names)
    assert set(reusable(state, str(src), str(dest), names, present)) == {"a.css", "b.png"}
    # The CSS no longer resolves the same way once its target leaves the build.
    assert reusable(state, str(src), str(dest), ["a.css"], present) == {}
    # A kept-as-written target gone from SRC: the CSS is checked again.
    assert reusable(state, str(src), str(dest), ["a.css"], frozenset({"a.css"})) == {}
    edit(src / "b.png", "changed")
    assert reusable(state, str(src), str(dest), names, present) == {}


def test_a_file_changed_after_hashing_fails_instead_of_a_wrong_name(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    write(src / "img/logo.png", b"first")
    plan = hashing.plan_hashes(str(dest), ["img/logo.png"], source=str(src))
    write(src / "img/logo.png", b"other")  # between the hash and the copy
    with pytest.raises(OSError, match="changed while the build read it"):
        hashing.write_hashed(str(dest), plan, str(src))
    assert list((dest / "img").iterdir()) == []  # no hashed file, no temporary


def test_a_cold_build_writes_no_copy_it_deletes(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    removed: list[str] = []
    real = os.unlink

    def unlink(path: str, *args: object, **kwargs: object) -> None:
        if os.path.exists(path):  # not the variants it makes sure are absent
            removed.append(os.fspath(path))
        real(path)

    monkeypatch.setattr(os, "unlink", unlink)
    result = rebuild(site, tmp_path / "dest")
    assert result.copied == 0
    assert [path for path in removed if not path.endswith(".tmp")] == []


def test_the_summary_counts_what_was_unchanged(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = [str(site), str(tmp_path / "dest"), "--all"]
    assert main(arguments) == 0
    assert "unchanged since the last build" not in capsys.readouterr().out
    edit(site / "js/other.js", "export const other = 6;\n")
    assert main(arguments) == 0
    assert "(0 copied, 8 hashed, 0 excluded, 7 unchanged since the last build)" in (
        capsys.readouterr().out
    )
