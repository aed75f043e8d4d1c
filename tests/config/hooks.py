"""Importable hooks for configuration tests (``tests.config.hooks:add_header``)."""

from __future__ import annotations

from typing import Any


def add_header(headers: Any, path: str, url: str) -> None:
    headers["X-Hook"] = url


NOT_CALLABLE = 42
