"""Both index modes serve the same names (issue 13, item 6).

Hypothesis builds small trees (files, directories, dotfiles, ``.gz``/``.br``/``.zst``
variants, index files, symlinks inside and out of the root, loops, broken links) and asks
both a start-up index and an autorefresh server for every URL a client could try: every
path the filesystem reaches (following links a few levels into loops), with and without a
trailing slash, under ``/`` or a prefix. The answers must be identical: status, every
header (ETag, Last-Modified, Content-Encoding, Vary, Location ...) and body.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servestatic import ServeStatic
from servestatic.config import Settings
from tests.client import Response, call_wsgi

# MODES_EXAMPLES=4000 for a longer search (it passed 4,000 when issue 13 was closed).
SETTINGS = settings(
    deadline=None,
    max_examples=int(os.environ.get("MODES_EXAMPLES", "40")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: Names that matter: an index file, dotfiles (hidden unless allowed), variants of a file
#: and of an index file, a variant without its file, and plain names.
NAMES = [
    "a",
    "b.txt",
    "b.txt.gz",
    "b.txt.br",
    "b.txt.zst",
    "index.html",
    "index.html.gz",
    "x.gz",
    ".env",
    ".well-known",
    "d",
]
SIZES = [0, 3, 40, 300]
LINKS = ["inside", "outside-file", "outside-dir", "dot", "dotdot", "broken", "root"]
ENCODINGS = [None, "gzip, br, zstd"]
DEPTH = 4  # how far candidate URLs follow links (loops included)


def _content(relative: str, size: int) -> bytes:
    seed = (relative + "|").encode()
    return (seed * (size // len(seed) + 1))[:size]


def build_tree(data: st.DataObject, base: Path) -> Path:
    """Draw a tree under ``base/root`` (and a secret ``base/outside``); return the root."""
    root = base / "root"
    outside = base / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.txt").write_bytes(b"OUTSIDE-SECRET")
    for name in ("a", "b.txt", "index.html"):
        (outside / "dir" / name).write_bytes(b"OUTSIDE-SECRET " + name.encode())
    root.mkdir()
    directories = [root]
    entries: list[Path] = []
    for _ in range(data.draw(st.integers(0, 16), label="entries")):
        # Indexes, not paths: the paths differ from one run to the next (temporary dir).
        parent = directories[data.draw(st.integers(0, len(directories) - 1), label="parent")]
        path = parent / data.draw(st.sampled_from(NAMES), label="name")
        if os.path.lexists(path):
            continue
        kind = data.draw(st.sampled_from(["file", "file", "dir", "link"]), label="kind")
        if kind == "file":
            size = data.draw(st.sampled_from(SIZES), label="size")
            path.write_bytes(_content(str(path.relative_to(root)), size))
        elif kind == "dir":
            path.mkdir()
            directories.append(path)
        else:
            link = data.draw(st.sampled_from(LINKS), label="link")
            if link == "inside" and entries:
                targets = [root, *entries]
                target = targets[data.draw(st.integers(0, len(targets) - 1), label="target")]
                os.symlink(os.path.relpath(target, parent), path)
            elif link == "outside-file":
                os.symlink(outside / "secret.txt", path)
            elif link == "outside-dir":
                os.symlink(outside / "dir", path, target_is_directory=True)
            elif link == "dot":
                os.symlink(".", path)
            elif link == "dotdot" and parent != root:
                os.symlink("..", path)
            elif link == "root":
                os.symlink(root, path)
            else:
                os.symlink("missing", path)
        entries.append(path)
    return root


def candidate_urls(root: Path, prefix: str) -> list[str]:
    """Every path the filesystem reaches from ``root`` (following links, ``DEPTH`` levels),
    as a file and as a directory, plus a miss, under ``prefix``."""
    found: set[str] = {""}
    frontier = [""]
    for _ in range(DEPTH):
        following = []
        for relative in frontier:
            try:
                names = os.listdir(root / relative) if relative else os.listdir(root)
            except OSError:
                continue
            for name in names:
                child = f"{relative}/{name}" if relative else name
                found.add(child)
                following.append(child)
        frontier = following
    urls = {prefix, prefix.rstrip("/") or "/", prefix + "missing"}
    for relative in found:
        if relative:
            urls.add(prefix + relative)
            urls.add(prefix + relative + "/")
    return sorted(urls)


def _server(root: Path, prefix: str, autorefresh: bool, unsafe: bool) -> Any:
    settings_ = Settings(
        root=root,
        prefix=prefix,
        index_file=True,
        autorefresh=autorefresh,
        allow_unsafe_symlinks=unsafe,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skipped links and loops are reported at start-up
        return ServeStatic(None, settings=settings_)


def _answer(response: Response) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status, response.header_list, response.body


@SETTINGS
@given(data=st.data(), prefix=st.sampled_from(["/", "/static/"]), unsafe=st.booleans())
def test_both_modes_answer_every_url_alike(data: st.DataObject, prefix: str, unsafe: bool) -> None:
    with tempfile.TemporaryDirectory() as base:
        root = build_tree(data, Path(base))
        static = _server(root, prefix, autorefresh=False, unsafe=unsafe)
        live = _server(root, prefix, autorefresh=True, unsafe=unsafe)
        for url in candidate_urls(root, prefix):
            for encoding in ENCODINGS:
                headers = {"Accept-Encoding": encoding} if encoding else {}
                indexed = _answer(call_wsgi(static, url, headers=headers))
                looked_up = _answer(call_wsgi(live, url, headers=headers))
                assert looked_up == indexed, (url, encoding, sorted(_listing(root)))
                assert unsafe or b"OUTSIDE-SECRET" not in indexed[2], url


def _listing(root: Path) -> list[str]:
    """The tree, for the failure message."""
    lines = []
    for directory, names, files in os.walk(root):
        for name in [*names, *files]:
            path = Path(directory) / name
            relative = str(path.relative_to(root))
            lines.append(f"{relative} -> {os.readlink(path)}" if path.is_symlink() else relative)
    return lines


# ----------------------------------------------------------------------------- found ones


def _loop(root: Path, outside: Path) -> None:
    (root / "app.js").write_bytes(b"app")
    os.symlink(".", root / "loop")
    (root / "d").mkdir()
    os.symlink("..", root / "d" / "up")


def _alias(root: Path, outside: Path) -> None:
    (root / "real").mkdir()
    (root / "real" / "r.css").write_bytes(b"r{}")
    os.symlink("real", root / "alias")


def _index_named_directory(root: Path, outside: Path) -> None:
    (root / "index.html").mkdir()
    (root / "index.html" / "index.html").write_bytes(b"<h1>in a directory</h1>")


def _refused_root_index(root: Path, outside: Path) -> None:
    os.symlink(outside / "secret.txt", root / "index.html")


def _variant_beside_a_directory(root: Path, outside: Path) -> None:
    (root / "x").mkdir()
    (root / "x.gz").write_bytes(b"a file of its own")
    (root / "y.gz").write_bytes(b"beside a broken link")
    os.symlink("missing", root / "y")


def _out_and_back(root: Path, outside: Path) -> None:
    (root / "app.js").write_bytes(b"app")
    os.symlink(root / "app.js", outside / "dir" / "back")
    os.symlink(outside / "dir", root / "away", target_is_directory=True)


#: Divergences the property found (each answered differently by the two modes before
#: issue 13): tree, prefix, {URL: status both modes now give}.
FOUND = {
    # autorefresh followed the loop (up to 40 levels); the index skips it.
    "loop": (_loop, "/", {"/loop/app.js": 404, "/loop/loop/app.js": 404, "/d/up/app.js": 404}),
    # the index kept the first of two paths to one directory (by walk order).
    "alias": (_alias, "/", {"/alias/r.css": 200, "/real/r.css": 200}),
    # autorefresh did not see a directory named like the index file.
    "index-named-directory": (
        _index_named_directory,
        "/",
        {"/index.html": 302, "/index.html/": 200, "/index.html/index.html": 302},
    ),
    # autorefresh redirected /static to /static/ for an index file the index refused.
    "refused-root-index": (_refused_root_index, "/static/", {"/static": 404, "/static/": 404}),
    # the index hid x.gz beside anything named x; autorefresh only beside a file.
    "variant-beside-a-non-file": (_variant_beside_a_directory, "/", {"/x.gz": 200, "/y.gz": 200}),
    # autorefresh checked only the final real path of a path that leaves the root and
    # comes back; the index refuses the link that leaves.
    "out-and-back": (_out_and_back, "/", {"/away/back": 404, "/app.js": 200}),
}


@pytest.mark.parametrize("case", list(FOUND))
def test_found_divergences(case: str, tmp_path: Path) -> None:
    make, prefix, expected = FOUND[case]
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.txt").write_bytes(b"OUTSIDE-SECRET")
    make(root, outside)
    static = _server(root, prefix, autorefresh=False, unsafe=False)
    live = _server(root, prefix, autorefresh=True, unsafe=False)
    for url, status in expected.items():
        indexed = _answer(call_wsgi(static, url))
        assert indexed[0] == status, url
        assert _answer(call_wsgi(live, url)) == indexed, url
