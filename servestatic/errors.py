"""The base class of every error servestatic raises.

``except servestatic.ServeStaticError`` catches them all: a configuration error at start-up
(:class:`~servestatic.config.ConfigError`), a build or export failure, a file that changed
while it was sent. Each also keeps the built-in base it always had (``ValueError``,
``OSError``, ``RuntimeError``), so existing handlers, and ServeStatic 4.x code catching
``ValueError`` from the storage, still work.

This module imports nothing from servestatic: every layer can derive from it.
"""

from __future__ import annotations

__all__ = ["ServeStaticError"]


class ServeStaticError(Exception):
    """Base class of servestatic's exceptions."""
