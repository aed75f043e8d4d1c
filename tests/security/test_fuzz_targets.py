"""The atheris fuzz targets in ``fuzz/``, replayed without atheris: every seed of the
checked-in corpus, plus derandomised Hypothesis bytes. CI never needs atheris; the
coverage-guided runs are ``scripts/fuzz``."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz import fuzz_engine

SEEDS = Path(__file__).resolve().parents[2] / "fuzz" / "seeds"
TARGETS = sorted(path.stem for path in SEEDS.parent.glob("fuzz_*.py"))
PURE = [name for name in TARGETS if name != "fuzz_engine"]


def _target(name: str) -> Callable[[bytes], None]:
    module = importlib.import_module(f"fuzz.{name}")
    function: Callable[[bytes], None] = module.test_one_input
    return function


def test_every_target_has_a_seed_corpus() -> None:
    assert len(TARGETS) == 6
    for name in TARGETS:
        assert sorted((SEEDS / name).iterdir()), name


def test_targets_do_not_need_atheris() -> None:
    for name in TARGETS:
        importlib.import_module(f"fuzz.{name}")
    assert "atheris" not in sys.modules


@pytest.mark.parametrize("name", PURE)
def test_seed_corpus_replays(name: str) -> None:
    target = _target(name)
    for seed in sorted((SEEDS / name).iterdir()):
        target(seed.read_bytes())


def test_engine_seed_corpus_replays(tmp_path: Path) -> None:
    harness = fuzz_engine.Harness(tmp_path)
    for seed in sorted((SEEDS / "fuzz_engine").iterdir()):
        harness.run(seed.read_bytes())


@pytest.mark.parametrize("name", PURE)
@settings(deadline=None, max_examples=150, derandomize=True)
@given(data=st.binary(max_size=200))
def test_random_bytes(name: str, data: bytes) -> None:
    _target(name)(data)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> fuzz_engine.Harness:
    return fuzz_engine.Harness(tmp_path_factory.mktemp("fuzz-engine"))


@settings(deadline=None, max_examples=150, derandomize=True)
@given(
    parts=st.lists(
        st.one_of(
            st.binary(max_size=30),
            st.sampled_from(
                [b"GET", b"/app.js", b"/../secret.txt", b"bytes=0-5,7-9", b"gzip, br", b"/docs"]
            ),
        ),
        max_size=10,
    )
)
def test_engine_random_requests(harness: fuzz_engine.Harness, parts: list[bytes]) -> None:
    harness.run(b"\x00".join(parts))
