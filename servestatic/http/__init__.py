"""Layer 1, the sans-I/O HTTP core: value records in, response plans out.

Nothing here opens a file, reads a clock it was not given, or sees a WSGI ``environ`` or
an ASGI ``scope`` (``environ`` only turns an ``environ`` dict into a :class:`Request`
record). The modules import only the standard library, each other and
:mod:`servestatic.errors`; import-linter enforces it. Internal: the names here carry no
compatibility promise (the public paths are the top-level modules).
"""
