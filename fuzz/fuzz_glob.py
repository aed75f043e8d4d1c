"""Fuzz the glob compiler: patterns compile or raise GlobError; matching any path is a
bool, and a match always starts with the pattern's literal prefix."""

from __future__ import annotations

from fuzz._common import fields, run_atheris
from servestatic.http.glob import GlobError, compile_glob


def test_one_input(data: bytes) -> None:
    pattern, path = fields(data, 2)
    try:
        glob = compile_glob(pattern[:200])
    except GlobError:
        return
    matched = glob.match(path)
    assert matched in {True, False}
    if matched:
        assert any(path.startswith(prefix) for prefix in glob.literal_prefixes)


if __name__ == "__main__":
    run_atheris(test_one_input)
