"""Importable hooks for configuration tests (``tests.config.hooks:add_header``)."""

from __future__ import annotations

import os
from typing import Any


def add_header(headers: Any, path: str, url: str) -> None:
    headers["X-Hook"] = url


NOT_CALLABLE = 42


def disposition(headers: Any, path: str, url: str) -> None:
    """The file name straight into ``Content-Disposition`` (not every name can go there)."""
    headers["Content-Disposition"] = f'attachment; filename="{os.path.basename(path)}"'
