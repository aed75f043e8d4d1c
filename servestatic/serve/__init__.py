"""Layer 3, the engine: everything the server does at start-up, and file access at request time.

Start-up walks the roots (``index``), compiles the rules (``rules``), the redirects
(``redirects``) and the framework presets (``frameworks``), builds one immutable entry per
URL (``entries``) and hands the table to :class:`~servestatic.serve.engine.Engine`, the one
façade the adapters call. ``files`` opens and verifies what a plan names, ``deliver`` turns
a plan into a response body, ``budget`` and ``offload`` bound concurrent streams, ``watch``
keeps the table fresh in watch mode, ``boot`` turns loaded settings into an engine.

Imports go down only: ``servestatic.http`` (layer 1), ``servestatic.config`` (layer 2) and
``servestatic.formats``; never the build tool, an adapter or Django. Internal: no
compatibility promise (the public paths are the top-level modules).
"""
