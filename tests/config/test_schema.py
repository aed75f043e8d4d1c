"""The checked-in JSON Schema and configuration reference are generated from the model."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from servestatic.config import Settings
from servestatic.config.schema import SCHEMA_ID, json_schema, markdown_reference, schema_text

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schemas" / "servestatic.schema.json"


def test_checked_in_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "schemas/servestatic.schema.json is stale: run `servestatic schema --output "
        "schemas/servestatic.schema.json --markdown docs/configuration.md`"
    )


def test_checked_in_reference_is_current() -> None:
    assert (REPO / "docs" / "configuration.md").read_text(encoding="utf-8") == markdown_reference()


def test_schema_identity_and_dialect() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    assert schema["additionalProperties"] is False
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_field_is_documented() -> None:
    schema = json_schema()
    for name, spec in schema["properties"].items():
        if name == "$schema":
            continue
        assert spec.get("description") or "$ref" in spec, name
    for definition in schema["$defs"].values():
        assert definition.get("description"), definition.get("title")
        for key, spec in definition["properties"].items():
            assert spec.get("description"), key


def _toml_examples() -> list[tuple[str, str]]:
    """Every ```toml block in docs/ (and the README) that is a servestatic configuration."""
    examples = []
    for path in [*sorted((REPO / "docs").rglob("*.md")), REPO / "README.md"]:
        text = path.read_text(encoding="utf-8")
        for index, block in enumerate(re.findall(r"```toml\n(.*?)```", text, re.DOTALL)):
            examples.append((f"{path.relative_to(REPO)}#{index + 1}", block))
    examples.extend(
        (str(path.relative_to(REPO)), path.read_text(encoding="utf-8"))
        for path in sorted((REPO / "docs" / "examples").glob("*.toml"))
    )
    return examples


EXAMPLES = _toml_examples()


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize(("name", "text"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_doc_examples_validate(name: str, text: str, tmp_path: Path) -> None:
    document = tomllib.loads(text)
    if "tool" in document:  # a pyproject.toml example
        document = document["tool"]["servestatic"]
    if "# a mistake" in text:  # an example of an error message: both refuse it
        assert not jsonschema.Draft202012Validator(json_schema()).is_valid(document)
        with pytest.raises(ValidationError):
            Settings.model_validate(document)
        return
    jsonschema.validate(document, json_schema())
    # ... and the model accepts them too (the schema and the model agree).
    Settings.model_validate(document)
    json.dumps(document)


@pytest.mark.parametrize(
    ("document", "valid"),
    [
        ({"watch": True}, True),
        ({"autorefresh": True}, True),
        ({"watch": True, "autorefresh": False}, True),
        ({"watch": True, "autorefresh": True}, False),
    ],
)
def test_the_schema_refuses_watch_with_autorefresh_as_the_loader_does(
    document: dict[str, bool], valid: bool
) -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    assert validator.is_valid(document) is valid
    if valid:
        Settings.model_validate(document)
    else:
        with pytest.raises(ValidationError, match="set only one of them"):
            Settings.model_validate(document)


def test_renamed_groups_keep_their_schema_names_and_old_import_names() -> None:
    """Issue 15 renamed three config groups ``*Settings`` (``MemoryCache`` also named the
    runtime cache); the schema's ``$defs`` keys and titles, and the old imports, stay."""
    from servestatic import config
    from servestatic.serve.files import MemoryCache as RuntimeCache

    definitions = json_schema()["$defs"]
    for old, new in [
        ("ErrorPages", config.ErrorPageSettings),
        ("HiddenFiles", config.HiddenFileSettings),
        ("MemoryCache", config.MemoryCacheSettings),
    ]:
        assert getattr(config, old) is new
        assert definitions[old]["title"] == old
        assert all(field in definitions[old]["properties"] for field in new.model_fields)
        assert all("description" in spec for spec in definitions[old]["properties"].values())
    assert config.MemoryCacheSettings.__name__ != RuntimeCache.__name__
    assert "MemoryCacheSettings" not in definitions
