"""MkDocs hooks: publish the configuration's JSON Schema at the URL ``$schema`` names.

``schemas/servestatic.schema.json`` lives outside ``docs/`` (it is generated from the model
and checked by a test), so the build copies it to ``<site>/schemas/`` itself; configuration
files then get completion and validation from ``https://servestatic.dev/schemas/...``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "servestatic.schema.json"


def on_post_build(config: Any, **_: Any) -> None:
    target = Path(config["site_dir"]) / "schemas" / SCHEMA.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SCHEMA, target)
