"""Drop-in details of ServeStatic 4.4's public API that a swap of packages relies on:
subclass hooks, the hooks' URL for index files, the ``Compressor`` call forms, the legacy
app paths and the command line when a folder is named like a command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from wsgiref.headers import Headers

import pytest
import zstandard

from servestatic import ServeStatic, ServeStaticASGI
from servestatic.cli import main as cli_main
from servestatic.compress import Compressor
from tests.client import Server, call_asgi, call_wsgi
from tests.conftest import write


def _site(root: Path) -> Path:
    write(root / "app.js", "console.log(1);" * 20)
    write(root / "style.css", "body{color:red}" * 20)
    write(root / "index.html", "<h1>home</h1>")
    write(root / "sub" / "index.html", "<h1>sub</h1>")
    return root


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_subclass_header_hooks_are_called_once_per_file(tmp_path: Path, kind: str) -> None:
    seen: list[tuple[str, str]] = []
    base = ServeStatic if kind == "wsgi" else ServeStaticASGI

    class Custom(base):  # type: ignore[valid-type,misc]
        def add_mime_headers(self, headers: Headers, path: str, url: str) -> None:
            super().add_mime_headers(headers, path, url)
            if url.endswith(".js"):
                headers["Content-Type"] = "application/x-custom"

        def add_cache_headers(self, headers: Headers, path: str, url: str) -> None:
            super().add_cache_headers(headers, path, url)
            seen.append((os.path.basename(path), url))
            assert headers["Cache-Control"] == "max-age=60, public"  # defaults already set
            headers["Cache-Control"] = "no-store"

    server = Server(kind, Custom(None, _site(tmp_path), index_file=True))
    script = server.get("/app.js")
    assert script.header("content-type") == "application/x-custom"
    assert script.header("cache-control") == "no-store"
    assert server.get("/style.css").header("content-type") == "text/css; charset=utf-8"
    assert sorted(seen) == [
        ("app.js", "/app.js"),
        ("index.html", "/"),
        ("index.html", "/sub/"),
        ("style.css", "/style.css"),
    ]


def test_subclass_hooks_run_before_add_headers_function(tmp_path: Path) -> None:
    order: list[str] = []

    def add_headers_function(headers: Headers, path: str, url: str) -> None:
        order.append("function")
        headers["X-Order"] = headers.get("X-Order", "") + "function"

    class Custom(ServeStatic):
        def add_cache_headers(self, headers: Headers, path: str, url: str) -> None:
            order.append("method")
            headers["X-Order"] = "method,"

    app = Custom(None, _site(tmp_path), add_headers_function=add_headers_function)
    assert call_wsgi(app, "/app.js").header("x-order") == "method,function"
    assert order[:2] == ["method", "function"]


@pytest.mark.parametrize(
    "name", ["get_static_file", "find_file_at_path", "candidate_paths_for_url", "initialize"]
)
def test_overriding_an_internal_servestatic_never_calls_is_refused(
    tmp_path: Path, name: str
) -> None:
    """ServeStatic 4.x internals have no equivalent here; silently ignoring an override
    would serve something other than what the subclass says."""
    custom = type("Custom", (ServeStatic,), {name: lambda self, *args: None})
    with pytest.raises(TypeError, match=rf"Custom\.{name} overrides a ServeStatic 4\.x method"):
        custom(None, _site(tmp_path))


def test_hooks_see_the_directory_url_for_index_files(tmp_path: Path) -> None:
    """ServeStatic calls ``add_headers_function`` and ``immutable_file_test`` once per index
    file with the directory's URL; ``/index.html`` itself redirects there."""
    hooked: list[str] = []
    tested: list[str] = []

    def add_headers_function(headers: Headers, path: str, url: str) -> None:
        hooked.append(url)

    def immutable_file_test(path: str, url: str) -> bool:
        tested.append(url)
        return url.endswith("/")

    app = ServeStatic(
        None,
        _site(tmp_path),
        index_file=True,
        add_headers_function=add_headers_function,
        immutable_file_test=immutable_file_test,
    )
    assert sorted(hooked) == ["/", "/app.js", "/style.css", "/sub/"]
    assert sorted(tested) == sorted(hooked)
    assert "immutable" in (call_wsgi(app, "/sub/").header("cache-control") or "")
    assert call_wsgi(app, "/sub/index.html").status == 302


def test_compressor_accepts_paths_and_the_zstd_signature(tmp_path: Path) -> None:
    target = tmp_path / "app.js"
    target.write_text("console.log('servestatic');\n" * 50)
    written = Compressor(quiet=True).compress(target)
    assert sorted(os.path.basename(name) for name in written) == [
        "app.js.br",
        "app.js.gz",
        "app.js.zst",
    ]
    assert all(isinstance(name, str) for name in written)
    data = b"abc" * 100
    packed = Compressor.compress_zstd(data, 3)  # ServeStatic's order: (data, level, zstd_dict)
    assert zstandard.ZstdDecompressor().decompress(packed) == data
    with pytest.raises(ValueError, match="dictionar"):
        Compressor.compress_zstd(data, 3, object())


def test_cli_reads_a_folder_named_build_as_servestatics_src(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``build/`` is a common bundler output: ``servestatic build out --all`` is
    ServeStatic's ``SRC DEST`` form there, not the ``build`` command missing an argument."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "build" / "app.js", "console.log('x');\n" * 40)
    assert cli_main(["build", "out", "--manifest", "-q"]) == 0
    assert (tmp_path / "out" / "app.js").is_file()
    assert (tmp_path / "out" / "staticfiles.json").is_file()
    # The command itself still works with a build/ folder present.
    assert cli_main(["build", "build", "out2", "--compress", "-q"]) == 0
    assert (tmp_path / "out2" / "app.js.gz").is_file()


def test_cli_prefers_the_command_when_both_readings_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "compress" / "a.css", "body{color:red}" * 40)
    write(tmp_path / "out" / "b.css", "body{color:blue}" * 40)
    assert cli_main(["compress", "out", "-q"]) == 0
    assert (tmp_path / "out" / "b.css.gz").is_file()  # compressed in place
    assert not (tmp_path / "out" / "a.css").exists()  # compress/ was not copied
    assert "write ./compress" in capsys.readouterr().err
    assert cli_main(["./compress", "out3", "--compress", "-q"]) == 0
    assert (tmp_path / "out3" / "a.css.gz").is_file()


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_redirect_query_bytes_are_escaped_once(tmp_path: Path, kind: str) -> None:
    """The query arrives one character per byte (PEP 3333; ASGI bytes): UTF-8 ``é`` is
    ``%C3%A9`` in ``Location``, not its double encoding."""
    cls: Any = ServeStatic if kind == "wsgi" else ServeStaticASGI
    app = cls(None, _site(tmp_path), index_file=True)
    query = "x=\u00c3\u00a9&y=%41"  # the bytes C3 A9 as latin-1 characters
    call = call_wsgi if kind == "wsgi" else call_asgi
    response = call(app, "/sub", query=query)
    assert response.status == 302
    assert response.header("location") == "sub/?x=%C3%A9&y=%41"
