"""Hostile request targets: every path class of the security history is a plain 404.

Each case runs through both adapters, both index modes (start-up index and autorefresh)
and two mounts (root at ``/`` and at ``/static/``, next to a sibling ``static_private/``).
A case passes when the answer is the standalone 404, no secret byte appears in the body or
the headers, any ``Location`` stays on the site, and the server then still serves the
public file, its gzip variant and a 304.
"""

from __future__ import annotations

import builtins
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.client import Response, Server
from tests.conftest import Serve
from tests.security.conftest import MakeServer
from tests.security.hostile import (
    JS,
    Hostile,
    assert_clean,
    assert_healthy,
    assert_safe_location,
    send,
)
from tests.security.payloads import PAYLOADS

# Directory loops are exercised separately: they must not hang, but the two index modes
# are allowed to differ there (see ``test_directory_loop_is_bounded``).
_LOOPS = {"{m}/loop/app.js", "{m}/loop/loop/loop/app.js"}
CASES = [
    pytest.param(template, id=f"{kind}:{template}")
    for kind, templates in PAYLOADS.items()
    for template in templates
    if template not in _LOOPS
]


def target(template: str, mount: str, hostile: Hostile) -> str:
    return template.format(m=mount.rstrip("/"), base=str(hostile.base).lstrip("/"))


def expect_plain_404(response: Response, hostile: Hostile, request_target: str) -> None:
    assert response.status == 404, (request_target, response.status, response.header_list)
    assert response.body == b"Not Found"
    assert response.header("location") is None
    assert_clean(response, hostile.markers, label=request_target)
    assert_safe_location(response, request_target)


@pytest.mark.parametrize("template", CASES)
def test_hostile_target_is_a_plain_404(
    hostile_server: Server, hostile: Hostile, mount: str, template: str
) -> None:
    request_target = target(template, mount, hostile)
    expect_plain_404(send(hostile_server, request_target), hostile, request_target)
    assert_healthy(hostile_server, mount)


@pytest.mark.parametrize("method", ["HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE"])
def test_other_methods_on_hostile_targets_leak_nothing(
    hostile_server: Server, hostile: Hostile, mount: str, method: str
) -> None:
    """Non-GET methods on misses get the same 404 (no 405 that would confirm a file)."""
    for template in ("{m}/../secret.txt", "{m}/link.txt", "{m}/.env", "{m}/%2e%2e/secret.txt"):
        request_target = target(template, mount, hostile)
        response = send(hostile_server, request_target, method=method)
        assert response.status == 404, (method, request_target)
        assert_clean(response, hostile.markers, label=request_target)
    assert_healthy(hostile_server, mount)


def test_head_miss_has_no_body(hostile_server: Server, hostile: Hostile, mount: str) -> None:
    """RFC 9110 §9.3.2: no content in a response to HEAD, misses included. uvicorn,
    gunicorn and granian drop it themselves; a plain PEP 3333 server would send it, and
    the next request on the connection would read it as a response. Found by
    ``fuzz/fuzz_engine.py``."""
    for template in ("{m}/no-such-file.txt", "{m}/../secret.txt"):
        response = send(hostile_server, target(template, mount, hostile), method="HEAD")
        assert response.status == 404
        assert response.header("content-length") == "9"
        assert response.body == b""


def test_misses_are_indistinguishable(hostile_server: Server, hostile: Hostile, mount: str) -> None:
    """A missing file, a refused symlink, a dotfile, a variant URL, a traversal and a
    directory without an index answer identically: no oracle for what exists (aiohttp
    "brute-force leak of internal static file path components")."""
    targets = [
        "{m}/no-such-file.txt",
        "{m}/link.txt",
        "{m}/linkdir/secret.txt",
        "{m}/.env",
        "{m}/app.js.br",
        "{m}/../static_private/secret.txt",
        "{m}/.git/",
        "{m}/broken.txt",
        "{m}/CON",
    ]
    answers = {
        (response.status, tuple(response.header_list), response.body)
        for response in (send(hostile_server, target(t, mount, hostile)) for t in targets)
    }
    assert len(answers) == 1, answers


def test_directory_loop_is_bounded(hostile_server: Server, hostile: Hostile, mount: str) -> None:
    """``loop -> .`` never hangs or crashes. The start-up index skips it (a warning); the
    autorefresh lookup resolves it to a file *inside* the root, which is harmless."""
    prefix = mount.rstrip("/")
    deep = prefix + "/loop" * 500 + "/app.js"
    for request_target in (prefix + "/loop/app.js", prefix + "/loop/loop/loop/app.js", deep):
        response = send(hostile_server, request_target)
        assert response.status in {200, 404}
        if response.status == 200:
            assert response.body == JS
        assert_clean(response, hostile.markers)
    assert_healthy(hostile_server, mount)


def test_unsafe_symlinks_option_never_disables_containment(
    make_hostile_server: MakeServer, hostile: Hostile, mount: str
) -> None:
    """aiohttp CVE-2024-23334: turning symlink following on must not turn path checks off.

    With ``allow_unsafe_symlinks=True`` the operator's own links are served (that is the
    option), but request paths still cannot climb, use encodings, drives or devices.
    """
    server = make_hostile_server(
        hostile, None if mount == "/" else mount, allow_unsafe_symlinks=True
    )
    assert send(server, target("{m}/link.txt", mount, hostile)).status == 200
    for kind in ("traversal", "encoded-slash", "backslash", "absolute", "windows-drive", "unc"):
        for template in PAYLOADS[kind]:
            request_target = target(template, mount, hostile)
            response = send(server, request_target)
            assert response.status == 404, request_target
    assert_healthy(server, mount)


def test_wrapped_application_gets_hostile_misses(
    serve: Serve, adapter: str, hostile: Hostile
) -> None:
    """With an application behind the files, misses are the application's to answer; the
    static layer never answers them with a file."""
    calls: list[str] = []

    def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        calls.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"from the application"]

    async def asgi_app(scope: dict[str, Any], receive: Any, send_: Any) -> None:
        calls.append(scope["path"])
        await send_({"type": "http.response.start", "status": 200, "headers": []})
        await send_({"type": "http.response.body", "body": b"from the application"})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the start-up scan reports the escaping links
        server = serve(hostile.root, asgi_app if adapter == "asgi" else wsgi_app)
    for template in ("{m}/../secret.txt", "{m}/link.txt", "{m}/%2e%2e%2fsecret.txt", "{m}/CON"):
        request_target = target(template, "/", hostile)
        response = send(server, request_target)
        assert response.status == 200
        assert response.body == b"from the application"
        assert_clean(response, hostile.markers)
    assert len(calls) == 4
    assert send(server, "/app.js").body == JS


def test_spa_fallback_answers_hostile_paths_with_the_fallback_only(
    make_hostile_server: MakeServer, hostile: Hostile
) -> None:
    """With an SPA fallback, a hostile miss gets the fallback page or a 404, never a secret."""
    from servestatic.config import Settings

    settings = Settings.model_validate(
        {"root": hostile.root, "index_file": True, "spa": {"fallback": "/index.html"}}
    )
    server = make_hostile_server(hostile, settings=settings)
    for kind in ("traversal", "encoded-slash", "symlink", "dotfile", "device", "unc"):
        for template in PAYLOADS[kind]:
            if template in _LOOPS:
                continue
            request_target = target(template, "/", hostile)
            response = send(server, request_target)
            assert response.status in {200, 302, 404}, request_target
            if response.status == 200:
                assert response.body == b"<h1>home</h1>", request_target
            assert_clean(response, hostile.markers, label=request_target)
            assert_safe_location(response, request_target)
    assert_healthy(server)


# ---------------------------------------------------------------------------- filesystem


class FsSpy:
    """Record every path handed to the filesystem while active (stat, open, listdir, ...)."""

    NAMES = ("stat", "lstat", "open", "scandir", "listdir", "readlink", "access")

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str]] = []
        for name in self.NAMES:
            monkeypatch.setattr(os, name, self._wrap(name, getattr(os, name)))
        monkeypatch.setattr(builtins, "open", self._wrap("open", builtins.open))

    def _wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def spy(*args: Any, **kwargs: Any) -> Any:
            if args and isinstance(args[0], (str, bytes, os.PathLike)):
                self.calls.append((name, os.fsdecode(args[0])))
            return function(*args, **kwargs)

        return spy

    @property
    def paths(self) -> list[str]:
        return [path for _, path in self.calls]

    def clear(self) -> None:
        self.calls.clear()


@pytest.fixture
def fs_spy(monkeypatch: pytest.MonkeyPatch) -> FsSpy:
    return FsSpy(monkeypatch)


NO_FILESYSTEM = [
    pytest.param(template, id=f"{kind}:{template}")
    for kind in ("absolute", "windows-drive", "unc", "device", "nul", "backslash")
    for template in PAYLOADS[kind]
]


@pytest.mark.parametrize("template", NO_FILESYSTEM)
def test_refused_before_any_filesystem_call(
    make_hostile_server: MakeServer,
    hostile: Hostile,
    mode: str,
    fs_spy: FsSpy,
    template: str,
) -> None:
    """Absolute, drive, UNC, device, NUL and backslash paths are refused lexically: not one
    filesystem call (Starlette #3287: ``realpath`` on a UNC path leaks NTLM credentials)."""
    server = make_hostile_server(hostile)
    fs_spy.clear()
    request_target = target(template, "/", hostile)
    response = send(server, request_target)
    assert response.status == 404
    assert fs_spy.paths == [], (mode, request_target, fs_spy.paths)


def test_filesystem_spy_sees_autorefresh_lookups(
    make_hostile_server: MakeServer, hostile: Hostile, mode: str, fs_spy: FsSpy
) -> None:
    """Control for the two tests around it: the spy does see real lookups. The start-up
    index answers from memory (no call at all); autorefresh stats the file per request."""
    from servestatic.config import Settings

    server = make_hostile_server(
        hostile, settings=Settings.model_validate({"memory_cache": {"max_file_size": 0}})
    )
    fs_spy.clear()
    assert send(server, "/app.js").body == JS
    touched = [path for path in fs_spy.paths if path.startswith(str(hostile.root / "app.js"))]
    assert touched != []
    if mode == "autorefresh":
        assert any(name in {"stat", "lstat"} for name, _ in fs_spy.calls)


ALL_CASES = [param for param in CASES if "{base}" not in str(param.values[0])]
_READS = {"open", "scandir", "listdir"}


def _inside_or_above(path: str, root: Path) -> bool:
    normal = os.path.normpath(path)
    text = str(root)
    return normal == text or normal.startswith(text + os.sep) or text.startswith(normal + os.sep)


@pytest.mark.parametrize("template", ALL_CASES)
def test_filesystem_calls_stay_inside_the_root(
    make_hostile_server: MakeServer, hostile: Hostile, fs_spy: FsSpy, template: str
) -> None:
    """For any hostile path, the lookup touches only the root, its ancestors (``realpath``
    walks them) and paths below it. Only the operator's own symlinks make ``realpath`` look
    at their targets (to refuse them); nothing outside the root is ever opened or listed."""
    server = make_hostile_server(hostile)
    fs_spy.clear()
    send(server, target(template, "/", hostile))
    outside = [call for call in fs_spy.calls if not _inside_or_above(call[1], hostile.root)]
    assert [call for call in outside if call[0] in _READS] == []
    if not str(template).startswith(tuple(f"{{m}}/{name}" for name in _LINK_NAMES)):
        assert outside == []


_LINK_NAMES = ("link.txt", "parent.txt", "absolute.txt", "chain.txt", "linkdir", "private")
