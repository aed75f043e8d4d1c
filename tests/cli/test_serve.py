"""``servestatic serve``: a real server in a subprocess, Ctrl-C, and one-line errors."""

from __future__ import annotations

import http.client
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from servestatic.cli import main
from tests.conftest import write
from tests.live import start_serve


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.servers
def test_serve_a_folder_and_stop_with_ctrl_c(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(site / "index.html", "<h1>home</h1>")
    write(site / "app" / "index.html", "<h1>app</h1>")
    process, port = start_serve(site, "--spa", "/index.html", cwd=tmp_path)
    try:
        assert get(port, "/")[2] == b"<h1>home</h1>"
        assert get(port, "/app/")[2] == b"<h1>app</h1>"
        status, headers, _ = get(port, "/app")
        assert (status, headers["location"]) == (302, "app/")
        assert get(port, "/client/side/route")[2] == b"<h1>home</h1>"  # --spa
        assert get(port, "/missing.js")[0] == 404
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0
    assert f"servestatic: serving {site} at http://127.0.0.1:{port}/\n" in output
    assert f"servestatic: listening on http://127.0.0.1:{port}/ (Ctrl-C to stop)" in output


def test_serve_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["serve", str(tmp_path / "nope")]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"servestatic serve: {str(tmp_path / 'nope')!r} is not a directory"
    )
    assert main(["serve", str(tmp_path), "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert main(["serve"]) == 2
    assert "nothing to serve" in capsys.readouterr().err
    (tmp_path / "servestatic.toml").write_text("max_age = 'soon'\n")
    monkeypatch.chdir(tmp_path)
    assert main(["serve", str(tmp_path)]) == 2
    assert "servestatic.toml → max_age" in capsys.readouterr().err
    assert "SERVESTATIC_ROOT" not in os.environ  # the parent's environment is restored


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_serve_refuses_a_port_it_cannot_bind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    assert main(["serve", str(tmp_path), "--port", port]) == 2
    assert f"invalid port {port!r}: expected a number from 0 to 65535" in capsys.readouterr().err


def test_serve_flag_errors_name_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flags reach the workers as variables, but an error names the flag the user typed."""
    monkeypatch.chdir(tmp_path)
    assert main(["serve", str(tmp_path), "--spa", "index.html"]) == 2
    err = capsys.readouterr().err
    assert "--spa → spa.fallback" in err
    assert "SERVESTATIC_SPA__FALLBACK" not in err
    assert main(["serve", str(tmp_path), "--prefix", "/a?b/"]) == 2
    assert "--prefix → prefix" in capsys.readouterr().err


def test_serve_without_uvicorn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_uvicorn(name: str, *args: object, **kwargs: object) -> object:
        if name == "uvicorn":
            raise ImportError("No module named 'uvicorn'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_uvicorn)
    assert main(["serve", str(tmp_path)]) == 2
    assert "pip install 'servestatic[serve]'" in capsys.readouterr().err


def test_serve_passes_flags_to_uvicorn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    from servestatic.cli import _serve

    seen: dict[str, object] = {}

    def fake_serve_on(config: Any, sock: socket.socket) -> None:
        # The socket is already listening when the URL is printed and uvicorn starts.
        listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        seen.update(
            target=config.app,
            host=sock.getsockname()[0],
            port=sock.getsockname()[1],
            workers=config.workers,
            access_log=config.access_log,
            factory=config.factory,
            listening=bool(listening),
            root=os.environ.get("SERVESTATIC_ROOT"),
            printed=capsys.readouterr().out,
        )
        sock.close()

    monkeypatch.setattr(_serve, "serve_on", fake_serve_on)
    config = write(tmp_path / "conf.toml", "max_age = 5\n")
    assert (
        main(
            [
                "serve",
                str(tmp_path),
                "--host",
                "::1",
                "--port",
                "0",
                "--workers",
                "3",
                "--prefix",
                "/p",
                "--no-access-log",
                "--config",
                str(config),
            ]
        )
        == 0
    )
    assert seen["target"] == "servestatic.app:create_asgi"
    assert (seen["host"], seen["workers"], seen["access_log"], seen["factory"]) == (
        "::1",
        3,
        False,
        True,
    )
    assert seen["listening"] is True
    assert seen["root"] == str(tmp_path.resolve())
    port = seen["port"]
    assert isinstance(port, int)
    assert port > 0  # --port 0: the port the system chose
    assert f"servestatic: listening on http://[::1]:{port}/p/ (Ctrl-C to stop)" in str(
        seen["printed"]
    )


def test_one_worker_serves_the_checked_application_and_warns_once(tmp_path: Path) -> None:
    """With one worker the application built to check the configuration is the one served:
    a start-up warning is printed once, not once more by a second construction."""
    site = tmp_path / "site"
    write(site / "index.html", "<h1>home</h1>")
    write(tmp_path / "servestatic.toml", '[[rules]]\nmatch = "/nothing/**"\nimmutable = true\n')
    process, port = start_serve(site, cwd=tmp_path)
    try:
        assert get(port, "/")[2] == b"<h1>home</h1>"
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=20)[0].decode()
    assert output.count("matches no file") == 1, output
    assert (
        "servestatic: warning: servestatic.toml [[rules]] #1 → match: matches no file, "
        "got '/nothing/**'" in output
    )
    # One start-up line from the servestatic logger, after the warning, before the URL.
    assert output.count("servestatic: serving 1 file (0 precompressed variants) from ") == 1
    assert output.index("matches no file") < output.index("servestatic: serving 1 file")
    assert output.index("servestatic: serving 1 file") < output.index("listening on")
