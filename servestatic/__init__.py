"""servestatic: static files for WSGI and ASGI applications, a drop-in for ServeStatic 4.x.

The names below are imported on first use (PEP 562), so a WSGI application does not pay
for the ASGI adapter's imports and vice versa.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from servestatic._version import __version__

if TYPE_CHECKING:
    from servestatic.asgi import ServeStaticASGI
    from servestatic.config import ConfigError, Settings
    from servestatic.errors import ServeStaticError
    from servestatic.wsgi import ServeStatic

__all__ = [
    "ConfigError",
    "ServeStatic",
    "ServeStaticASGI",
    "ServeStaticError",
    "Settings",
    "__version__",
]

_LAZY = {
    "ServeStatic": "servestatic.wsgi",
    "ServeStaticASGI": "servestatic.asgi",
    "Settings": "servestatic.config",
    "ConfigError": "servestatic.config",
    "ServeStaticError": "servestatic.errors",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'servestatic' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
