"""``servestatic SRC DEST``, ``servestatic build`` and ``servestatic compress`` end to end."""

from __future__ import annotations

import builtins
import errno
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from servestatic.cli import run
from tests.build.helpers import DECODERS, snapshot, text_blob, variants_of, write


def manifest(dest: Path) -> dict[str, object]:
    document: dict[str, object] = json.loads((dest / "staticfiles.json").read_text())
    return document


def paths_of(dest: Path) -> dict[str, str]:
    paths = manifest(dest)["paths"]
    assert isinstance(paths, dict)
    return paths


def files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_all_hashes_compresses_and_writes_the_manifest(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    before = snapshot(site)
    assert run([str(site), str(dest), "--all", "-q"]) == 0
    assert snapshot(site) == before
    paths = paths_of(dest)
    assert set(paths) == set(before)
    for name, hashed in paths.items():
        assert hashed != name
        assert (dest / hashed).is_file()
        # ServeStatic: --hash deletes the original; an entry point's name stays (issue 18).
        assert (dest / name).exists() == (name == "index.html")
    document = manifest(dest)
    assert document["version"] == "1.0"
    records = document["files"]
    assert isinstance(records, dict)
    assert set(records) == set(paths.values()) | {"index.html"}


def test_every_variant_decodes_to_its_file(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    assert run([str(site), str(dest), "--compress", "-q"]) == 0
    checked = 0
    for name in files(dest):
        path = dest / name
        for suffix, data in variants_of(path).items():
            assert data == path.read_bytes(), f"{name}{suffix}"
            checked += 1
    assert checked >= 3 * 8
    assert not (dest / "img" / "logo.png.gz").exists()  # skip list
    assert not (dest / "empty.txt.gz").exists()  # nothing to save
    assert variants_of(dest / "data" / "random.bin") == {}  # incompressible


def test_rerun_does_no_compression_work(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "out"
    assert run([str(site), str(dest), "--all"]) == 0
    first = {name: (dest / name).stat().st_mtime_ns for name in files(dest)}
    counts = re.search(r"compressed (\d+) of (\d+) files", capsys.readouterr().out)
    assert counts is not None
    assert counts[1] == counts[2] != "0"
    assert run([str(site), str(dest), "--all"]) == 0
    second_out = capsys.readouterr().out
    total = counts[2]
    assert f"compressed 0 of {total} files, {total} unchanged since the last run" in second_out
    assert {name: (dest / name).stat().st_mtime_ns for name in files(dest)} == first


def test_a_changed_file_is_compressed_again(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    assert run([str(site), str(dest), "--compress", "-q"]) == 0
    write(site / "js" / "lazy.js", "export default 2;\n" * 80)
    assert run([str(site), str(dest), "--compress", "-q"]) == 0
    assert variants_of(dest / "js" / "lazy.js")[".br"] == b"export default 2;\n" * 80


def test_exclusion_globs(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    assert run([str(site), str(dest), "--all", "-q", "-e", "*.html", "--exclude", "js/lib/*"]) == 0
    paths = paths_of(dest)
    assert paths["index.html"] == "index.html"
    assert paths["js/lib/helper.js"] == "js/lib/helper.js"
    assert (dest / "index.html").is_file()
    assert not (dest / "index.html.gz").exists()
    main_js = (dest / paths["js/main.mjs"]).read_text()
    assert 'from "./lib/helper.js"' in main_js  # excluded files keep their names
    assert paths["css/app.css"] != "css/app.css"


def test_copy_original_keeps_both(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    assert run([str(site), str(dest), "--hash", "--copy-original", "-q"]) == 0
    paths = paths_of(dest) if (dest / "staticfiles.json").exists() else {}
    assert paths == {}  # --hash alone writes no manifest
    assert (dest / "css" / "app.css").read_bytes() == (site / "css" / "app.css").read_bytes()
    assert len([n for n in files(dest) if n.startswith("css/app.")]) == 4


def test_merge_manifest(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    write(dest / "staticfiles.json", json.dumps({"paths": {"old.css": "old.1.css"}, "hash": "x"}))
    assert run([str(site), str(dest), "--hash", "--merge-manifest", "-q"]) == 0
    document = manifest(dest)
    paths = paths_of(dest)
    assert paths["old.css"] == "old.1.css"
    assert paths["css/app.css"].startswith("css/app.")
    assert document["hash"] == "x"


def test_merge_manifest_needs_a_manifest(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "out"
    assert run([str(site), str(dest), "--merge-manifest"]) == 2
    err = capsys.readouterr().err
    assert "no manifest to merge into" in err
    assert not dest.exists()


def test_manifest_without_hash_maps_names_to_themselves(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    assert run(["build", str(site), str(dest), "--manifest", "-q"]) == 0
    assert all(name == hashed for name, hashed in paths_of(dest).items())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{missing}", "{dest}", "--all"], "does not exist"),
        (["{src}", "{src}", "--all"], "SRC and DEST are the same directory"),
        (["{src}", "{src}/out", "--all"], "DEST is inside SRC"),
        (["{src}/css", "{src}", "--all"], "SRC is inside DEST"),
        (["{src}", "{dest}"], "At least one of --hash, --manifest, --compress, or --all"),
        (["{src}", "{dest}", "--minify", "--all"], "minify is not supported"),
        (["{src}", "{dest}", "--compress", "--zstd-dict", "d"], "zstd dictionaries are not"),
        (["{src}", "{dest}", "--compress", "--zstd-level", "40"], "--zstd-level must be"),
        (["{src}", "{dest}", "--compress", "-j", "0"], "--jobs must be at least 1"),
        (["{src}", "{dest}", "--compress", "--config", "nope.toml"], "no such file"),
        (["{file}", "{dest}", "--all"], "is not a directory"),
        (["{src}", "{file}", "--all"], "exists and is not a directory"),
    ],
)
def test_usage_errors_are_one_clear_line(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = snapshot(site)
    values = {
        "src": str(site),
        "dest": str(tmp_path / "out"),
        "missing": str(tmp_path / "missing"),
        "file": str(site / "index.html"),
    }
    assert run([part.format(**values) for part in argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("error: ")
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1
    assert snapshot(site) == before


def test_argparse_errors_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["src", "dest", "--no-such-flag"]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err
    assert run(["build", "--help"]) == 0
    assert "--merge-manifest" in capsys.readouterr().out


def test_missing_reference_fails_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src"
    write(src / "app.css", "a{background:url(gone.png)}")
    assert run([str(src), str(tmp_path / "out"), "--hash"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "error: app.css: 'gone.png' refers to gone.png (missing) "
        "(use --allow-missing to keep it as written)\n"
    )
    assert run([str(src), str(tmp_path / "out"), "--hash", "--allow-missing"]) == 0
    assert "warning: app.css: 'gone.png' refers to gone.png (missing)" in capsys.readouterr().err


def test_unreadable_file_is_reported_and_src_is_untouched(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(site)
    real_copy = shutil.copy2
    secret = str(site / "js" / "lazy.js")

    def copy2(source: str, target: str) -> object:
        if source == secret:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), source)
        return real_copy(source, target)

    real_open = builtins.open

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        # The build reads the files it hashes straight from SRC (no copy first).
        if file == secret:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(shutil, "copy2", copy2)
    monkeypatch.setattr(builtins, "open", guarded_open)
    assert run([str(site), str(tmp_path / "out"), "--all"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {secret}: Permission denied\n"
    assert snapshot(site) == before
    assert not (tmp_path / "out" / "staticfiles.json").exists()


def test_full_disk_fails_cleanly(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "out"
    assert run([str(site), str(dest), "--hash", "--copy-original", "-q"]) == 0
    before_src, before_dest = snapshot(site), snapshot(dest)
    real_fdopen = os.fdopen

    def fdopen(fd: int, mode: str = "r", *args: object) -> object:
        handle = real_fdopen(fd, mode)
        if "w" in mode:
            handle.close()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return handle

    monkeypatch.setattr(os, "fdopen", fdopen)
    assert run([str(site), str(dest), "--all"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err
    assert "Traceback" not in err
    assert snapshot(site) == before_src
    after = snapshot(dest)
    assert {name: after[name] for name in before_dest} == before_dest  # nothing lost
    assert not [name for name in after if name.endswith(".tmp")]


def test_compress_subcommand_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a.css", text_blob())
    write(tmp_path / "b.txt", text_blob())
    write(tmp_path / "vendor" / "c.js", text_blob())
    assert run(["compress", str(tmp_path), "--no-gzip", "-e", "vendor/*"]) == 0
    assert sorted(variants_of(tmp_path / "a.css")) == [".br", ".zst"]
    assert variants_of(tmp_path / "vendor" / "c.js") == {}
    out = capsys.readouterr().out
    assert out.startswith("compressed 2 of 2 files in ")
    assert run(["compress", str(tmp_path), "-q", "txt"]) == 0
    assert sorted(variants_of(tmp_path / "a.css")) == [".br", ".gz", ".zst"]
    assert variants_of(tmp_path / "b.txt") == {
        ".br": text_blob().encode(),
        ".zst": text_blob().encode(),
    }
    assert capsys.readouterr().out == ""


def test_compress_subcommand_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["compress", str(tmp_path / "nope")]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_compress_reads_the_config_and_flags_win(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(
        tmp_path / "servestatic.toml",
        '[compression]\nencodings = ["gzip", "br"]\nmin_saving = 0.5\nzstd_level = 3\n',
    )
    root = tmp_path / "www"
    write(root / "a.css", text_blob())
    assert run(["compress", str(root), "--config", str(config), "--no-brotli", "-q"]) == 0
    assert sorted(variants_of(root / "a.css")) == [".gz"]


def test_bad_config_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path / "servestatic.toml", "[compression]\nmin_saving = 3\n")
    write(tmp_path / "www" / "a.css", text_blob())
    assert run(["compress", str(tmp_path / "www"), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "compression.min_saving" in err
    assert "Traceback" not in err


def test_compress_failure_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a.css", text_blob())
    blocker = tmp_path / "b.css.zst"
    write(tmp_path / "b.css", text_blob())
    blocker.mkdir()  # a directory where the variant must go: the rename fails
    assert run(["compress", str(tmp_path), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'b.css'}: ")
    assert set(variants_of(tmp_path / "a.css")) == set(DECODERS)


def test_dest_that_cannot_be_created(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = site / "index.html" / "out"  # below a regular file
    other_src = site.parent / "src2"
    shutil.copytree(site, other_src)
    assert run([str(other_src), str(dest), "--compress"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {dest}: Not a directory\n"


@pytest.mark.parametrize("command", ["build", "compress"])
def test_unreadable_directory_stops_the_build(
    site: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    real_scandir = os.scandir
    locked = str(site / "js")

    def scandir(path: str) -> object:
        if os.fspath(path) == locked:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    argv = [str(site), str(tmp_path / "out"), "--all"] if command == "build" else [str(site)]
    assert run([command, *argv]) == 1
    assert capsys.readouterr().err == f"error: {locked}: Permission denied\n"


def test_names_that_are_not_utf8_are_copied_and_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src"
    write(src / "a.css", text_blob())
    raw = os.path.join(os.fsencode(src), b"bad-\xff.css")
    with open(raw, "wb") as handle:
        handle.write(text_blob().encode())
    dest = tmp_path / "out"
    assert run([str(src), str(dest), "--all"]) == 0
    captured = capsys.readouterr()
    assert "warning: 'bad-\\udcff.css' left as copied: the name is not valid UTF-8" in captured.err
    assert os.path.exists(os.path.join(os.fsencode(dest), b"bad-\xff.css"))
    assert list(paths_of(dest)) == ["a.css"]


def test_servestatic_flag_order_and_no_op_flags(site: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    assert run(["--manifest", "--zstd-dict-raw", "-q", str(site), str(dest)]) == 0
    assert paths_of(dest)["css/app.css"] == "css/app.css"


def test_user_dotfiles_that_look_temporary_are_still_copied(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src / ".notes.tmp", "mine")
    write(src / ".a.css.k3j5_x9q.tmp", "a half-written file of ours")
    assert run([str(src), str(tmp_path / "out"), "--manifest", "-q"]) == 0
    assert files(tmp_path / "out") == [".notes.tmp", "staticfiles.json"]


def test_a_source_that_already_holds_hashed_names_loses_nothing(tmp_path: Path) -> None:
    src, first, second = tmp_path / "src", tmp_path / "first", tmp_path / "second"
    write(src / "a.txt", "plain text")
    assert run([str(src), str(first), "--hash", "--copy-original", "-q"]) == 0
    assert run([str(first), str(second), "--all", "-q"]) == 0
    for name, hashed in paths_of(second).items():
        assert (second / hashed).is_file(), name


def _touch_later(path: Path, seconds: int = 10) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + seconds * 1_000_000_000))


def test_a_format_turned_off_leaves_no_stale_variant(tmp_path: Path) -> None:
    """``--no-brotli`` on a re-run: the old ``.br`` was made from the old content, so it
    is removed rather than served for the new one."""
    target = write(tmp_path / "app.js", text_blob(word="one"))
    assert run(["compress", str(tmp_path), "-q"]) == 0
    assert sorted(variants_of(target)) == [".br", ".gz", ".zst"]
    write(target, text_blob(word="two"))
    _touch_later(target)
    assert run(["compress", str(tmp_path), "-q", "--no-brotli"]) == 0
    found = variants_of(target)
    assert sorted(found) == [".gz", ".zst"]
    assert all(data == text_blob(word="two").encode() for data in found.values())


def test_excluded_and_skipped_files_lose_stale_variants_only(tmp_path: Path) -> None:
    old = write(tmp_path / "sw.js", text_blob(word="old"))
    kept = write(tmp_path / "vendor.js", text_blob(word="vendor"))
    assert run(["compress", str(tmp_path), "-q"]) == 0
    write(old, text_blob(word="new"))
    _touch_later(old)
    # A variant newer than its file (a bundler's) is not ours to judge: it stays.
    write(kept.with_name("vendor.js.br"), b"bundler output")
    _touch_later(kept.with_name("vendor.js.br"), 20)
    assert run(["compress", str(tmp_path), "-q", "-e", "sw.js", "-e", "vendor.js"]) == 0
    assert variants_of(old) == {}
    assert (tmp_path / "vendor.js.br").read_bytes() == b"bundler output"
    assert (tmp_path / "vendor.js.gz").exists()  # same time as its file: current


def test_rebuild_into_dest_drops_variants_of_changed_uncompressed_files(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "out"
    page = write(src / "index.html", text_blob(word="first"))
    assert run([str(src), str(dest), "--compress", "-q"]) == 0
    assert (dest / "index.html.gz").exists()
    write(page, text_blob(word="second"))
    _touch_later(page)
    assert run([str(src), str(dest), "--compress", "-q", "-e", "*.html"]) == 0
    assert (dest / "index.html").read_text() == text_blob(word="second")
    assert variants_of(dest / "index.html") == {}


def test_excluded_files_still_point_at_hashed_names(tmp_path: Path) -> None:
    """``-e sw.js`` keeps the service worker's name, but what it imports is renamed and
    the original removed: its references are rewritten like any other file's."""
    src, dest = tmp_path / "src", tmp_path / "out"
    write(src / "sw.js", 'import "./lib.js";\n')
    write(src / "lib.js", "export const a = 1;\n")
    assert run([str(src), str(dest), "--hash", "--manifest", "-q", "-e", "sw.js"]) == 0
    hashed = paths_of(dest)["lib.js"]
    assert hashed != "lib.js"
    assert not (dest / "lib.js").exists()
    assert (dest / "sw.js").read_text() == f'import "./{hashed}";\n'
    assert paths_of(dest)["sw.js"] == "sw.js"
    # Idempotent: a second run gives the same tree.
    before = snapshot(dest)
    assert run([str(src), str(dest), "--hash", "--manifest", "-q", "-e", "sw.js"]) == 0
    assert snapshot(dest) == before


def test_symlinked_directories_in_src_are_copied_and_loops_end(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "out"
    write(src / "real" / "r.css", "r{color:red}")
    (src / "alias").symlink_to("real", target_is_directory=True)
    (src / "real" / "up").symlink_to("..", target_is_directory=True)  # a loop
    write(src / "main.css", '@import "alias/r.css";')
    assert run([str(src), str(dest), "--hash", "--manifest", "-q"]) == 0
    paths = paths_of(dest)
    assert {"alias/r.css", "real/r.css", "main.css"} <= set(paths)
    assert not any(name.startswith("real/up/") for name in paths)
    assert f'@import "{paths["alias/r.css"]}";' == (dest / paths["main.css"]).read_text()


def test_refused_flags_are_refused_even_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for flag in (["--minify"], ["--zstd-dict", "d.bin"]):
        assert run([str(tmp_path), str(tmp_path / "out"), *flag]) == 2
        err = capsys.readouterr().err
        assert "At least one of" not in err
        assert "not supported" in err or "refused" in err or "dictionar" in err


def test_help_shows_no_backwards_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["build", "--help"]) == 0
    out = capsys.readouterr().out
    assert "(default: True)" not in out
    assert "(default: False)" not in out
    assert "(default: None)" not in out
    assert "(default: [])" not in out
    assert "--zstd-level N" in out
    assert run(["compress", "--help"]) == 0
    out = capsys.readouterr().out
    assert "(default: None)" not in out
    assert "still copies" in " ".join(out.split())  # the -e help names build, not compress


def test_summary_counts_one_file_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "src" / "a.txt", "x")
    assert run(["build", str(tmp_path / "src"), str(tmp_path / "out"), "--hash"]) == 0
    assert f"1 file from {tmp_path / 'src'} (" in capsys.readouterr().out


def test_compress_leaves_links_out_of_root_alone(tmp_path: Path) -> None:
    """Variants of a linked outside file would copy its content into ROOT as plain files."""
    outside = write(tmp_path / "secret.txt", text_blob(word="secret"))
    root = tmp_path / "root"
    write(root / "app.css", text_blob())
    (root / "leak.txt").symlink_to(outside)
    (root / "inside.txt").symlink_to(root / "app.css")
    assert run(["compress", str(root), "-q"]) == 0
    assert variants_of(root / "leak.txt") == {}
    assert sorted(variants_of(root / "inside.txt")) == [".br", ".gz", ".zst"]


def test_hash_removes_originals_and_their_old_variants_without_failed_unlinks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The originals go with any variant an earlier ``--copy-original`` build left, and
    the build only unlinks what is there (a failed unlink per possible variant cost 4 s on
    an icon set of 5,800 files, issue 19)."""
    src, dest = tmp_path / "src", tmp_path / "out"
    for number in range(30):
        write(src / "icons" / f"i{number}.svg", text_blob(word=f"icon{number}"))
    write(src / "a.css", text_blob())
    assert run([str(src), str(dest), "--all", "--copy-original", "-q"]) == 0
    assert (dest / "icons" / "i0.svg.br").is_file()  # variants of the original, kept then
    unlinked: list[str] = []
    failed: list[str] = []
    real_unlink = os.unlink

    def counting_unlink(path: str, *args: object, **kwargs: object) -> None:
        try:
            real_unlink(path)
        except FileNotFoundError:
            failed.append(str(path))
            raise
        unlinked.append(str(path))

    monkeypatch.setattr(os, "unlink", counting_unlink)
    assert run([str(src), str(dest), "--all", "-q"]) == 0
    assert failed == []
    left = sorted(path.name for path in (dest / "icons").iterdir())
    assert not [name for name in left if re.fullmatch(r"i\d+\.svg(\.\w+)?", name)]
    assert len([name for name in left if name.endswith(".svg")]) == 30  # the hashed ones
    removed = {os.path.basename(path) for path in unlinked}
    assert {"i0.svg", "i0.svg.br", "i0.svg.gz", "i0.svg.zst"} <= removed
