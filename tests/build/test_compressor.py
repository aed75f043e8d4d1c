"""``servestatic.compress``: ServeStatic's Compressor API and ``python -m servestatic.compress``."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from servestatic.compress import MINIFY_REFUSED, ZSTD_DICT_REFUSED, Compressor, main
from tests.build.helpers import text_blob, variants_of, write


def test_signature_matches_servestatic() -> None:
    parameters = inspect.signature(Compressor).parameters
    assert list(parameters) == [
        "extensions",
        "use_gzip",
        "use_brotli",
        "use_zstd",
        "minify",
        "zstd_dict",
        "zstd_dict_is_raw",
        "zstd_level",
        "log",
        "quiet",
    ]
    defaults = {name: parameter.default for name, parameter in parameters.items()}
    assert defaults == {
        "extensions": None,
        "use_gzip": True,
        "use_brotli": True,
        "use_zstd": True,
        "minify": False,
        "zstd_dict": None,
        "zstd_dict_is_raw": False,
        "zstd_level": None,
        "log": print,
        "quiet": False,
    }
    for method in (
        "should_compress",
        "compress",
        "compress_gzip",
        "compress_brotli",
        "compress_zstd",
        "is_compressed_effectively",
        "write_data",
        "get_extension_re",
        "load_zstd_dictionary",
    ):
        assert callable(getattr(Compressor, method))


def test_compress_writes_all_three_and_they_decode_to_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "app.css", text_blob())
    os.utime(path, ns=(1_500_000_000_000_000_000, 1_500_000_000_000_000_000))
    written = Compressor(quiet=True).compress(str(path))
    assert written == [str(path) + ".zst", str(path) + ".br", str(path) + ".gz"]
    assert variants_of(path) == dict.fromkeys((".gz", ".br", ".zst"), path.read_bytes())
    for name in written:
        assert Path(name).stat().st_mtime_ns == 1_500_000_000_000_000_000


def test_compress_logs_through_log(tmp_path: Path) -> None:
    path = write(tmp_path / "app.js", text_blob())
    messages: list[str] = []
    Compressor(log=messages.append, use_brotli=False, use_zstd=False).compress(str(path))
    size_k = path.stat().st_size // 1024
    assert messages == [f"Gzip compressed {path} ({size_k}K -> 0K)"]


def test_quiet_logs_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "random.bin", os.urandom(2000))
    messages: list[str] = []
    assert Compressor(log=messages.append, quiet=True).compress(str(path)) == []
    assert messages == []


def test_ineffective_compression_removes_a_stale_variant(tmp_path: Path) -> None:
    path = write(tmp_path / "data.bin", os.urandom(3000))
    write(tmp_path / "data.bin.gz", b"stale bytes from an old version")
    write(tmp_path / "data.bin.zstd", b"stale ServeStatic zstd")
    assert Compressor(quiet=True).compress(str(path)) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_writing_zst_replaces_servestatic_zstd(tmp_path: Path) -> None:
    path = write(tmp_path / "a.css", text_blob())
    write(tmp_path / "a.css.zstd", b"old")
    Compressor(quiet=True, use_brotli=False, use_gzip=False).compress(str(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.css", "a.css.zst"]


def test_should_compress_uses_extensions(tmp_path: Path) -> None:
    compressor = Compressor(extensions=["txt"])
    assert not compressor.should_compress("notes.TXT")
    assert compressor.should_compress("photo.jpg")
    assert Compressor(extensions=[]).should_compress("photo.jpg")
    assert not Compressor().should_compress("photo.jpg")


def test_minify_and_zstd_dict_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="minify is not supported") as minify:
        Compressor(minify=True)
    assert str(minify.value) == MINIFY_REFUSED
    with pytest.raises(ValueError, match="zstd dictionaries are not supported") as dictionary:
        Compressor(zstd_dict="dict.bin")
    assert str(dictionary.value) == ZSTD_DICT_REFUSED
    with pytest.raises(ValueError, match="zstd dictionaries"):
        Compressor.compress_zstd(b"x", zstd_dict=b"dict")
    with pytest.raises(ValueError, match="zstd dictionaries"):
        Compressor.load_zstd_dictionary(b"dict")
    Compressor.load_zstd_dictionary(None)


def test_zstd_level_is_checked() -> None:
    with pytest.raises(ValueError, match="zstd_level must be between 1 and 22, got 30"):
        Compressor(zstd_level=30)
    assert Compressor(zstd_level=3).options.zstd_level == 3
    assert Compressor().options.zstd_level == 19


def test_options_follow_the_flags() -> None:
    options = Compressor(use_zstd=False, use_gzip=False).options
    assert options.codings == ("br",)


def test_module_main_compresses_without_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Called from Python, ServeStatic's ``main`` does not warn (only ``python -m`` does);
    the suite's ``filterwarnings = error`` would fail this test if it did."""
    write(tmp_path / "a.css", text_blob())
    write(tmp_path / "b.txt", text_blob())
    status = main(["--no-brotli", "--zstd-level", "5", str(tmp_path), "txt"])
    assert status == 0
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert names == ["a.css", "a.css.gz", "a.css.zst", "b.txt"]
    assert capsys.readouterr().out.startswith("compressed 1 of 1 file in ")


def test_module_main_usage_errors_exit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As ServeStatic's (argparse), a mistake raises ``SystemExit``: a script stops there."""
    with pytest.raises(SystemExit) as missing:
        main([str(tmp_path / "missing")])
    assert missing.value.code == 2
    assert "no such directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        main(["--zstd-dict", "d", str(tmp_path)])
    assert refused.value.code == 2
    assert "zstd dictionaries are not supported" in capsys.readouterr().err
    with pytest.raises(SystemExit) as bogus:
        main(["--bogus"])
    assert bogus.value.code == 2
    with pytest.raises(SystemExit) as helped:
        main(["--help"])
    assert helped.value.code == 0


def test_module_main_failure_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "a.css", text_blob())

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("servestatic.build.compress.write_atomic", fail)
    with pytest.raises(SystemExit) as failed:
        main(["-q", str(tmp_path)])
    assert failed.value.code == 1
    assert "No space left on device" in capsys.readouterr().err


def test_module_main_quiet_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "a.css", text_blob())
    assert main(["-q", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


def test_running_the_module_warns_with_servestatics_text(tmp_path: Path) -> None:
    write(tmp_path / "a.css", text_blob())
    done = subprocess.run(
        [sys.executable, "-m", "servestatic.compress", "-q", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0
    assert (
        "DeprecationWarning: Calling this file directly is deprecated. "
        "Use the 'servestatic --compress' command instead." in done.stderr
    )
    assert (tmp_path / "a.css.gz").is_file()
