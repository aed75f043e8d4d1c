"""docs/export.md keeps one table of differences per engine, equal to the list the code
keeps (``servestatic.export.DIFFERENCES``): the file comments, ``--check`` and the fidelity
tests read that list, so the page cannot drift from what the engines were seen to do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from servestatic.export import DIFFERENCES, ENGINES, markdown_table

PAGE = Path(__file__).resolve().parents[2] / "docs" / "export.md"
MKDOCS = Path(__file__).resolve().parents[2] / "mkdocs.yml"


def _table(engine: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    found = re.search(
        rf"<!-- differences: {engine} -->\n(.*?)<!-- /differences -->", text, re.DOTALL
    )
    assert found is not None, f"docs/export.md has no table for {engine}"
    return found.group(1)


@pytest.mark.parametrize("engine", ENGINES)
def test_docs_table_is_the_list_in_the_code(engine: str) -> None:
    assert _table(engine) == markdown_table(engine), (
        f"docs/export.md is stale for {engine}; paste:\n{markdown_table(engine)}"
    )


def test_every_difference_is_named_once_and_documented() -> None:
    identifiers = [difference.id for difference in DIFFERENCES]
    assert len(identifiers) == len(set(identifiers))
    text = PAGE.read_text(encoding="utf-8")
    for identifier in identifiers:
        assert f"`{identifier}`" in text


def test_page_is_in_the_navigation() -> None:
    assert "export.md" in MKDOCS.read_text(encoding="utf-8")


def test_unknown_differences_are_refused() -> None:
    from servestatic.export import by_id

    assert by_id("zstd").engines == {"nginx"}
    with pytest.raises(KeyError):
        by_id("no-such-difference")
