"""Hashed names in dependency order, cycles, missing references, and ``manifest_hash``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from servestatic.build.hashing import (
    MissingReferencesError,
    hashed_name,
    plan_hashes,
    strongly_connected,
    write_hashed,
)
from servestatic.manifest_hash import (
    ManifestHashGenerator,
    generate_hash,
    get_hashed_name,
    hash_path,
)
from tests.build.helpers import write


def md5_12(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()[:12]


def tree(root: Path, files: dict[str, str | bytes]) -> list[str]:
    for name, content in files.items():
        write(root / name, content)
    return sorted(files)


def test_hashed_name_is_djangos() -> None:
    assert hashed_name("css/app.css", "0123456789ab") == "css/app.0123456789ab.css"
    assert hashed_name("a.tar.gz", "0123456789ab") == "a.tar.0123456789ab.gz"
    assert hashed_name("LICENSE", "0123456789ab") == "LICENSE.0123456789ab"


def test_a_leaf_is_named_by_its_md5(tmp_path: Path) -> None:
    data = b"\x89PNG data"
    names = tree(tmp_path, {"img/a.png": data})
    plan = plan_hashes(str(tmp_path), names)
    assert plan.names == {"img/a.png": f"img/a.{md5_12(data)}.png"}
    assert plan.contents == {}


def test_css_hash_covers_the_rewritten_content(tmp_path: Path) -> None:
    names = tree(tmp_path, {"img/a.png": b"one", "css/app.css": "a{background:url(../img/a.png)}"})
    plan = plan_hashes(str(tmp_path), names)
    png = plan.names["img/a.png"]
    rewritten = f"a{{background:url(../{png})}}".encode()
    assert plan.contents["css/app.css"] == rewritten
    assert plan.names["css/app.css"] == f"css/app.{md5_12(rewritten)}.css"


def test_changing_a_dependency_renames_its_dependants(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "a.png": b"one",
        "base.css": "x{background:url(a.png)}",
        "app.css": '@import "base.css";',
        "main.js": 'import "./lib.js";',
        "lib.js": "export const x = 1;",
    }
    before = plan_hashes(str(tmp_path), tree(tmp_path, files)).names
    (tmp_path / "a.png").write_bytes(b"two")
    after = plan_hashes(str(tmp_path), sorted(files)).names
    assert {name for name in files if before[name] != after[name]} == {
        "a.png",
        "base.css",
        "app.css",
    }


def test_cycles_share_one_hash_and_still_resolve(tmp_path: Path) -> None:
    names = tree(
        tmp_path,
        {
            "a.js": 'import "./b.js"; import "./leaf.js";',
            "b.js": 'import "./a.js";',
            "leaf.js": "export {};",
            "self.css": "a{background:url(self.css)}",
        },
    )
    plan = plan_hashes(str(tmp_path), names)
    a_hash = plan.names["a.js"].split(".")[1]
    assert plan.names["b.js"] == f"b.{a_hash}.js"
    assert plan.contents["a.js"] == (
        f'import "./b.{a_hash}.js"; import "./{plan.names["leaf.js"]}";'.encode()
    )
    assert plan.contents["b.js"] == f'import "./a.{a_hash}.js";'.encode()
    self_name = plan.names["self.css"]
    assert plan.contents["self.css"] == f"a{{background:url({self_name})}}".encode()


def test_a_change_inside_a_cycle_renames_every_member(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"a.js": 'import "./b.js";', "b.js": 'import "./a.js"; // 1'}
    before = plan_hashes(str(tmp_path), tree(tmp_path, files)).names
    (tmp_path / "b.js").write_text('import "./a.js"; // 2')
    after = plan_hashes(str(tmp_path), sorted(files)).names
    assert before["a.js"] != after["a.js"]
    assert before["b.js"] != after["b.js"]


def test_missing_references_are_errors_by_default(tmp_path: Path) -> None:
    names = tree(
        tmp_path,
        {"css/app.css": "a{background:url(gone.png)} b{background:url(../../up.png)}"},
    )
    with pytest.raises(MissingReferencesError) as caught:
        plan_hashes(str(tmp_path), names)
    assert [str(m) for m in caught.value.missing] == [
        "css/app.css: 'gone.png' refers to css/gone.png (missing)",
        "css/app.css: '../../up.png' refers to ../up.png (outside the source tree)",
    ]
    assert str(caught.value).endswith("(and 1 more)")


def test_missing_references_are_kept_when_not_strict(tmp_path: Path) -> None:
    names = tree(tmp_path, {"app.css": "a{background:url(gone.png)}"})
    plan = plan_hashes(str(tmp_path), names, strict=False)
    assert [m.target for m in plan.missing] == ["gone.png"]
    assert plan.contents == {}


def test_a_file_outside_the_set_keeps_its_name(tmp_path: Path) -> None:
    tree(tmp_path, {"app.css": "a{background:url(excluded.png)}", "excluded.png": b"x"})
    plan = plan_hashes(str(tmp_path), ["app.css"])
    assert plan.contents == {}
    assert plan.names == {"app.css": f"app.{md5_12(b'a{background:url(excluded.png)}')}.css"}


def test_non_utf8_bytes_survive_rewriting(tmp_path: Path) -> None:
    names = tree(tmp_path, {"a.png": b"x", "app.css": b"/* \xff\xfe */ a{background:url(a.png)}"})
    plan = plan_hashes(str(tmp_path), names)
    assert plan.contents["app.css"].startswith(b"/* \xff\xfe */ a{background:url(a.")


def test_write_hashed_writes_once(tmp_path: Path) -> None:
    names = tree(tmp_path, {"a.png": b"x", "app.css": "a{background:url(a.png)}"})
    plan = plan_hashes(str(tmp_path), names)
    assert sorted(write_hashed(str(tmp_path), plan)) == sorted(plan.names.values())
    assert (tmp_path / plan.names["app.css"]).read_bytes() == plan.contents["app.css"]
    assert (tmp_path / plan.names["a.png"]).read_bytes() == b"x"
    assert write_hashed(str(tmp_path), plan) == []


def test_strongly_connected_lists_dependencies_first() -> None:
    edges = {"app": ["lib", "util"], "lib": ["util"], "x": ["y"], "y": ["x"]}
    components = strongly_connected(["app", "lib", "util", "x", "y"], edges)
    order = [sorted(component) for component in components]
    assert order.index(["util"]) < order.index(["lib"]) < order.index(["app"])
    assert ["x", "y"] in order


def test_manifest_hash_api(tmp_path: Path) -> None:
    path = write(tmp_path / "css" / "a.css", "body{}")
    assert generate_hash(b"body{}") == md5_12(b"body{}")
    assert hash_path(path) == md5_12(b"body{}")
    assert get_hashed_name(path) == str(tmp_path / "css" / f"a.{md5_12(b'body{}')}.css")
    assert get_hashed_name("x/y.js", b"1") == f"x/y.{md5_12(b'1')}.js"


def test_manifest_hash_generator(tmp_path: Path) -> None:
    path = write(tmp_path / "css" / "a.css", "body{}")
    messages: list[str] = []
    generator = ManifestHashGenerator(tmp_path, keep_original=False, log=messages.append)
    hashed = f"css/a.{md5_12(b'body{}')}.css"
    assert generator.process(path) == ("css/a.css", hashed)
    assert not path.exists()
    assert (tmp_path / hashed).read_bytes() == b"body{}"
    assert messages == [f"Generated a.{md5_12(b'body{}')}.css from a.css"]
    assert generator.manifest_path == tmp_path / "staticfiles.json"
    kept = write(tmp_path / "b.js", "1")
    ManifestHashGenerator(tmp_path, quiet=True).process(kept)
    assert kept.exists()


def test_manifest_hash_signatures_match_servestatic() -> None:
    import inspect

    def shape(function: Callable[..., object]) -> list[tuple[str, object]]:
        parameters = inspect.signature(function).parameters.values()
        return [(p.name, p.default) for p in parameters]

    empty = inspect.Parameter.empty
    assert shape(generate_hash) == [("content", empty)]
    assert shape(hash_path) == [("path", empty)]
    assert shape(get_hashed_name) == [("path", empty), ("content", None)]
    assert shape(ManifestHashGenerator) == [
        ("root", empty),
        ("keep_original", True),
        ("log", print),
        ("quiet", False),
    ]
    assert callable(ManifestHashGenerator.process)
