"""Application factories configured only by the environment and config files.

For servers that import an application by name::

    uvicorn --factory servestatic.app:create_asgi
    granian --interface asgi --factory servestatic.app:create_asgi
    gunicorn 'servestatic.app:create_wsgi()'

Settings come from ``SERVESTATIC_*`` variables, ``SERVESTATIC_CONFIG``, ``servestatic.toml``
and ``[tool.servestatic]`` in ``pyproject.toml``, exactly as for the classes.
"""

from __future__ import annotations

from servestatic.asgi import ServeStaticASGI
from servestatic.wsgi import ServeStatic

__all__ = ["create_asgi", "create_wsgi"]


def create_asgi() -> ServeStaticASGI:
    """A standalone ASGI application (404 for misses) from the environment and files."""
    return ServeStaticASGI(None)


def create_wsgi() -> ServeStatic:
    """A standalone WSGI application (404 for misses) from the environment and files."""
    return ServeStatic(None)
