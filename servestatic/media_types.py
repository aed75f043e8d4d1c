"""ServeStatic's ``servestatic.media_types`` path; the table lives in
:mod:`servestatic.http.media_types` (pure: a file name in, a media type out)."""

from servestatic.http.media_types import MediaTypes, default_types

__all__ = ["MediaTypes", "default_types"]
