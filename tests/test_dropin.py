"""Drop-in details of ServeStatic 4.4's public API that a swap of packages relies on:
subclass hooks, the hooks' URL for index files, the ``Compressor`` call forms, the legacy
app paths, the command line when a folder is named like a command, and issue 20's items
(``cli.main`` exiting like ServeStatic's, case-insensitive media types by file name,
environs without ``REQUEST_METHOD``, the standalone lifespan loop)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from wsgiref.headers import Headers

import pytest
import zstandard

from servestatic import ServeStatic, ServeStaticASGI
from servestatic.cli import main as cli_main
from servestatic.cli import run as cli_run
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


# ----------------------------------------------------------------------------- issue 20


def _build_site(tmp_path: Path) -> tuple[str, str]:
    src = tmp_path / "src"
    write(src / "app.js", "console.log(1);\n" * 20)
    return str(src), str(tmp_path / "out")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["{src}", "{dest}"],
            "At least one of --hash, --manifest, --compress, or --all must be provided. "
            "Use --help for usage.",
        ),
        (["{missing}", "{dest}", "--all"], "does not exist"),
        (["{src}", "{dest}", "--all", "--no-such-flag"], "unrecognized arguments"),
        (["{src}"], "the following arguments are required: dest"),
    ],
)
def test_cli_main_exits_on_a_usage_error_like_servestatic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """ServeStatic's ``main`` ends a usage error with argparse's ``SystemExit(2)``: a Python
    build script calling ``main([...])`` stops there instead of carrying on."""
    src, dest = _build_site(tmp_path)
    values = {"src": src, "dest": dest, "missing": str(tmp_path / "missing")}
    args = [part.format(**values) for part in argv]
    with pytest.raises(SystemExit) as exited:
        cli_main(args)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert not os.path.exists(dest)
    # `run` is the same command line returning its status, for callers that want it.
    assert cli_run(args) == 2
    assert message in capsys.readouterr().err


def test_cli_main_returns_0_and_exits_0_after_help(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dest = _build_site(tmp_path)
    assert cli_main([src, dest, "--compress", "-q"]) == 0
    assert os.path.isfile(os.path.join(dest, "app.js.gz"))
    with pytest.raises(SystemExit) as helped:
        cli_main([src, dest, "--help"])
    assert helped.value.code == 0
    assert "--merge-manifest" in capsys.readouterr().out


def test_cli_main_exits_1_when_the_build_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ServeStatic logged a failed file and went on with status 0; here the build fails and
    ``main`` exits 1, so the script stops before deploying a half-built folder."""
    src = tmp_path / "src"
    write(src / "app.css", "a{background:url(gone.png)}")
    with pytest.raises(SystemExit) as exited:
        cli_main([str(src), str(tmp_path / "out"), "--hash"])
    assert exited.value.code == 1
    assert "gone.png" in capsys.readouterr().err


def test_cli_subcommands_still_return_their_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["compress", str(tmp_path / "missing")]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_console_script_exit_status(tmp_path: Path) -> None:
    src, dest = _build_site(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "servestatic", src, dest],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "At least one of --hash, --manifest, --compress, or --all" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
@pytest.mark.parametrize("autorefresh", [False, True])
def test_media_types_by_file_name_ignore_case(tmp_path: Path, kind: str, autorefresh: bool) -> None:
    """ServeStatic lower-cases the file name before its lookup; user entries are matched
    the same way, whatever case their key has."""
    for name in [
        "Apple-App-Site-Association",
        "CrossDomain.XML",
        "Special-File",
        "special-file-2",
        "APP.JS",
        "data.Custom",
    ]:
        write(tmp_path / name, "{}")
    mimetypes = {"special-file": "application/x-special", "Special-File-2": "text/x-two"}
    mimetypes[".CUSTOM"] = "application/x-custom"
    server = Server(
        kind,
        (ServeStatic if kind == "wsgi" else ServeStaticASGI)(
            None, tmp_path, mimetypes=mimetypes, autorefresh=autorefresh
        ),
    )
    assert server.get("/Apple-App-Site-Association").header("content-type") == ("application/json")
    assert server.get("/CrossDomain.XML").header("content-type") == (
        "text/x-cross-domain-policy; charset=utf-8"
    )
    assert server.get("/Special-File").header("content-type") == "application/x-special"
    assert server.get("/special-file-2").header("content-type") == "text/x-two; charset=utf-8"
    assert server.get("/APP.JS").header("content-type") == "text/javascript; charset=utf-8"
    assert server.get("/data.Custom").header("content-type") == "application/x-custom"


def _minimal_wsgi(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        statuses.append(status)

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return statuses[0], data


def _downstream(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"application"]


@pytest.mark.parametrize("autorefresh", [False, True])
@pytest.mark.parametrize("standalone", [True, False])
def test_environ_without_request_method_never_raises(
    tmp_path: Path, autorefresh: bool, standalone: bool
) -> None:
    """Hand-built environs in users' tests often lack ``REQUEST_METHOD``: a miss goes to
    the application (or the standalone 404) as with ServeStatic; a file, which ServeStatic
    answered with a ``KeyError``, gets a clean 400."""
    app = ServeStatic(
        None if standalone else _downstream,
        _site(tmp_path),
        index_file=True,
        autorefresh=autorefresh,
    )
    missed = ("404 Not Found", b"Not Found") if standalone else ("200 OK", b"application")
    # An empty PATH_INFO is the site root (PEP 3333), which has an index file here.
    assert _minimal_wsgi(app, {}) == ("400 Bad Request", b"")
    assert _minimal_wsgi(app, {"PATH_INFO": "/missing.js"}) == missed
    assert _minimal_wsgi(app, {"PATH_INFO": "/app.js"}) == ("400 Bad Request", b"")
    assert _minimal_wsgi(app, {"PATH_INFO": "/sub"}) == ("400 Bad Request", b"")  # redirect
    assert _minimal_wsgi(app, {"PATH_INFO": "/sub/"}) == ("400 Bad Request", b"")
    # With a method, the same minimal environ is served.
    status, body = _minimal_wsgi(app, {"PATH_INFO": "/app.js", "REQUEST_METHOD": "GET"})
    assert (status, body) == ("200 OK", b"console.log(1);" * 20)


def _lifespan(
    app: ServeStaticASGI, messages: list[dict[str, Any]], then: dict[str, Any]
) -> tuple[list[dict[str, Any]], int]:
    """Run a lifespan scope whose receive() gives ``messages``, then ``then`` forever (as a
    server stuck on one message would); a receive() past 100 calls fails the test instead
    of letting a spinning loop hang the suite."""
    sent: list[dict[str, Any]] = []
    calls = 0

    async def receive() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls > 100:
            raise AssertionError("the lifespan loop keeps receiving the same message")
        return messages[calls - 1] if calls <= len(messages) else then

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=10))
    return sent, calls


@pytest.mark.parametrize(
    "unexpected",
    [{"type": "http.disconnect"}, {"type": "websocket.receive"}, {"type": "lifespan.bogus"}],
)
def test_standalone_lifespan_ends_on_an_unexpected_message(
    tmp_path: Path, unexpected: dict[str, Any]
) -> None:
    app = ServeStaticASGI(None, _site(tmp_path))
    sent, calls = _lifespan(app, [{"type": "lifespan.startup"}], unexpected)
    assert sent == [{"type": "lifespan.startup.complete"}]
    assert calls == 2
    sent, calls = _lifespan(app, [], unexpected)
    assert (sent, calls) == ([], 1)


def test_standalone_lifespan_still_completes_both_phases(tmp_path: Path) -> None:
    app = ServeStaticASGI(None, _site(tmp_path))
    phases = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent, calls = _lifespan(app, phases, {"type": "http.disconnect"})
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
    assert calls == 2
