"""A ServeStatic 4 style subclass that servestatic refuses at start-up (for the checks)."""

from __future__ import annotations

from typing import Any

from servestatic.middleware import ServeStaticMiddleware


class LegacyMiddleware(ServeStaticMiddleware):
    def find_file(self, url: str) -> Any:
        return None
