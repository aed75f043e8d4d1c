"""Fixtures of the hostile-input suite: the tree with secrets, and servers over it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.client import Server
from tests.security.hostile import Hostile, build, make_hostile_tree


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    """One read-only hostile tree per module (tests that change files build their own)."""
    return make_hostile_tree(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def fresh_hostile(tmp_path: Path) -> Hostile:
    """A hostile tree this test may change."""
    return make_hostile_tree(tmp_path)


@pytest.fixture(params=["/", "/static/"], ids=["root", "prefixed"])
def mount(request: pytest.FixtureRequest) -> str:
    """Where the hostile root is mounted: at ``/`` or under ``/static/`` (sibling prefixes)."""
    return str(request.param)


MakeServer = Callable[..., Server]


@pytest.fixture
def hostile_server(adapter: str, mode: str, mount: str, hostile: Hostile) -> Server:
    """A standalone server over the hostile root: every adapter x index mode x mount."""
    return build(adapter, mode, hostile, None if mount == "/" else mount)


@pytest.fixture
def make_hostile_server(adapter: str, mode: str) -> MakeServer:
    """``make(hostile, prefix=None, **options)`` for every adapter x index mode."""

    def factory(tree: Hostile, prefix: str | None = None, **options: object) -> Server:
        return build(adapter, mode, tree, prefix, **options)

    return factory
