"""The scale benchmark's pure parts (``benchmarks/scale_tree.py``, ``scale_report.py``):
the tree plan that makes throughput ratios between sizes fair, and the target checks.

The benchmark itself is not run by the suite (``benchmarks/scale.py``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from benchmarks.scale_report import Check, checks, marginal_ratio
from benchmarks.scale_tree import COMPRESS_MIN, PROFILES, SIBLINGS, entry, expected, sample


@pytest.mark.parametrize("files", [1_000, 10_000, 100_000, 12_345])
def test_sample_holds_one_file_of_each_profile_within_the_tree(files: int) -> None:
    indices = sample(files)
    assert sorted(index % PROFILES for index in indices) == list(range(PROFILES))
    assert all(0 <= index < files for index in indices)


def test_samples_of_every_size_request_the_same_bytes() -> None:
    def mix(files: int) -> Counter[tuple[int, str | None]]:
        return Counter(expected(index)[1:] for index in sample(files))

    assert mix(100_000) == mix(10_000) == mix(1_000)


def test_sample_spreads_over_a_large_tree() -> None:
    indices = sample(100_000)
    assert len(set(indices)) == PROFILES
    assert max(indices) > 90_000
    assert sum(index >= 50_000 for index in indices) > PROFILES // 3


def test_sample_refuses_a_tree_smaller_than_the_sample() -> None:
    with pytest.raises(ValueError, match="fewer than 1000"):
        sample(999)


def test_the_plan_is_a_front_end_build() -> None:
    entries = [entry(index) for index in range(PROFILES)]
    sizes = sorted(item.size for item in entries)
    kinds = Counter(item.path.rsplit(".", 1)[1] for item in entries)
    assert kinds.most_common(1)[0][0] == "js"
    assert {"css", "svg", "json", "png", "woff2", "html"} <= set(kinds)
    assert 200 <= sizes[0] < 1024
    assert sizes[len(sizes) // 2] < 8 * 1024
    assert 100 * 1024 < sizes[-1] <= 400 * 1024
    hashed = sum(len(item.path.rsplit("/", 1)[1].split(".")) == 3 for item in entries)
    assert hashed > 0.8 * PROFILES
    assert len({item.path.rsplit("/", 1)[0] for item in entries}) > 10


def test_siblings_exist_for_compressible_files_and_are_smaller() -> None:
    with_siblings = [entry(i) for i in range(PROFILES) if entry(i).siblings]
    assert len(with_siblings) > PROFILES // 3
    for item in with_siblings:
        assert item.text
        assert item.size >= COMPRESS_MIN
        assert [suffix for suffix, _ in item.siblings] == list(SIBLINGS)
        assert all(0 < size < item.size for _, size in item.siblings)
    assert all(
        not entry(i).text or entry(i).size < COMPRESS_MIN or entry(i).siblings
        for i in range(PROFILES)
    )


def test_entries_repeat_their_profile_under_distinct_names() -> None:
    first, again = entry(5), entry(5 + PROFILES)
    assert (first.size, first.siblings) == (again.size, again.siblings)
    assert first.path != again.path
    assert expected(5) == expected(5)


def _step(distinct: int, seconds: float) -> dict[str, Any]:
    return {"distinct": distinct, "ours": {"construct_s": seconds, "rss_delta_mib": seconds}}


def test_marginal_ratio_is_one_for_linear_growth_and_more_when_it_bends() -> None:
    def value(step: dict[str, Any]) -> float:
        seconds: float = step["ours"]["construct_s"]
        return seconds

    linear = [_step(1000, 1.0), _step(1500, 1.5)]
    bent = [_step(1000, 1.0), _step(1500, 2.0)]
    assert marginal_ratio(linear, value) == pytest.approx(1.0)
    assert marginal_ratio(bent, value) == pytest.approx(2.0)
    assert marginal_ratio(linear[:1], value) is None


def _startup(library: str, files: int, **values: float) -> dict[str, Any]:
    return {"library": library, "files": files, **values}


def test_checks_mark_each_target_in_its_direction() -> None:
    data: dict[str, Any] = {
        "startup": [
            _startup("floor", 1_000, construct_s=0.01),
            _startup("ours", 1_000, construct_s=0.1, cold_s=0.2, kib_per_file=1.0),
            _startup("servestatic44", 1_000, construct_s=0.1, cold_s=0.25, kib_per_file=5.0),
            _startup("floor", 100_000, construct_s=0.5),
            _startup("ours", 100_000, construct_s=1.5, cold_s=1.6, kib_per_file=1.0),
            _startup("servestatic44", 100_000, construct_s=9.0, cold_s=9.1, kib_per_file=2.0),
            {"library": "ours", "files": 10_000, "error": "start-up failed"},
        ],
        "load": [
            {"library": "ours", "files": 1_000, "rps": 10_000.0},
            {"library": "ours", "files": 100_000, "rps": 9_600.0},
        ],
        "retain": [
            {
                "files": 1_000,
                "steps": [_step(1000, 1.0), _step(1500, 2.0)],
                "us_none": 3.0,
                "us_retained": 3.0,
            }
        ],
    }
    found = {check.label: check for check in checks(data)}
    assert found["start-up at 100,000 files, servestatic / floor"].ratio == pytest.approx(3.0)
    assert not found["start-up at 100,000 files, servestatic / floor"].met
    memory = found["index memory per file at 100,000 files, servestatic / ServeStatic 4.4"]
    assert memory.ratio == pytest.approx(0.5)
    assert not memory.met
    assert found["cold start at 1,000 files, servestatic / ServeStatic 4.4"].met
    throughput = found["throughput at 100,000 / at 1,000 files, servestatic"]
    assert throughput.ratio == pytest.approx(0.96)
    assert throughput.met
    startup = found[
        "retained builds over 1,000 files: start-up per added file / per file of one build"
    ]
    assert startup.ratio == pytest.approx(2.0)
    assert not startup.met
    assert found["retained builds over 1,000 files: request cost with 5 / with none"].met
    assert len(found) == 7


def test_a_check_says_its_direction_and_mark() -> None:
    assert Check("x", 0.9, 0.95, at_most=False).text() == "x: **0.90×** ❌ (≥0.95×)"
    assert Check("y", 0.2, 0.3, at_most=True).text() == "y: **0.20×** ✅ (≤0.30×)"
