"""``servestatic.middleware.ServeStaticMiddleware``, the path Django's ``MIDDLEWARE`` names.

The middleware lives in :mod:`servestatic.django.middleware`; this module keeps
ServeStatic's import path (and its ``AsyncServeStaticFileResponse`` alias).
"""

from servestatic.django import middleware as _middleware
from servestatic.django.middleware import ServeStaticMiddleware

__all__ = ["ServeStaticMiddleware"]

#: ServeStatic 4.x's name for its response class: importable, not in its ``__all__``.
AsyncServeStaticFileResponse = _middleware.AsyncServeStaticFileResponse
