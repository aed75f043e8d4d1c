"""Export the compiled file table to other engines: nginx, Caddy, Netlify / Cloudflare Pages.

:func:`model_from_engine` turns an :class:`~servestatic.serve.engine.Engine` into a
:class:`SiteModel` (what each URL answers); each writer renders that model. The differences
each engine keeps from servestatic are listed once, in :data:`DIFFERENCES`.
"""

from __future__ import annotations

from servestatic.export._differences import (
    DIFFERENCES,
    ENGINES,
    Difference,
    applicable,
    by_id,
    markdown_table,
)
from servestatic.export._model import (
    ConfiguredRedirect,
    ExportError,
    FileAnswer,
    RedirectAnswer,
    Root,
    SiteModel,
    model_from_engine,
)
from servestatic.export.caddy import CaddyOptions
from servestatic.export.caddy import render as render_caddy
from servestatic.export.netlify import render as render_netlify
from servestatic.export.nginx import NginxOptions
from servestatic.export.nginx import render as render_nginx

__all__ = [
    "DIFFERENCES",
    "ENGINES",
    "CaddyOptions",
    "ConfiguredRedirect",
    "Difference",
    "ExportError",
    "FileAnswer",
    "NginxOptions",
    "RedirectAnswer",
    "Root",
    "SiteModel",
    "applicable",
    "by_id",
    "markdown_table",
    "model_from_engine",
    "render_caddy",
    "render_netlify",
    "render_nginx",
]
