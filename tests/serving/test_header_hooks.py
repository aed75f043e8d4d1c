"""Headers that hooks produce per file (issue 13, item 2): one file's header that HTTP
cannot carry is left out for that file with a warning naming the file, the header and the
real reason (a ConfigError under ``strict = true``), never a crash at start-up or a 500.

Every test runs through both adapters and both index modes (``serve``). In autorefresh mode
entries are built on a file's first request, so the warning comes with that request.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any
from wsgiref.headers import Headers

import pytest

from servestatic.config import ConfigError, Settings, load_settings
from servestatic.wsgi import ServeStatic
from tests.client import Response, Server, make_server
from tests.conftest import Serve, write
from tests.startup import startup_messages

#: The issue's file name: Latin-1 (ï), Cyrillic and a symbol ISO-8859-1 cannot encode.
NAME = "na\u00efve-\u0444\u0430\u0439\u043b-\u2713.txt"
LATIN1 = "caf\u00e9.txt"  # encodable: sent as obs-text, as ServeStatic and PEP 3333 do


@pytest.fixture
def names(tmp_path: Path) -> Path:
    root = tmp_path / "names"
    write(root / NAME, "unicode")
    write(root / LATIN1, "latin-1")
    write(root / "plain.txt", "plain")
    return root


def echo_name(headers: Headers, path: str, url: str) -> None:
    """The common pattern: the file name straight into ``Content-Disposition``."""
    headers["Content-Disposition"] = f'attachment; filename="{os.path.basename(path)}"'
    headers["X-Other"] = "kept"


def caught() -> contextlib.AbstractContextManager[list[str]]:
    """The problems reported, at start-up or for a request (the ``servestatic`` logger)."""
    return startup_messages()


def get(server: Server, url: str) -> Response:
    return server.get(url)


def test_a_name_latin1_cannot_carry_leaves_the_header_out_for_that_file(
    serve: Serve, names: Path
) -> None:
    with caught() as messages:
        server = serve(names, add_headers_function=echo_name)
        response = get(server, "/" + NAME)
        others = [get(server, "/" + name) for name in (LATIN1, "plain.txt")]
    assert response.status == 200
    assert response.body == b"unicode"
    assert response.header("content-disposition") is None
    assert response.header("x-other") == "kept"  # only the header that cannot go is left out
    assert [other.header("content-disposition") for other in others] == [
        f'attachment; filename="{LATIN1}"',
        'attachment; filename="plain.txt"',
    ]
    assert len(messages) == 1, messages
    message = messages[0]
    assert str(names / NAME) in message  # the file
    assert "Content-Disposition for /" in message  # the header and the URL
    assert "not encodable as ISO-8859-1" in message  # the real reason
    assert "control character" not in message  # not the old, wrong one
    assert "filename*=UTF-8''" in message  # and how to send it
    assert "left out for this file" in message


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("X-A", "1\r\nX-Injected: 1", "control character"),
        ("X-A", "1\x00", "control character"),
        ("X-A", "\u2713", "not encodable as ISO-8859-1"),
        ("X A", "1", "not an RFC 9110 token"),
        ("X-\u00e9", "1", "not an RFC 9110 token"),
        ("Content-Length", "0", "manages this header itself"),
        ("Transfer-Encoding", "chunked", "manages this header itself"),
    ],
)
def test_each_problem_gives_its_own_reason(
    serve: Serve, names: Path, name: str, value: str, reason: str
) -> None:
    def hook(headers: Headers, path: str, url: str) -> None:
        headers[name] = value

    with caught() as messages:
        server = serve(names, add_headers_function=hook)
        response = get(server, "/plain.txt")
    assert response.status == 200
    assert response.body == b"plain"
    assert b"X-Injected" not in b"".join(v.encode("latin-1") for _, v in response.header_list)
    assert response.count(name) == (1 if name == "Content-Length" else 0)  # ours, not theirs
    assert messages
    assert all(reason in message for message in messages), messages


def test_a_bad_name_is_reported_once_not_per_file(names: Path) -> None:
    def hook(headers: Headers, path: str, url: str) -> None:
        headers["Content-Length"] = "1"

    with caught() as messages:
        ServeStatic(None, names, add_headers_function=hook)
    assert len(messages) == 1, messages
    assert "left out for every file it is set for" in messages[0]


def test_surrounding_whitespace_is_not_part_of_a_value(serve: Serve, names: Path) -> None:
    """RFC 9110 §5.5; h11 (uvicorn, hypercorn) refuses to send a value with it."""

    def hook(headers: Headers, path: str, url: str) -> None:
        headers["X-Pad"] = " \t padded value \t "
        headers["ETag"] = ' "v1" '

    with caught() as messages:
        response = get(serve(names, add_headers_function=hook), "/plain.txt")
    assert messages == []
    assert response.header("x-pad") == "padded value"
    assert response.header("etag") == '"v1"'


def test_strict_refuses_every_problem_at_start_up(names: Path, adapter: str) -> None:
    settings = Settings(strict=True, add_headers_function=echo_name)
    with pytest.raises(ConfigError) as raised:
        make_server(adapter, None, names, settings=settings)
    message = str(raised.value)
    assert "(1 problem)" in message
    assert f"add_headers_function → Content-Disposition for /{NAME}: " in message
    assert "not encodable as ISO-8859-1" in message
    assert str(names / NAME) in message


def test_strict_in_autorefresh_still_answers_without_the_header(names: Path, adapter: str) -> None:
    """Autorefresh builds entries per request: refusing there would be a 500."""
    settings = Settings(strict=True, autorefresh=True, add_headers_function=echo_name)
    server = make_server(adapter, None, names, settings=settings)
    with caught() as messages:
        response = get(server, "/" + NAME)
    assert response.status == 200
    assert response.header("content-disposition") is None
    assert len(messages) == 1


def test_a_request_time_rebuild_never_raises_under_strict(tmp_path: Path, adapter: str) -> None:
    """A file that changes after start-up is rebuilt for the request that notices it; a
    header problem it now has is a warning then, not an exception (a 500)."""
    root = tmp_path / "site"
    write(root / "a.txt", "one")

    def first_line(headers: Headers, path: str, url: str) -> None:
        with open(path, encoding="utf-8") as handle:
            headers["X-First-Line"] = handle.readline().strip()

    # Read from disk on every request (the memory cache would keep serving "one").
    settings = load_settings(
        {"strict": True, "add_headers_function": first_line, "memory_cache": {"max_file_size": 0}}
    ).settings
    server = make_server(adapter, None, root, settings=settings)
    assert server.get("/a.txt").header("x-first-line") == "one"
    (root / "a.txt").write_text("\u2713 changed\n", encoding="utf-8")
    with caught() as messages:
        response = server.get("/a.txt")
    assert response.status == 200
    assert response.body == "\u2713 changed\n".encode()
    assert response.header("x-first-line") is None
    assert len(messages) == 1


def test_subclass_hooks_are_named_in_the_warning(names: Path) -> None:
    class Custom(ServeStatic):
        def add_mime_headers(self, headers: Headers, path: str, url: str) -> None:
            echo_name(headers, path, url)

    with caught() as messages:
        Custom(None, names)
    assert len(messages) == 1
    assert messages[0].startswith(f"add_mime_headers → Content-Disposition for /{NAME}: ")


def test_content_disposition_rule_sends_the_name_rfc_8187_encoded(
    serve: Serve, names: Path
) -> None:
    """The documented way (docs/rules.md): the rule sugar quotes what ASCII can carry and
    sends the real name as ``filename*=UTF-8''...``."""
    with caught() as messages:
        server = serve(names, rules=[{"match": "/**", "content_disposition": "attachment"}])
        response = get(server, "/" + NAME)
    assert messages == []
    assert response.status == 200
    assert response.header("content-disposition") == (
        "attachment; filename=\"na_ve-____-_.txt\"; filename*=UTF-8''"
        "na%C3%AFve-%D1%84%D0%B0%D0%B9%D0%BB-%E2%9C%93.txt"
    )


def test_the_documented_hook_sends_the_name(serve: Serve, names: Path) -> None:
    """The hook in docs/rules.md that sends any file name correctly."""
    namespace: dict[str, Any] = {}
    exec(_documented_hook(), namespace)  # the example in docs/rules.md, run as written
    with caught() as messages:
        server = serve(names, add_headers_function=namespace["add_headers"])
        response = get(server, "/" + NAME)
    assert messages == []
    assert response.header("content-disposition") == (
        "attachment; filename=\"na_ve-____-_.txt\"; filename*=UTF-8''"
        "na%C3%AFve-%D1%84%D0%B0%D0%B9%D0%BB-%E2%9C%93.txt"
    )


def _documented_hook() -> str:
    docs = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    text = docs.read_text(encoding="utf-8")
    start = text.index("```python\nimport os\nfrom urllib.parse import quote")
    return text[start + len("```python\n") : text.index("```", start + 3)]
