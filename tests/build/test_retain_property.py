"""Properties of retention: nothing current is ever removed, the retained builds stay."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servestatic.build.history import BuildRecord, FileInfo, History, Retention, plan_gc
from servestatic.cli import run
from tests.build.helpers import text_blob, write

NAMES = ("a.css", "b.js", "deep/c.txt", "index.html", "deep/page.html")

files = st.dictionaries(
    st.sampled_from([f"f{i}.js" for i in range(6)]),
    st.tuples(st.sampled_from("0123456789abcdef"), st.booleans()),
    min_size=1,
    max_size=6,
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[History, float, frozenset[str]]:
    count = draw(st.integers(1, 6))
    records = []
    when = 1_000_000.0
    for number in range(count):
        when += draw(st.floats(1, 10 * 86400))
        chosen = draw(files)
        records.append(
            BuildRecord(
                f"b{number}",
                when,
                {
                    (name if not hashed else f"{name}.{digit * 12}"): FileInfo(
                        1, digit * 64, hashed
                    )
                    for name, (digit, hashed) in chosen.items()
                },
            )
        )
    retention = draw(
        st.one_of(
            st.builds(Retention, builds=st.integers(0, 4)),
            st.builds(Retention, seconds=st.integers(0, 30 * 86400)),
        )
    )
    now = when + draw(st.floats(0, 40 * 86400))
    protected = frozenset(draw(st.sets(st.sampled_from([f"f{i}.js" for i in range(6)]))))
    return History(retention, tuple(records)), now, protected


@given(histories())
def test_a_gc_plan_never_removes_a_live_file(case: tuple[History, float, frozenset[str]]) -> None:
    history, now, protected = case
    plan = plan_gc(history, now, protected)
    current = history.builds[-1]
    assert set(current.files) <= plan.live
    assert protected <= plan.live
    for record in plan.retained:
        assert {name for name, info in record.files.items() if info.hashed} <= plan.live
    assert not set(plan.remove) & plan.live
    assert plan.history.builds[-1] == current
    if history.retain.builds is not None:
        assert len(plan.retained) == min(history.retain.builds, len(history.builds) - 1)


def _write_site(src: Path, versions: dict[str, int]) -> None:
    shutil.rmtree(src, ignore_errors=True)
    for name, version in versions.items():
        write(src / name, f"/* {name} v{version} */\n" + text_blob(30, word=f"w{version}"))


builds = st.lists(
    st.dictionaries(st.sampled_from(NAMES), st.integers(0, 2), min_size=1), min_size=2, max_size=5
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=builds, keep=st.integers(0, 2), gc_after=st.booleans())
def test_random_build_sequences_keep_current_and_retained_files(
    sequence: list[dict[str, int]], keep: int, gc_after: bool
) -> None:
    """Real builds into one DEST: after every build (and a ``servestatic gc``), every file
    of the current build and its variants are there, and so are the hashed files of the
    ``keep`` previous builds; older builds' hashed files are gone."""
    with tempfile.TemporaryDirectory() as temporary:
        src, dest = Path(temporary, "src"), Path(temporary, "dest")
        distinct: list[tuple[dict[str, int], dict[str, str]]] = []
        for versions in sequence:
            _write_site(src, versions)
            argv = [str(src), str(dest), "--all", "-q", "-e", "*.html", "--retain", str(keep)]
            assert run(argv) == 0
            if gc_after:
                assert run(["gc", str(dest), "--json"]) == 0
            paths: dict[str, str] = json.loads((dest / "staticfiles.json").read_text())["paths"]
            if not distinct or distinct[-1][0] != versions:
                distinct.append((dict(versions), paths))
            for name, served in paths.items():
                assert (dest / served).is_file(), served
                assert (dest / served).read_bytes() == (src / name).read_bytes() or (
                    served != name  # hashed files may have rewritten references
                )
            kept = distinct[-1 - keep : -1] if keep else []
            needed = {s for _, p in kept for n, s in p.items() if n != s}
            for name in needed:
                assert (dest / name).is_file(), f"retained {name} was removed"
            live = needed | set(paths.values())
            for _, old in distinct[: max(0, len(distinct) - 1 - keep)]:
                for served in old.values():
                    if served not in live:
                        assert not (dest / served).exists(), f"expired {served} was kept"
                        assert not (dest / (served + ".gz")).exists()
